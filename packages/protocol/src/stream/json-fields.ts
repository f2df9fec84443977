/**
 * Field checks the stream's JSON codecs share: a strict object (unknown fields are BAD_PAYLOAD), u32
 * and non-negative integers, lowercase hex of a fixed length. Each failure names the field.
 */
import { BadPayloadError } from '../errors.js';
import { decodeJsonObject } from '../json-codec.js';

/** Parses `bytes` as a JSON object whose keys are all in `known`. @throws BadPayloadError */
export function strictObject(bytes: Uint8Array, what: string, known: readonly string[], id: number): Record<string, unknown> {
  const obj = decodeJsonObject(bytes, what, id);
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new BadPayloadError(`${what} has an unknown field ${JSON.stringify(key)}`, id);
  }
  return obj;
}

/** `obj[key]` as an integer in `min..max` (absent allowed when `optional`). @throws BadPayloadError */
export function intField(obj: Record<string, unknown>, key: string, what: string, id: number, min: number, max: number, optional = false): number | undefined {
  const v = obj[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
    throw new BadPayloadError(`${what}.${key} must be an integer ${range}`, id);
  }
  return v;
}

/** `obj[key]` as a number ≥ 0 (finite). @throws BadPayloadError */
export function numField(obj: Record<string, unknown>, key: string, what: string, id: number): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new BadPayloadError(`${what}.${key} must be a finite number ≥ 0`, id);
  return v;
}

/** `obj[key]` as `bytes` bytes written in lowercase hex. @throws BadPayloadError */
export function hexField(obj: Record<string, unknown>, key: string, what: string, id: number, bytes: number): Buffer {
  const v = obj[key];
  if (typeof v !== 'string' || v.length !== 2 * bytes || !/^[0-9a-f]*$/.test(v)) {
    throw new BadPayloadError(`${what}.${key} must be ${2 * bytes} lowercase hex digits`, id);
  }
  return Buffer.from(v, 'hex');
}

/** `obj[key]` as one of `choices`. @throws BadPayloadError */
export function choiceField<T extends string>(obj: Record<string, unknown>, key: string, what: string, id: number, choices: readonly T[]): T {
  const v = obj[key];
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new BadPayloadError(`${what}.${key} must be ${choices.map((c) => JSON.stringify(c)).join(' or ')}`, id);
  }
  return v as T;
}

/** The largest u32. */
export const U32_MAX = 0xffff_ffff;
