/**
 * A queued download carries its output format and verification choice from `diskferry queue add`
 * through the persisted job to downloadDisk: against the simulator, `--format qcow2 --no-verify`
 * writes a qcow2 file without a checksum, the default writes raw and verifies.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQueueDocument } from '../../../main/engine/queue/store.js';
import { expectFileEqualsSeed, type Harness } from '../../integration/helpers.js';
import { startCliHarness, type CliHarness } from '../../integration/queue-cli-helpers.js';

describe('queued downloads: format and verification', () => {
  let h: Harness;
  let c: CliHarness;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ h, c, close } = await startCliHarness());
  });
  afterAll(() => close?.());

  const queueDoc = async () => parseQueueDocument(JSON.parse(await readFile(join(c.configDir, 'queue.json'), 'utf8')))!;

  it('persists --format and --no-verify with the job and hands them to the download', { timeout: 60_000 }, async () => {
    const out = join(h.dir, 'formats');
    await mkdir(out);
    const q = await c.cli('queue', 'add', 'download', 'db01-disk0', '--output', out, '--format', 'qcow2', '--no-verify', '--now', '--password-file', c.pw);
    expect(q.code, q.err).toBe(0);
    const r = await c.cli('queue', 'add', 'download', 'web-01-disk1', '--output', out, '--now', '--password-file', c.pw);
    expect(r.code, r.err).toBe(0);
    const queued = (await queueDoc()).jobs;
    const qcow = queued.find((j) => j.label === 'db01-disk0')!;
    const raw = queued.find((j) => j.label === 'web-01-disk1')!;
    expect(qcow.kind === 'download' && qcow.download).toMatchObject({ format: 'qcow2', verify: false });
    expect(raw.kind === 'download' && raw.download).toMatchObject({ format: 'raw', verify: true });

    const run = await c.cli('queue', 'run', '--json', '--password-file', c.pw);
    expect(run.code, run.err).toBe(0);
    const done = (await queueDoc()).jobs;
    const qcowDone = done.find((j) => j.id === qcow.id)!;
    const rawDone = done.find((j) => j.id === raw.id)!;
    expect(qcowDone.state, qcowDone.error?.message).toBe('completed');
    expect(rawDone.state, rawDone.error?.message).toBe('completed');
    expect(qcowDone.result!.path).toBe(join(out, 'db01-disk0.qcow2'));
    expect(qcowDone.result!.digest, 'no checksum without verification').toBeNull();
    expect(rawDone.result!.digest, 'a checksum with verification').toMatch(/\w{16,}/);
    const fh = await open(join(out, 'db01-disk0.qcow2'), 'r');
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    await fh.close();
    expect(head.toString('latin1')).toBe('QFI\xfb');
    await expectFileEqualsSeed('web-01-disk1', join(out, 'web-01-disk1.raw'));
  });

  it('refuses --format for uploads and --verify with --no-verify', async () => {
    const up = await c.cli('queue', 'add', 'upload', '/nonexistent.raw', '--storage-domain', 'data-nfs', '--format', 'qcow2', '--password-file', c.pw);
    expect(up.code).toBe(2);
    expect(up.err).toMatch(/--format is for downloads/);
    const both = await c.cli('queue', 'add', 'download', 'db01-disk0', '--output', h.dir, '--verify', '--no-verify', '--password-file', c.pw);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--verify or --no-verify/);
  });
});
