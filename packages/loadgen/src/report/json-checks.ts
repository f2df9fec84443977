/** Small checks for reading a JSON report: each throws {@link ReportFormatError} naming the bad field. */
import { ReportFormatError } from '../errors.js';

/** Throws a {@link ReportFormatError}: `source: path must be want`. */
export function fail(source: string, path: string, want: string): never {
  throw new ReportFormatError(`${source}: ${path} must be ${want}`);
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks that `o[key]` is a finite number (or null when `nullable`). */
export function num(o: Record<string, unknown>, key: string, source: string, path: string, nullable = false): void {
  const v = o[key];
  if (nullable && v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(source, `${path}.${key}`, nullable ? 'a number or null' : 'a number');
}

/** Checks that `o[key]` is a string (or null when `nullable`). */
export function str(o: Record<string, unknown>, key: string, source: string, path: string, nullable = false): void {
  const v = o[key];
  if (nullable && v === null) return;
  if (typeof v !== 'string') fail(source, `${path}.${key}`, nullable ? 'a string or null' : 'a string');
}
