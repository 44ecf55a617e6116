/** readJsonFile: our small JSON files (a backup's manifest, a run's record) read back through their schema. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile } from '../../../main/engine/fs/json-file.js';

const schema = z.object({ format: z.literal('ours/1'), n: z.number() });
const invalid = () => new Error('not ours: move it away');
let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'json-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readJsonFile', () => {
  it('gives the data of a file of that shape, and null for a missing one', async () => {
    await writeFile(join(dir, 'a.json'), '{"format":"ours/1","n":3}');
    expect(await readJsonFile(join(dir, 'a.json'), schema, invalid)).toEqual({ format: 'ours/1', n: 3 });
    expect(await readJsonFile(join(dir, 'missing.json'), schema, invalid)).toBeNull();
  });

  it("throws the caller's error for a file that is not JSON, cut short, or of another shape", async () => {
    const files: ReadonlyArray<readonly [string, string]> = [
      ['text', 'hello'],
      ['cut', '{"format":"ours/1",'],
      ['other', '{"format":"theirs/2","n":3}'],
      ['empty', ''],
    ];
    for (const [name, text] of files) {
      await writeFile(join(dir, name), text);
      await expect(readJsonFile(join(dir, name), schema, invalid)).rejects.toThrow('not ours: move it away');
    }
  });

  it('passes on an error reading the file other than its absence', async () => {
    await expect(readJsonFile(dir, schema, invalid)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
