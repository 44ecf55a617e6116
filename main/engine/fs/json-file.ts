/** A small JSON file of ours read back through its schema: missing is null, anything else not ours is an error. */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { errorCode } from '../errors.js';

/**
 * Reads `path` as JSON checked by `schema`. A file that does not exist is null; one that is not
 * JSON or not of that shape throws `invalid()` (the caller's words on what to do with it).
 */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>, invalid: () => Error): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: not ours either
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalid();
  return parsed.data;
}
