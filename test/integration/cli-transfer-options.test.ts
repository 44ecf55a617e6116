/**
 * Options of plain `upload` and `download` that match the window and the queue: `--limit RATE` (the
 * queue's parser and token bucket), `--if-exists fail|overwrite|rename|skip` (the window's
 * existing-file rule), and the time left in `--json` progress events.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonEvents, resultEvents, runCli, startCliHarness } from './capture.js';
import { expectFileEqualsDisk, expectFileEqualsSeed, makeSparseImage, MiB, SMALL_SIZE, type Harness } from './helpers.js';

const LIMIT = 3 * MiB;

describe('diskferry upload and download options', () => {
  let h: Harness;
  let pw: string;
  let close: (() => Promise<void>) | undefined;
  const run = runCli;

  beforeAll(async () => {
    ({ h, pw, close } = await startCliHarness());
    const login = await run('login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint, '--name', 'sim');
    expect(login.code, login.err).toBe(0);
  });
  afterAll(async () => close?.());

  it('--limit keeps an upload and a download under the rate, and --json progress says the time left', async () => {
    const src = join(h.dir, 'limited.raw');
    // 12 MiB of data: about four seconds at the limit, so the rate (shown from a stretch's third
    // second on, docs/architecture.md "What the window shows") and the time left appear.
    await makeSparseImage(src, SMALL_SIZE, [{ start: 0, length: 8 * MiB }, { start: 12 * MiB, length: 4 * MiB }]);
    const up = await run('upload', src, '--storage-domain', 'data-nfs', '--name', 'limited', '--limit', '3MiB/s', '--json', '--password-file', pw);
    expect(up.code, up.err).toBe(0);
    const [upResult] = resultEvents(up.out);
    const dataRate = (r: Record<string, unknown>) => (r['data_bytes'] as number) / (r['data_phase'] as number);
    expect(upResult!['data_bytes']).toBeGreaterThan(5 * MiB);
    expect(dataRate(upResult!)).toBeLessThanOrEqual(LIMIT * 1.1);

    const moving = jsonEvents(up.out).filter((e) => e['phase'] === 'transferring');
    expect(moving.length).toBeGreaterThan(1);
    // Whole seconds left once the rate is measured (null before), beside the rate.
    for (const e of moving) expect(e['eta'] === null || (Number.isInteger(e['eta']) && (e['eta'] as number) >= 0), JSON.stringify(e)).toBe(true);
    expect(moving.filter((e) => e['rate'] !== null).every((e) => typeof e['eta'] === 'number')).toBe(true);
    expect(moving.some((e) => typeof e['eta'] === 'number')).toBe(true);
    // The data that moves and the holes apart, as the window shows them: 12 MiB of data, the rest holes.
    const described = moving.filter((e) => e['data_total'] !== null);
    expect(described.length).toBeGreaterThan(0);
    for (const e of described) {
      // Zero blocks inside the written runs are holes too: a little under 12 MiB of data.
      expect(e['data_total'] as number, JSON.stringify(e)).toBeGreaterThan(10 * MiB);
      expect(e['data_total'] as number, JSON.stringify(e)).toBeLessThanOrEqual(12 * MiB);
      expect((e['data_total'] as number) + (e['holes'] as number)).toBe(SMALL_SIZE);
      expect(e['data_done'] as number).toBeLessThanOrEqual(e['data_total'] as number);
    }
    expect(described.some((e) => (e['data_done'] as number) > 0 && (e['data_done'] as number) < (e['data_total'] as number))).toBe(true);

    const out = join(h.dir, 'limited-down');
    await mkdir(out);
    const down = await run('download', 'limited', '--output', out, '--limit', '3M', '--json', '--password-file', pw);
    expect(down.code, down.err).toBe(0);
    const [downResult] = resultEvents(down.out);
    expect(dataRate(downResult!)).toBeLessThanOrEqual(LIMIT * 1.1);
    await expectFileEqualsDisk(h.sim, upResult!['disk_id'] as string, join(out, 'limited.raw'));
  });

  it('refuses a --limit that is not a rate, naming what is accepted', async () => {
    for (const bad of ['abc', '0', '12 furlongs/s']) {
      const r = await run('download', 'web-01-disk1', '--output', h.dir, '--limit', bad, '--password-file', pw);
      expect(r.code, bad).toBe(2);
      expect(r.err).toContain(`--limit takes a rate such as 200 (MiB/s), 40 MiB/s, 40 MB/s, 500 Mbit/s, 1 Gbit/s, not '${bad}'.`);
    }
    const small = await run('download', 'web-01-disk1', '--output', h.dir, '--limit', '10k', '--password-file', pw);
    expect(small.code).toBe(2);
    expect(small.err).toContain(`--limit '10k' is below the smallest limit, 64 KiB/s.`);
  });

  it('--if-exists rename keeps both files, skip leaves the disk out, overwrite replaces, fail (the default) refuses', async () => {
    const out = join(h.dir, 'if-exists');
    await mkdir(out);
    const existing = join(out, 'web-01-disk1.raw');
    await writeFile(existing, 'keep me');

    const renamed = await run('download', 'web-01-disk1', '--output', out, '--if-exists', 'rename', '--quiet', '--json', '--password-file', pw);
    expect(renamed.code, renamed.err).toBe(0);
    expect(resultEvents(renamed.out)[0]).toMatchObject({ path: join(out, 'web-01-disk1 (2).raw') });
    await expectFileEqualsSeed('web-01-disk1', join(out, 'web-01-disk1 (2).raw'));
    expect(await readFile(existing, 'utf8')).toBe('keep me');

    const skipped = await run('download', 'web-01-disk1', '--output', out, '--if-exists', 'skip', '--quiet', '--password-file', pw);
    expect(skipped.code, skipped.err).toBe(0);
    expect(skipped.out).toBe(`Skipped disk 'web-01-disk1': ${existing} already exists (--if-exists skip).\n`);
    expect((await readdir(out)).sort()).toEqual(['web-01-disk1 (2).raw', 'web-01-disk1.raw']);

    const refused = await run('download', 'web-01-disk1', '--output', out, '--quiet', '--password-file', pw);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/web-01-disk1\.raw already exists\. .*--if-exists overwrite or rename/);

    const replaced = await run('download', 'web-01-disk1', '--output', out, '--if-exists', 'overwrite', '--quiet', '--password-file', pw);
    expect(replaced.code, replaced.err).toBe(0);
    await expectFileEqualsSeed('web-01-disk1', existing);
  });

  it('queues downloads by the same rule: rename picks a free name, skip queues nothing', async () => {
    const out = join(h.dir, 'if-exists-queue');
    await mkdir(out);
    await writeFile(join(out, 'web-01-disk1.raw'), 'keep me');
    const added = await run('queue', 'add', 'download', 'web-01-disk1', '--output', out, '--if-exists', 'rename', '--json', '--password-file', pw);
    expect(added.code, added.err).toBe(0);
    const list = jsonEvents((await run('queue', 'list', '--json')).out);
    expect(list.at(-1)).toMatchObject({ name: 'web-01-disk1', state: 'queued' });
    const doc = JSON.parse(await readFile(join(h.dir, 'config', 'queue.json'), 'utf8')) as { jobs: Array<{ download?: { file?: string } }> };
    expect(doc.jobs.at(-1)!.download!.file).toBe(join(out, 'web-01-disk1 (2).raw'));

    const skip = await run('queue', 'add', 'download', 'web-01-disk1', '--output', out, '--if-exists', 'skip', '--password-file', pw);
    expect(skip.code, skip.err).toBe(0);
    expect(skip.out).toMatch(/^Skipped disk 'web-01-disk1': .* already exists \(--if-exists skip\)\.\n$/);
    expect(jsonEvents((await run('queue', 'list', '--json')).out)).toHaveLength(list.length);
  });

  it('refuses --if-exists values it does not know, and --overwrite beside another policy', async () => {
    const bad = await run('download', 'web-01-disk1', '--output', h.dir, '--if-exists', 'replace', '--password-file', pw);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--if-exists must be one of fail, overwrite, rename, skip, not 'replace'.");
    const both = await run('download', 'web-01-disk1', '--output', h.dir, '--if-exists', 'skip', '--overwrite', '--password-file', pw);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--overwrite is --if-exists overwrite; give one of them, not --if-exists skip too.');
  });
});
