/**
 * `diskferry queue add` asks the engine's planning rules: a queued upload is the target they make
 * (defaults decided, the probe's stamp kept), a domain that takes no uploads and an output folder
 * that is not one are refused when the job is added, not when it runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueDocument } from '../../main/engine/queue/store.js';
import { makeIso, makeSparseImage, MiB, type Harness } from './helpers.js';
import { startCliHarness, type CliHarness } from './queue-cli-helpers.js';

describe('diskferry queue add: the planning rules', () => {
  let h: Harness;
  let c: CliHarness;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
  });
  afterAll(() => close?.());

  const queued = async () => {
    const text = await readFile(join(c.configDir, 'queue.json'), 'utf8').catch(() => null);
    return text === null ? [] : parseQueueDocument(JSON.parse(text) as unknown)!.jobs;
  };

  it('queues the upload the rules plan: ISO into a raw disk named after the file, with the probe stamp', async () => {
    const iso = join(h.dir, 'install.iso');
    await makeIso(iso, 4 * MiB);
    const add = await c.cli('queue', 'add', 'upload', iso, '--storage-domain', 'data-nfs', '--disk-format', 'cow', '--password-file', c.pw);
    expect(add.code, add.err).toBe(0);
    const [job] = await queued();
    expect(job).toMatchObject({ kind: 'upload', label: 'install' });
    expect(job?.kind === 'upload' && job.upload).toEqual({
      path: iso,
      storageDomain: 'data-nfs',
      diskName: 'install',
      diskFormat: 'raw',
      preallocated: false,
      verify: true,
      image: { format: 'iso', virtualSize: 4 * MiB, fileSize: 4 * MiB, mtimeMs: expect.any(Number) as number },
    });
    expect((await c.cli('queue', 'remove', job!.id.slice(0, 8))).code).toBe(0);
  });

  it('refuses a storage domain that takes no uploads, and a missing output folder, before anything is queued', async () => {
    const raw = join(h.dir, 'maint.raw');
    await makeSparseImage(raw, 2 * MiB, [{ start: 0, length: MiB }]);
    const maint = await c.cli('queue', 'add', 'upload', raw, '--storage-domain', 'data-maint', '--password-file', c.pw);
    expect(maint.code).not.toBe(0);
    expect(maint.err).toContain('data-maint is not active (its status: maintenance). Activate it, or choose another storage domain.');
    const missing = join(h.dir, 'no-such-dir');
    const dl = await c.cli('queue', 'add', 'download', 'web-01-disk1', '--output', missing, '--password-file', c.pw);
    expect(dl.code).not.toBe(0);
    expect(dl.err).toContain(`--output ${missing} is not an existing folder. Create it, or choose another.`);
    expect(await queued()).toEqual([]);
  });
});
