/**
 * The command line with qcow2 and verification: `upload` of a qcow2 through the engine and
 * `download --format qcow2`, the data-plane-only mode against an imageio ticket (guest data by
 * default, `--as-is` for the container, `--format qcow2` on download), `--no-verify`, and usage errors.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeQcow2, makeSourceRaw, qemuCheck, qemuCompare, qemuRaw } from '../engine/image/qcow2-fixtures.js';
import { startImageioFixture, type ImageioFixture } from '../engine/imageio/sim-fixture.js';
import { expectDiskEqualsFile, startHarness, type Harness } from './helpers.js';
import { resultEvents, runCli } from './capture.js';

const run = runCli;

/** The `result` event of a --json run. */
function resultOf(out: string): Record<string, unknown> {
  return resultEvents(out)[0]!;
}

describe('diskferry with qcow2 images', () => {
  let h: Harness;
  let io: ImageioFixture;
  let pw: string;
  let ca: string;
  let fixture: string;
  let guest: string;
  const env = process.env;

  beforeAll(async () => {
    [h, io] = await Promise.all([startHarness('4.5'), startImageioFixture()]);
    process.env = { ...env, DISKFERRY_CONFIG_DIR: join(h.dir, 'config') };
    delete process.env['DISKFERRY_PASSWORD'];
    pw = join(h.dir, 'pw');
    await writeFile(pw, h.sim.password + '\n');
    ca = join(h.dir, 'imageio-ca.pem');
    await writeFile(ca, io.caPem);
    fixture = await makeQcow2(h.dir, 'deflate', await makeSourceRaw(join(h.dir, 'source.raw')));
    guest = await qemuRaw(fixture, join(h.dir, 'guest.raw'));
    const login = await run('login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint);
    expect(login.code).toBe(0);
  });
  afterAll(async () => {
    process.env = env;
    await Promise.all([h?.close(), io?.close()]);
  });

  it('uploads a qcow2 and downloads it as qcow2, both verified', async () => {
    const up = await run('upload', fixture, '--storage-domain', 'data-nfs', '--name', 'cli-qcow2', '--json', '--password-file', pw);
    expect(up.code).toBe(0);
    const r = resultOf(up.out);
    expect(r).toMatchObject({ verified: true, verification: "verified: the server's blake2b checksum matches" });
    await expectDiskEqualsFile(h.sim, r['disk_id'] as string, guest);

    const down = await run('download', 'cli-qcow2', '--output', h.dir, '--format', 'qcow2', '--password-file', pw, '--quiet');
    expect(down.code).toBe(0);
    expect(down.out).toMatch(/Downloaded disk 'cli-qcow2' to .*cli-qcow2\.qcow2: .*; verified: the server's blake2b checksum matches\./);
    expect(await qemuCheck(join(h.dir, 'cli-qcow2.qcow2'))).toMatch(/No errors were found/);
    await qemuCompare(fixture, join(h.dir, 'cli-qcow2.qcow2'));
  });

  it('data plane only: sends a qcow2 as guest data by default, as it is with --as-is', async () => {
    const size = (await readFile(guest)).length;
    const t = await io.addTicket(size, ['write']);
    const up = await run('upload', fixture, '--transfer-url', t.transferUrl, '--ca-file', ca, '--json');
    expect(up.code).toBe(0);
    expect(resultOf(up.out)).toMatchObject({ size, verified: true });
    expect((await t.image.read(0, size)).equals(await readFile(guest))).toBe(true);

    const file = await readFile(fixture);
    const raw = await io.addTicket(file.length, ['write']);
    const asIs = await run('upload', fixture, '--transfer-url', raw.transferUrl, '--ca-file', ca, '--as-is', '--no-verify', '--quiet');
    expect(asIs.code).toBe(0);
    expect(asIs.out).toMatch(/\(the qcow2 file as it is\).*; not verified: verification was turned off\./);
    expect((await raw.image.read(0, file.length)).equals(file)).toBe(true);
  });

  it('data plane only: a volume larger than the file is "not verified", not a mismatch', async () => {
    // A qcow2 sent as it is into a volume with room to spare (a cow disk's LV on block storage):
    // the server's checksum covers the whole volume, so it cannot match the file's.
    const file = await readFile(fixture);
    const t = await io.addTicket(file.length + 8 * 1024 * 1024, ['read', 'write']);
    const up = await run('upload', fixture, '--transfer-url', t.transferUrl, '--ca-file', ca, '--as-is', '--json');
    expect(up.code, up.err).toBe(0);
    expect(resultOf(up.out)).toMatchObject({
      size: file.length,
      verified: null,
      verification: `not verified: the server's image is ${file.length + 8 * 1024 * 1024} bytes and ${fixture} ${file.length}, so their checksums cannot be compared`,
    });
    expect((await t.image.read(0, file.length)).equals(file)).toBe(true);
  });

  it('data plane only: downloads a ticket as qcow2', async () => {
    const data = await readFile(guest);
    const t = await io.addTicket(data.length, ['read', 'write']);
    await t.image.write(0, data);
    const out = join(h.dir, 'ticket.qcow2');
    const down = await run('download', '--transfer-url', t.transferUrl, '--ca-file', ca, '--output', out, '--format', 'qcow2', '--json');
    expect(down.code).toBe(0);
    expect(resultOf(down.out)).toMatchObject({ format: 'qcow2', verified: true });
    expect(await qemuCheck(out)).toMatch(/No errors were found/);
    await qemuCompare(guest, out);
  });

  it('exits 2 on conflicting or misplaced options', async () => {
    expect((await run('upload', fixture, '--storage-domain', 'data-nfs', '--as-is', '--password-file', pw)).code).toBe(2);
    expect((await run('upload', fixture, '--storage-domain', 'data-nfs', '--verify', '--no-verify', '--password-file', pw)).code).toBe(2);
    expect((await run('download', 'cli-qcow2', '--output', h.dir, '--format', 'vmdk', '--password-file', pw)).code).toBe(2);
  });
});
