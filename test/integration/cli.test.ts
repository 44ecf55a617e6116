/**
 * The `diskferry` command line end to end, in process through main(): login with CA fingerprint
 * trust, listing, upload, download, JSON output, exit codes, and that no secret reaches the output.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/index.js';
import { CLI_PORTS, interruptWhenTransferring, runCli, startCliHarness } from './capture.js';
import { expectFileEqualsDisk, expectFileEqualsSeed, makeSparseImage, MiB, SMALL_RUNS, SMALL_SIZE, expectDiskEqualsFile, type Harness } from './helpers.js';

describe('diskferry command line', () => {
  let h: Harness;
  let pw: string;
  let fingerprint: string;
  let close: (() => Promise<void>) | undefined;
  const run = runCli;

  beforeAll(async () => {
    ({ h, pw, close } = await startCliHarness());
    fingerprint = h.sim.caFingerprint;
  });
  afterAll(async () => close?.());

  it('refuses a wrong CA fingerprint with exit code 2 and saves nothing', async () => {
    const wrong = fingerprint.replace(/^../, fingerprint.startsWith('00') ? '11' : '00');
    const r = await run('login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', wrong);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not the .* you gave\. Nothing was saved/);
    await expect(readFile(join(h.dir, 'config', 'engines.json'))).rejects.toThrow();
  });

  it('logs in with the right fingerprint and saves a profile without the password', async () => {
    const r = await run('login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', fingerprint, '--name', 'sim');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Logged in to .* \(oVirt 4\.5/);
    const saved = await readFile(join(h.dir, 'config', 'engines.json'), 'utf8');
    expect(saved).toContain('"name": "sim"');
    expect(saved).not.toContain(h.sim.password);
  });

  it('fails a wrong password with exit code 1 and a message without the password', async () => {
    const bad = join(h.dir, 'bad-pw');
    await writeFile(bad, 'not-the-password-123');
    const r = await run('disks', '--password-file', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/diskferry: .*(password|authenticate)/i);
    expect(r.err + r.out).not.toContain('not-the-password-123');
  });

  it('lists storage domains as JSON lines with the real status', async () => {
    const r = await run('storage-domains', '--json', '--password-file', pw);
    expect(r.code).toBe(0);
    const domains = r.out.trim().split('\n').map((l) => JSON.parse(l) as { name: string; status: string });
    expect(domains.find((d) => d.name === 'data-maint')?.status).toBe('maintenance');
    expect(domains.find((d) => d.name === 'data-nfs')?.status).toBe('active');
  });

  it('lists disks with the VM each is attached to', async () => {
    const r = await run('disks', '--password-file', pw);
    expect(r.code).toBe(0);
    const line = (name: string) => r.out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    expect(r.out.split('\n')[0]).toMatch(/^NAME +ID +VM +SIZE/);
    expect(line('web-01-disk1')).toMatch(/ web-01 /);
    expect(line('fedora-40-root')).toMatch(/ - /);
    const json = await run('disks', '--json', '--password-file', pw);
    const disks = json.out.trim().split('\n').map((l) => JSON.parse(l) as { name: string; vmNames: string[] | null });
    expect(disks.find((d) => d.name === 'vm-running-disk')?.vmNames).toEqual(['app-01']);
  });

  it('uploads and downloads with JSON progress and a result event, and keeps secrets out', async () => {
    const src = join(h.dir, 'cli.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
    const up = await run('upload', src, '--storage-domain', 'data-nfs', '--name', 'cli-disk', '--json', '--password-file', pw);
    expect(up.code).toBe(0);
    const events = up.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.some((e) => e['phase'] === 'transferring')).toBe(true);
    const result = events.find((e) => e['event'] === 'result')!;
    expect(result['disk_name']).toBe('cli-disk');
    expect(up.err).not.toMatch(/already has/);
    await expectDiskEqualsFile(h.sim, result['disk_id'] as string, src);
    const out = join(h.dir, 'downloads');
    await mkdir(out);
    const down = await run('download', 'cli-disk', '--output', out, '--password-file', pw, '--quiet');
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/Downloaded disk 'cli-disk' to .*cli-disk\.raw/);
    await expectFileEqualsDisk(h.sim, result['disk_id'] as string, join(out, 'cli-disk.raw'));
    const all = up.out + up.err + down.out + down.err;
    expect(all).not.toContain(h.sim.password);
    expect(all).not.toMatch(/\/images\/[0-9a-f-]{36}/); // no ticket URL

    // The same name again: oVirt accepts it, DiskFerry says so (and the name is then ambiguous).
    const twice = await run('upload', src, '--storage-domain', 'data-nfs', '--name', 'cli-disk', '--quiet', '--password-file', pw);
    expect(twice.code).toBe(0);
    expect(twice.err).toContain(`diskferry: note: the engine already has a disk named 'cli-disk' (${String(result['disk_id'])}); this upload creates another.`);
  });

  it('exits 1 when one of several downloads fails, after finishing the others', async () => {
    const out = join(h.dir, 'downloads2');
    await mkdir(out);
    const r = await run('download', 'no-such-disk', 'web-01-disk1', '--output', out, '--password-file', pw, '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/No disk 'no-such-disk'/);
    await expectFileEqualsSeed('web-01-disk1', join(out, 'web-01-disk1.raw'));
  });

  it('stops an upload on Ctrl-C with exit code 130, and the engine deletes the new disk', async () => {
    const src = join(h.dir, 'interrupted.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
    h.sim.faults.bandwidthBytesPerSecond = 2 * MiB;
    const { stdout, stderr, interrupted } = interruptWhenTransferring();
    try {
      const code = await main(['upload', src, '--storage-domain', 'data-nfs', '--name', 'cli-interrupted', '--json', '--password-file', pw], { stdout, stderr }, CLI_PORTS);
      expect(interrupted()).toBe(true);
      expect(code).toBe(130);
      expect(stderr.text()).toMatch(/Interrupted: cleaning up/);
      expect([...h.sim.engine.state.disks.values()].some((d) => d.name === 'cli-interrupted')).toBe(false);
      expect(process.listenerCount('SIGINT')).toBe(0);
    } finally {
      h.resetFaults();
    }
  });

  it('exits 2 on usage errors', async () => {
    expect((await run('upload', '--password-file', pw)).code).toBe(2);
    expect((await run('download', 'x', '--output', join(h.dir, 'missing-folder'), '--password-file', pw)).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run('upload', 'a.raw', '--workers', '99', '--storage-domain', 'data-nfs')).code).toBe(2);
  });
});
