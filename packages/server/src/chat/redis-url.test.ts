import { describe, expect, it } from 'vitest';
import { OptionTypeError } from '@sockbench/options';
import { parseRedisUrl } from './redis-url.js';

describe('parseRedisUrl (--redis)', () => {
  it('reads host, port (6379 by default), DB (0 by default) and the channel the DB names', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/3')).toEqual({
      host: '127.0.0.1', port: 6380, db: 3, username: undefined, password: undefined, channel: 'sockbench:chat:3', display: 'redis://127.0.0.1:6380/3',
    });
    expect(parseRedisUrl('redis://cache.lan')).toMatchObject({ host: 'cache.lan', port: 6379, db: 0, channel: 'sockbench:chat:0', display: 'redis://cache.lan/0' });
    expect(parseRedisUrl('redis://cache.lan/')).toMatchObject({ db: 0 });
    expect(parseRedisUrl('redis://[::1]:7000/1')).toMatchObject({ host: '::1', port: 7000, db: 1, display: 'redis://[::1]:7000/1' });
  });

  it('takes USER:PASSWORD (percent-decoded) and never shows the password', () => {
    expect(parseRedisUrl('redis://:s%40cret@h:1/2')).toMatchObject({ username: undefined, password: 's@cret', display: 'redis://:***@h:1/2' });
    expect(parseRedisUrl('redis://bench:pw@h')).toMatchObject({ username: 'bench', password: 'pw', display: 'redis://bench:***@h/0' });
    expect(parseRedisUrl('redis://bench@h')).toMatchObject({ username: 'bench', password: undefined, display: 'redis://bench@h/0' });
  });

  it.each([
    ['host:port without a scheme', '127.0.0.1:6379', 'not a URL'],
    ['plain words', 'localhost', 'not a URL'],
    ['a port past 65535', 'redis://h:70000', 'not a URL'],
    ['TLS', 'rediss://h:6380', 'the scheme must be redis: (rediss:, TLS, is not supported), not rediss:'],
    ['no host', 'redis:///2', 'no host'],
    ['port 0', 'redis://h:0', 'port 0'],
    ['a path that is no DB number', 'redis://h/db1', 'the path must be a DB number, got /db1'],
    ['a deeper path', 'redis://h/1/2', 'the path must be a DB number, got /1/2'],
    ['a query (ioredis would read it as options)', 'redis://h/1?enableOfflineQueue=true', 'a query or fragment is not allowed'],
    ['a fragment', 'redis://h/1#x', 'a query or fragment is not allowed'],
  ])('%s: OptionTypeError naming the option, the value and why', (_name, url, why) => {
    let err: unknown;
    try {
      parseRedisUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OptionTypeError);
    expect((err as OptionTypeError).message).toBe(`options.redis (--redis) must be a URL redis://HOST[:PORT][/DB], got ${JSON.stringify(url)}: ${why}`);
    expect((err as OptionTypeError).flag).toBe('redis');
  });
});
