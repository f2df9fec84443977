import { describe, expect, it } from 'vitest';
import { helloFor } from './client-channel.js';

describe('helloFor', () => {
  it('no name and no token: no HELLO', () => {
    expect(helloFor({ name: undefined, token: undefined })).toBeUndefined();
  });

  it('the name travels as `client`, the token as `token`, each only when set', () => {
    expect(helloFor({ name: 'ana', token: undefined })).toEqual({ client: 'ana' });
    expect(helloFor({ name: undefined, token: 's3cret' })).toEqual({ token: 's3cret' });
    expect(helloFor({ name: 'ana', token: 's3cret' })).toEqual({ client: 'ana', token: 's3cret' });
  });
});
