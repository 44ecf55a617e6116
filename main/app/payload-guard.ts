/**
 * The shape check every IPC payload passes before its schema (Electron main and the web host): plain
 * data only. The schemas describe what a request may say; this refuses what no schema should ever
 * have to think about — objects that are not plain (Date, Map, typed arrays, class instances, which
 * Electron's structured clone can deliver and zod would read as an empty object), keys that reach an
 * object's prototype (`__proto__`, `constructor`, `prototype`: JSON.parse and structured clone keep
 * them as own keys), nesting deeper than any request needs, and sheer size. Electron-free.
 */

/** Limits of an IPC payload. The largest real request (1000 paths of 4096 characters) is ~4 MiB. */
export interface PayloadLimits {
  readonly maxDepth: number;
  /** Objects, arrays and values together. */
  readonly maxNodes: number;
  /** One string (the largest schema bound is a 256 KiB PEM). */
  readonly maxStringLength: number;
  /** One object key (record keys are ids of at most 200 characters; schema errors name unknown keys). */
  readonly maxKeyLength: number;
  /** All strings and keys together. */
  readonly maxTotalChars: number;
}

/** The limits both hosts apply. */
export const PAYLOAD_LIMITS: PayloadLimits = { maxDepth: 16, maxNodes: 100_000, maxStringLength: 512 * 1024, maxKeyLength: 200, maxTotalChars: 8 * 1024 * 1024 };

const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** True for `{}`-literal objects and `Object.create(null)` ones. */
function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `payload` is plain data within `limits`; returns null when it is, else what is wrong
 * in words (never the payload's content: it may hold a password).
 */
export function payloadProblem(payload: unknown, limits: PayloadLimits = PAYLOAD_LIMITS): string | null {
  let nodes = 0;
  let chars = 0;
  // Iterative, so a hostile nesting depth cannot overflow the stack before the depth check.
  const stack: Array<{ value: unknown; depth: number }> = [{ value: payload, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (++nodes > limits.maxNodes) return 'the request is too large';
    if (value === null || value === undefined || typeof value === 'boolean') continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return 'the request holds a number that is not finite';
      continue;
    }
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) return 'the request holds a text that is too long';
      chars += value.length;
      if (chars > limits.maxTotalChars) return 'the request is too large';
      continue;
    }
    if (typeof value !== 'object') return `the request holds a ${typeof value}`;
    if (depth >= limits.maxDepth) return 'the request is nested too deeply';
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) return 'the request holds an object that is not plain data';
      for (let i = 0; i < value.length; i++) {
        if (!Object.prototype.hasOwnProperty.call(value, i)) return 'the request holds an array with holes';
        stack.push({ value: value[i] as unknown, depth: depth + 1 });
      }
      continue;
    }
    if (!isPlainObject(value)) return 'the request holds an object that is not plain data';
    for (const key of Reflect.ownKeys(value)) {
      if (typeof key !== 'string') return 'the request holds a symbol key';
      if (FORBIDDEN_KEYS.has(key)) return `the request holds the key "${key}"`;
      if (key.length > limits.maxKeyLength) return 'the request holds a key that is too long';
      chars += key.length;
      if (chars > limits.maxTotalChars) return 'the request is too large';
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (!descriptor || !('value' in descriptor)) return 'the request holds an accessor property';
      stack.push({ value: descriptor.value as unknown, depth: depth + 1 });
    }
  }
  return null;
}
