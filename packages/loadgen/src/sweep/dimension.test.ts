import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { LIST_BOUNDS, chooseDimension, parseStepList, sizeBounds } from './dimension.js';

const bounds = (d: 'connections' | 'pipeline' | 'size') => (d === 'size' ? sizeBounds(['tcp', 'udp'], 'echo') : LIST_BOUNDS[d]);

describe('parseStepList', () => {
  it('reads a list of whole numbers, or a range START..LIMIT', () => {
    expect(parseStepList('--connections-list', '1,4,16,64', LIST_BOUNDS.connections)).toEqual({ list: [1, 4, 16, 64] });
    expect(parseStepList('--connections-list', ' 2 , 8 ', LIST_BOUNDS.connections)).toEqual({ list: [2, 8] });
    expect(parseStepList('--pipeline-list', '1..64', LIST_BOUNDS.pipeline)).toEqual({ from: 1, to: 64 });
    expect(parseStepList('--sizes', '0,64', bounds('size'))).toEqual({ list: [0, 64] });
  });

  it('refuses every bad list with a message naming the flag and the entry', () => {
    const bad: [string, string, string][] = [
      ['--connections-list', '', '--connections-list needs a list such as 1,4,16,64 or a range START..LIMIT, got ""'],
      ['--sizes', ',', '--sizes needs a list such as 1,4,16,64 or a range START..LIMIT, got ","'],
      ['--sizes', '..', '--sizes needs a list such as 1,4,16,64 or a range START..LIMIT, got ".."'],
      ['--connections-list', '1,x,4', '--connections-list: "x" is not a whole number (a list such as 1,4,16,64 or a range START..LIMIT)'],
      ['--connections-list', '1,,4', '--connections-list: "" is not a whole number (a list such as 1,4,16,64 or a range START..LIMIT)'],
      ['--sizes', '64,1.5', '--sizes: "1.5" is not a whole number (a list such as 1,4,16,64 or a range START..LIMIT)'],
      ['--sizes', '-64', '--sizes: "-64" is not a whole number (a list such as 1,4,16,64 or a range START..LIMIT)'],
      ['--connections-list', '0,4', '--connections-list: 0 is out of range 1..100000 connections'],
      ['--connections-list', '100001', '--connections-list: 100001 is out of range 1..100000 connections'],
      ['--pipeline-list', '0', '--pipeline-list: 0 is out of range 1..65536 requests in flight per connection'],
      ['--pipeline-list', '0..8', '--pipeline-list: 0 is out of range 1..65536 requests in flight per connection'],
      ['--sizes', '64,70000', '--sizes: 70000 is out of range 0..65495 bytes (the most --transport udp --op echo carries is 65,495 bytes)'],
      ['--connections-list', '16,4', '--connections-list must increase: 4 after 16'],
      ['--connections-list', '4,4', '--connections-list must increase: 4 after 4'],
      ['--connections-list', '64..8', '--connections-list 64..8: the range must go up (START < LIMIT)'],
      ['--connections-list', '8..8', '--connections-list 8..8: the range must go up (START < LIMIT)'],
    ];
    for (const [flag, text, message] of bad) {
      const d = flag === '--sizes' ? 'size' : flag === '--pipeline-list' ? 'pipeline' : 'connections';
      expect(() => parseStepList(flag, text, bounds(d)), `${flag} ${text}`).toThrow(new UsageError(message));
    }
  });
});

describe('sizeBounds', () => {
  it('the tightest bounds of the swept transports for the op', () => {
    expect(sizeBounds(['tcp'], 'echo')).toMatchObject({ min: 0, max: 16_777_216 });
    expect(sizeBounds(['tcp', 'udp'], 'compute')).toMatchObject({ min: 32, max: 65_491 });
    expect(sizeBounds(['raw-udp'], 'echo')).toMatchObject({ min: 4, max: 65_507 });
    expect(() => sizeBounds(['tcp'], 'ping')).toThrow(new UsageError('--sizes does not apply to --op ping (PING has an empty payload): use --op echo or compute'));
  });
});

describe('chooseDimension', () => {
  it('the rate when no list flag is given; a list, or a range stepped by --factor', () => {
    expect(chooseDimension({ from: 100 }, 1.5, false, bounds)).toBeNull();
    expect(chooseDimension({ connectionsList: '1,4,16' }, 1.5, false, bounds)).toEqual({ dimension: 'connections', from: 1, factor: null, to: 16, list: [1, 4, 16] });
    expect(chooseDimension({ pipelineList: '1..32' }, 2, true, bounds)).toEqual({ dimension: 'pipeline', from: 1, factor: 2, to: 32, list: null });
    expect(chooseDimension({ sizes: '64..8192' }, 1.5, false, bounds)).toEqual({ dimension: 'size', from: 64, factor: 1.5, to: 8192, list: null });
  });

  it('one dimension per sweep; --from/--to and --factor only where they step', () => {
    const bad: [Parameters<typeof chooseDimension>[0], boolean, string][] = [
      [{ connectionsList: '1,4', sizes: '64' }, false, 'only one dimension per sweep: --connections-list and --sizes both given'],
      [{ connectionsList: '1', pipelineList: '1', sizes: '64' }, false, 'only one dimension per sweep: --connections-list, --pipeline-list and --sizes given'],
      [{ sizes: '64,512', to: 9 }, false, '--from and --to bound a rate sweep; --sizes gives its own steps (a list such as 1,4,16,64 or a range START..LIMIT, e.g. --sizes 1..64)'],
      [{ pipelineList: '1,4' }, true, '--factor steps a rate sweep or a START..LIMIT range; --pipeline-list 1,4 lists its steps'],
    ];
    for (const [args, factorGiven, message] of bad) expect(() => chooseDimension(args, 2, factorGiven, bounds)).toThrow(new UsageError(message));
  });
});
