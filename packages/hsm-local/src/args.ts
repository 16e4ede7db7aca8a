/**
 * Strict argument readers for wire requests: each names the argument it rejects and throws a typed
 * INVALID_ARGUMENT error, so no handler ever sees a value of the wrong shape.
 */
import { StrongroomError } from '@strongroom/core';
import type { WireValue } from '@strongroom/hsm-protocol';

export type Args = { [key: string]: WireValue | undefined };

function bad(name: string, want: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', `argument ${name}: expected ${want}`);
}

export function str(a: Args, name: string, maxLen = 4096): string {
  const v = a[name];
  if (typeof v !== 'string' || v.length > maxLen) throw bad(name, `a string of at most ${maxLen} characters`);
  return v;
}

export function optStr(a: Args, name: string, maxLen = 4096): string | undefined {
  return a[name] === undefined || a[name] === null ? undefined : str(a, name, maxLen);
}

export function bytes(a: Args, name: string, maxLen = 1024 * 1024): Buffer {
  const v = a[name];
  if (!(v instanceof Uint8Array) || v.length > maxLen) throw bad(name, `bytes (at most ${maxLen})`);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function optBytes(a: Args, name: string, maxLen = 1024 * 1024): Buffer | undefined {
  return a[name] === undefined || a[name] === null ? undefined : bytes(a, name, maxLen);
}

export function int(a: Args, name: string, min: number, max: number): number {
  const v = a[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(name, `an integer in [${min}, ${max}]`);
  return v;
}

export function optBool(a: Args, name: string): boolean | undefined {
  const v = a[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(name, 'a boolean');
  return v;
}

export function oneOf<T extends string>(a: Args, name: string, allowed: readonly T[]): T {
  const v = a[name];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw bad(name, `one of ${allowed.join(', ')}`);
  return v as T;
}

export function map(a: Args, name: string): Args {
  const v = a[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw bad(name, 'a map');
  return v as Args;
}

export function list(a: Args, name: string, max = 10_000): WireValue[] {
  const v = a[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > max) throw bad(name, `a list of at most ${max}`);
  return v;
}
