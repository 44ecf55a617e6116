/** The download rules, each pinned once: the saved file's format and name, and the output folder check. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandTemplate, DEFAULT_NAME_TEMPLATE } from '../../../shared/file-names.js';
import { checkOutputFolder, DEFAULT_OUTPUT_FORMAT, downloadFileName, downloadPath, targetPath } from '../../../main/engine/plan/download-rules.js';
import { createJob } from '../../../main/engine/queue/job.js';

describe('download rules', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-rules-'));
  });
  afterAll(async () => {
    await chmod(dir, 0o700).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it('saves sparse raw unless qcow2 is asked, and a queued job always carries its format', () => {
    expect(DEFAULT_OUTPUT_FORMAT).toBe('raw');
    const job = createJob({ kind: 'download', engine: 'e', download: { disk: 'd1', outputDir: '/tmp' } }, 'j1', 0);
    expect(job.kind === 'download' && job.download).toMatchObject({ format: 'raw', diskName: null, size: null });
  });

  it('names the file after the disk by the same template the app uses by default', () => {
    const disk = { id: '6b3a3c56-5f2b-4d1e-9a53-0a6a0f0c9d11', name: 'web/01: root' };
    expect(downloadFileName(disk, 'qcow2')).toBe('web_01_ root.qcow2');
    expect(downloadFileName(disk, 'qcow2')).toBe(expandTemplate(DEFAULT_NAME_TEMPLATE, { disk: disk.name, id: disk.id, vm: null, ext: 'qcow2', now: 0 }));
    expect(downloadFileName({ id: disk.id, name: '' })).toBe(`${disk.id}.raw`);
    expect(downloadPath({ dir: '/out' }, disk)).toBe('/out/web_01_ root.raw');
    expect(downloadPath({ file: '/out/exact.img' }, disk, 'qcow2')).toBe('/out/exact.img');
  });

  it('resumes an interrupted download under its name; beside a complete file, rename and skip do what they say', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'diskferry-target-'));
    try {
      const none = new Set<string>();
      const name = join(folder, 'boot.raw');
      await writeFile(`${name}.part`, '');
      for (const policy of ['rename', 'overwrite', 'skip'] as const) expect(await targetPath(folder, 'boot.raw', policy, none)).toEqual({ path: name, overwrite: false });
      // An interrupted --if-exists overwrite: the complete file and its .part side by side.
      await writeFile(name, 'old');
      expect(await targetPath(folder, 'boot.raw', 'overwrite', none)).toEqual({ path: name, overwrite: true });
      expect(await targetPath(folder, 'boot.raw', 'rename', none)).toEqual({ path: join(folder, 'boot (2).raw'), overwrite: false });
      expect(await targetPath(folder, 'boot.raw', 'skip', none)).toBeNull();
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('takes only an existing folder it can write to', async () => {
    await expect(checkOutputFolder(dir)).resolves.toBeUndefined();
    await expect(checkOutputFolder(join(dir, 'missing'), '--output missing')).rejects.toMatchObject({ code: 'bad-input', message: '--output missing is not an existing folder. Create it, or choose another.' });
    await writeFile(join(dir, 'file'), 'x');
    await expect(checkOutputFolder(join(dir, 'file'), '--output file')).rejects.toMatchObject({ code: 'bad-input', message: '--output file is a file, not a folder: downloads go into a folder. Choose the folder it is in, or another.' });
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder it cannot write to', async () => {
    await chmod(dir, 0o500);
    await expect(checkOutputFolder(dir)).rejects.toMatchObject({ message: `${dir} is a folder you cannot write to. Choose another, or fix its permissions.` });
    await chmod(dir, 0o700);
  });
});
