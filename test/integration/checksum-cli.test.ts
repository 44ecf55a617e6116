/**
 * `diskferry checksum`: the local blkhash of an image's guest data equals what an imageio server
 * answers to `GET .../checksum` for the same data (the simulated daemon, and the reference's test
 * vectors, computed with ovirt-imageio's own code), for raw and qcow2 files and other algorithms
 * and block sizes; usage errors and files that are not images.
 */
import { request } from 'node:https';
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeQcow2, makeSourceRaw, MiB } from '../engine/image/qcow2-fixtures.js';
import { startImageioFixture, type ImageioFixture } from '../engine/imageio/sim-fixture.js';
import { main } from '../../main/cli/index.js';
import { CLI_PORTS, interruptWhenTransferring, resultEvents, runCli } from './capture.js';

const run = runCli;
const results = resultEvents;

/** The server's answer to GET {url}/checksum, through plain node:https with the fixture's CA. */
function serverChecksum(url: string, ca: string, query = ''): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/checksum${query}`, { ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode === 200) resolve(JSON.parse(text) as Record<string, unknown>);
        else reject(new Error(`checksum answered ${res.statusCode}: ${text}`));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('diskferry checksum', () => {
  let dir: string;
  let io: ImageioFixture;
  let ca: string;
  let source: string;
  let qcow2: string;
  let transferUrl: string;
  const env = process.env;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'diskferry-checksum-'));
    io = await startImageioFixture();
    process.env = { ...env, DISKFERRY_CONFIG_DIR: join(dir, 'config') };
    ca = join(dir, 'ca.pem');
    await writeFile(ca, io.caPem);
    source = await makeSourceRaw(join(dir, 'source.raw'));
    qcow2 = await makeQcow2(dir, 'deflate', source);
    const ticket = await io.addTicket(12 * MiB + 3 * 512, ['read', 'write']);
    transferUrl = ticket.transferUrl;
    const up = await run('upload', source, '--transfer-url', transferUrl, '--ca-file', ca, '--no-verify', '--quiet');
    expect(up.code, up.err).toBe(0);
  });
  afterAll(async () => {
    process.env = env;
    await io?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the server checksum of the uploaded data for the raw file and for the same data as qcow2', async () => {
    const server = await serverChecksum(transferUrl, io.caPem);
    const r = await run('checksum', source, qcow2, '--json');
    expect(r.code, r.err).toBe(0);
    const [raw, q] = results(r.out);
    expect(raw).toMatchObject({ file: source, algorithm: 'blake2b', block_size: 4 * MiB, checksum: server['checksum'], format: 'raw' });
    expect(q).toMatchObject({ file: qcow2, algorithm: 'blake2b', block_size: 4 * MiB, checksum: server['checksum'], format: 'qcow2' });
    // The holes of the raw file are never read.
    expect(raw!['data_bytes']).toBeLessThan(12 * MiB);
  });

  it('gives the digest a verified download reported, for the downloaded raw and qcow2 files', async () => {
    for (const format of ['raw', 'qcow2']) {
      const out = join(dir, `down.${format}`);
      const down = await run('download', '--transfer-url', transferUrl, '--ca-file', ca, '--output', out, '--format', format, '--json');
      expect(down.code, down.err).toBe(0);
      const digest = results(down.out)[0]!['digest'];
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      const r = await run('checksum', out, '--json');
      expect(results(r.out)[0]).toMatchObject({ format, checksum: digest });
    }
  });

  it('asks for the server checksum of a verified download after the last byte, or while the data moves with DISKFERRY_SERVER_CHECKSUM=early', async () => {
    /** Where the checksum started and the last data GET ended, in the daemon's order of events during `args`. */
    const order = async (env: Record<string, string>) => {
      const before = io.daemon.requestLog.events().length;
      process.env = { ...process.env, ...env };
      const out = join(dir, `order-${Object.keys(env).length}.raw`);
      const down = await run('download', '--transfer-url', transferUrl, '--ca-file', ca, '--output', out, '--json');
      expect(down.code, down.err).toBe(0);
      expect(results(down.out)[0]).toMatchObject({ verified: true });
      const events = io.daemon.requestLog.events().slice(before);
      const checksumStart = events.findIndex((e) => e.kind === 'checksum' && e.at === 'start');
      const lastGetEnd = events.findLastIndex((e) => e.kind === 'data' && e.method === 'GET' && e.at === 'end');
      expect(checksumStart).toBeGreaterThanOrEqual(0);
      expect(events.filter((e) => e.kind === 'checksum' && e.at === 'start')).toHaveLength(1);
      return { checksumStart, lastGetEnd };
    };
    const saved = process.env;
    try {
      const after = await order({});
      expect(after.checksumStart).toBeGreaterThan(after.lastGetEnd);
      const early = await order({ DISKFERRY_SERVER_CHECKSUM: 'early' });
      expect(early.checksumStart).toBeLessThan(early.lastGetEnd);
    } finally {
      process.env = saved;
    }
  });

  it('follows --algorithm and --block-size as the server does', async () => {
    const server = await serverChecksum(transferUrl, io.caPem, '?algorithm=sha256&block_size=1048576');
    const r = await run('checksum', qcow2, '--algorithm', 'sha256', '--block-size', '1048576', '--json');
    expect(r.code, r.err).toBe(0);
    expect(results(r.out)[0]).toMatchObject({ algorithm: 'sha256', block_size: MiB, checksum: server['checksum'] });
  });

  it('matches the test vectors computed with ovirt-imageio (a sparse file with data at both ends)', async () => {
    const path = join(dir, 'vector.raw');
    const fh = await open(path, 'w');
    await fh.write(Buffer.alloc(4096, 'x'), 0, 4096, 0);
    await fh.write(Buffer.from('end'), 0, 3, 8 * MiB);
    await fh.close();
    const expected = {
      blake2b: '402b741506bc64b2432a7c2fb55ab3188ffb26cf512b8e719bb8b3714db88789',
      sha256: 'fe3ede295105101d0f1c05c6dde64ad4f0c5cf754e39ea5ceffa041805029ea2',
      blake2s: '798f4efe10e45b693e28dea487a424f971188da8503b46bfdabc1f61eaea4a88',
    };
    for (const [algorithm, checksum] of Object.entries(expected)) {
      const r = await run('checksum', path, '--algorithm', algorithm, '--json');
      expect(r.code, r.err).toBe(0);
      expect(results(r.out)[0]).toMatchObject({ algorithm, checksum, size: 8 * MiB + 3 });
    }
    const a = join(dir, 'a.raw');
    await writeFile(a, Buffer.alloc(8 * MiB, 'a'));
    const small = await run('checksum', a, '--block-size', String(MiB), '--json');
    expect(results(small.out)[0]).toMatchObject({ checksum: 'cf3bf66d2e44cbe9c8c3d52688ad9fc50119d12930804496db8b2b4aa0c4b697', block_size: MiB });
  });

  it('prints the digest first on a line of text', async () => {
    const r = await run('checksum', source, '--quiet');
    expect(r.code, r.err).toBe(0);
    const server = await serverChecksum(transferUrl, io.caPem);
    expect(r.out).toMatch(new RegExp(`^${String(server['checksum'])}  ${source} \\(blake2b, 4 MiB blocks; raw, `));
  });

  it('refuses block sizes and algorithms imageio does not take, with exit code 2', async () => {
    for (const args of [
      ['--block-size', '4096'],
      ['--block-size', String(32 * MiB)],
      ['--block-size', String(MiB + 512)],
      ['--algorithm', 'md5'],
      [],
    ]) {
      const r = await run('checksum', ...(args.length ? [source, ...args] : []));
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^diskferry: /);
    }
  });

  it('fails an empty file and a missing one with exit code 1 and says why', async () => {
    const empty = join(dir, 'empty.raw');
    await writeFile(empty, '');
    const r = await run('checksum', empty, join(dir, 'missing.raw'));
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/empty/i);
    expect(lines[1]).toMatch(/missing\.raw/);
  });

  it('a data-plane download stopped with Ctrl-C removes what it cannot continue, and says nothing changed on the server', async () => {
    const folder = await mkdtemp(join(dir, 'stopped-'));
    const out = join(folder, 'stopped.raw');
    const { stdout, stderr, interrupted } = interruptWhenTransferring();
    const code = await main(['download', '--transfer-url', transferUrl, '--ca-file', ca, '--output', out, '--limit', '1M', '--json'], { stdout, stderr }, CLI_PORTS);
    expect(interrupted()).toBe(true);
    expect(code).toBe(130);
    expect(stderr.text()).toContain('diskferry: Interrupted. The partial file was removed: a download from an imageio ticket cannot continue where it stopped, so running it again starts over. Nothing changed on the server; the ticket stays until it expires.\n');
    expect(stderr.text()).not.toContain('The transfer was cancelled');
    expect(await readdir(folder)).toEqual([]);
    // Into an existing file: the one choice there is (keeping both is for downloads into a folder).
    await writeFile(out, 'mine');
    const refused = await run('download', '--transfer-url', transferUrl, '--ca-file', ca, '--output', out);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(`diskferry: ${out} already exists. Give another --output file, or replace it with --if-exists overwrite.\n`);
  });

  it('refuses to upload a file bigger than the image behind the ticket before a byte moves', async () => {
    const small = await io.addTicket(4 * MiB, ['read', 'write']);
    const r = await run('upload', source, '--transfer-url', small.transferUrl, '--ca-file', ca);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`diskferry: ${source} is 12.00 MiB (its virtual size), but the image behind this ticket is 4.00 MiB: it does not fit. Upload it to a disk of at least 12.00 MiB.\n`);
  });
});
