/**
 * The JSON and UTF-8 helpers every JSON payload codec shares (HELLO, WELCOME, CHAT, STATS): strict
 * UTF-8, one JSON object, typed fields; each failure is a {@link BadPayloadError} naming what is wrong.
 */
import { BadPayloadError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes strict UTF-8 (an invalid sequence is BAD_PAYLOAD). */
export function decodeUtf8(bytes: Uint8Array, what: string, id = 0): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new BadPayloadError(`${what} is not valid UTF-8`, id);
  }
}

/** UTF-8 JSON of `value`. */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Parses a UTF-8 JSON object. @throws BadPayloadError not UTF-8, not JSON, not an object */
export function decodeJsonObject(bytes: Uint8Array, what: string, id: number): Record<string, unknown> {
  const text = decodeUtf8(bytes, what, id);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadPayloadError(`${what} is not valid JSON`, id);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadPayloadError(`${what} must be a JSON object`, id);
  }
  return value as Record<string, unknown>;
}

/** `obj[key]` checked to be of `kind` (absent allowed when `optional`). @throws BadPayloadError */
export function field<T extends 'string' | 'number' | 'boolean'>(
  obj: Record<string, unknown>,
  key: string,
  kind: T,
  what: string,
  id: number,
  optional: boolean,
): (T extends 'string' ? string : T extends 'number' ? number : boolean) | undefined {
  const v = obj[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== kind) throw new BadPayloadError(`${what}.${key} must be a ${kind}`, id);
  return v as T extends 'string' ? string : T extends 'number' ? number : boolean;
}
