/**
 * Whole uploads and downloads (uploadImage, downloadDisk) against the engine simulator whose
 * transfers point at a hostile data server (the simulator's `dataServerOrigin` fault). What the user
 * keeps must be right: a failed download leaves no final file (only NAME.part and its journal), a
 * failed upload says what became of the disk, and no ticket reaches a host the engine did not name.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { downloadDisk } from '../../main/engine/transfer/download-disk.js';
import type { TransferDeps } from '../../main/engine/transfer/deps.js';
import { uploadImage } from '../../main/engine/transfer/upload-image.js';
import { exists, makeSparseImage, MiB, startHarness, TUNING, type Harness } from '../integration/helpers.js';
import { createHostilePki, header, reply, requestBody, startCanary, type HostilePki, type HostileServer, type RawRequest } from './hostile-servers.js';
import { startStandInImageio, type HostileHook, type StandInImageio } from './hostile-imageio-server.js';

const SIZE = 512 * 1024;
/** A disk of exactly the stand-in's image size, so only the hostile answer differs from a good server. */
const DISK = 'hostile-small';

let h: Harness;
let pki: HostilePki;
let canary: HostileServer;
let trusting: TransferDeps;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  h = await startHarness('4.5');
  pki = await createHostilePki();
  canary = await startCanary(pki);
  // The stand-in plays a host whose imageio certificate the engine CA signed: its CA joins the data-plane trust.
  trusting = { ...h.deps, trust: { caPem: [h.sim.caPem, pki.caPem] } };
  const disk = await h.client.createDisk({ name: DISK, provisionedSize: SIZE, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } });
  await h.client.waitForDiskOk(disk.id, { timeoutMs: 20_000 });
});
afterAll(async () => {
  await canary?.close();
  await h?.close();
});
afterEach(async () => {
  h.resetFaults();
  for (const c of closers.splice(0).reverse()) await c();
});

async function standIn(hostile?: HostileHook, tls = pki.trusted): Promise<StandInImageio> {
  const server = await startStandInImageio(tls, randomBytes(SIZE), hostile ? { hostile } : {});
  closers.push(() => server.close());
  h.sim.faults.dataServerOrigin = server.origin;
  return server;
}

async function failure(p: Promise<unknown>): Promise<DiskFerryError> {
  const err = await p.then(
    () => expect.fail('the hostile data server was accepted'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiskFerryError);
  return err as DiskFerryError;
}

/** Secrets of the run: the password, the engine token, and every ticket the engine handed out. */
function secrets(): string[] {
  return [h.sim.password, ...h.client.secrets(), ...[...h.sim.engine.state.transfers.values()].map((t) => t.ticketId)];
}

function expectNoLeak(err: DiskFerryError): void {
  expect(canary.tcpConnections(), 'the canary host was contacted').toBe(0);
  for (const s of secrets()) {
    expect(err.message).not.toContain(s);
    expect(h.logLines.join('\n')).not.toContain(s);
  }
}

const redirect307 = (req: RawRequest) =>
  requestBody(req).then(() => reply(req.socket, 307, { location: `${canary.origin}${req.head.split(' ')[1] ?? '/'}` }));

describe('a download from a hostile data server', () => {
  const ROWS: Array<[string, HostileHook, DiskFerryError['code'], RegExp]> = [
    ['a 200 instead of a 206', (req, kind) => kind === 'get' && (reply(req.socket, 200, {}, Buffer.alloc(SIZE)), true), 'protocol', /expected HTTP 206/],
    [
      'a 206 with a wrong Content-Range',
      (req, kind) => {
        if (kind !== 'get') return false;
        reply(req.socket, 206, { 'content-range': `bytes 4096-${SIZE + 4095}/${SIZE + 4096}` }, Buffer.alloc(SIZE));
        return true;
      },
      'protocol',
      /expected Content-Range/,
    ],
    ['a redirect to another host', (req, kind) => kind === 'get' && (void redirect307(req), true), 'protocol', /redirect \(HTTP 307\).*never follows/],
    [
      'a connection that closes early every time',
      (req, kind) => {
        if (kind !== 'get') return false;
        const range = /bytes=(\d+)-(\d+)/.exec(header(req, 'range') ?? '')!;
        reply(req.socket, 206, { 'content-range': `bytes ${range[1]}-${range[2]}/${SIZE}` }, Buffer.alloc(1000, 7), Number(range[2]) - Number(range[1]) + 1);
        req.socket.end();
        return true;
      },
      'network',
      /Check the network/,
    ],
  ];

  it.each(ROWS)('%s: fails, keeps only NAME.part, and leaves no final file', async (_name, hostile, code, says) => {
    const server = await standIn(hostile);
    const file = join(h.dir, `hostile-${code}-${Math.random().toString(36).slice(2)}.raw`);
    const err = await failure(downloadDisk(trusting, { disk: DISK, output: { file } }, { tuning: TUNING }));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(says);
    expect(err.message).toMatch(/partial file .*\.part was kept; run the same download again/);
    expect(await exists(file), 'a final file exists after a failed download').toBe(false);
    expect(await exists(`${file}.part`)).toBe(true);
    expect(server.tickets.length).toBeGreaterThan(0);
    expectNoLeak(err);
  });

  it('malformed extents: fails before any file is created', async () => {
    await standIn((req, kind) => kind === 'extents' && (reply(req.socket, 200, { 'content-type': 'application/json' }, '[{"start": 0, "length": 4096}, {"start": 1'), true));
    const file = join(h.dir, 'hostile-extents.raw');
    const err = await failure(downloadDisk(trusting, { disk: DISK, output: { file } }, { tuning: TUNING }));
    expect(err.code).toBe('protocol');
    expect(err.message).toMatch(/not valid JSON/);
    expect(await exists(file)).toBe(false);
    expectNoLeak(err);
  });

  it('a connection that closes early once is resumed, and the file is complete and exact', async () => {
    let cut = false;
    const server = await standIn((req, kind) => {
      if (kind !== 'get' || cut) return false;
      cut = true;
      const range = /bytes=(\d+)-(\d+)/.exec(header(req, 'range') ?? '')!;
      const [a, b] = [Number(range[1]), Number(range[2])];
      reply(req.socket, 206, { 'content-range': `bytes ${a}-${b}/${SIZE}` }, server.image.subarray(a, a + 100_000), b - a + 1);
      req.socket.end();
      return true;
    });
    const file = join(h.dir, 'hostile-resumed.raw');
    await downloadDisk(trusting, { disk: DISK, output: { file } }, { tuning: TUNING });
    expect((await readFile(file)).equals(server.image)).toBe(true);
    expect(await exists(`${file}.part`)).toBe(false);
  });

  it.each([
    ['shorter', SIZE / 2],
    ['longer', SIZE * 2],
  ])('extents describing an image %s than the (NBD) disk are refused, and no file is written', async (_what, served) => {
    await standIn((req, kind) => kind === 'extents' && (reply(req.socket, 200, { 'content-type': 'application/json' }, JSON.stringify([{ start: 0, length: served, zero: false }])), true));
    const file = join(h.dir, `hostile-size-${served}.raw`);
    const err = await failure(downloadDisk(trusting, { disk: DISK, output: { file } }, { tuning: TUNING }));
    expect(err.code).toBe('protocol');
    expect(err.message).toMatch(new RegExp(`describes ${served} bytes, but disk '${DISK}' has ${SIZE}\\. Nothing was written`));
    expect(await exists(file)).toBe(false);
    expect(await exists(`${file}.part`)).toBe(false);
    expectNoLeak(err);
  });

  it('transfer_url and proxy_url over plain http: refused before anything is sent', async () => {
    const server = await standIn();
    h.sim.faults.dataServerOrigin = server.origin.replace('https:', 'http:');
    const file = join(h.dir, 'hostile-http.raw');
    const err = await failure(downloadDisk(trusting, { disk: DISK, output: { file } }, { tuning: TUNING }));
    expect(err.code).toBe('protocol');
    expect(err.message).toMatch(/unexpected data server address.*expected https:\/\/host:port\/images\/<ticket>/);
    expect(server.tcpConnections()).toBe(0);
    expect(await exists(file)).toBe(false);
    expectNoLeak(err);
  });

  it('transfer_url and proxy_url on a host whose certificate is not from the engine CA: refused before the ticket is sent', async () => {
    const server = await standIn(undefined, pki.trusted);
    const file = join(h.dir, 'hostile-tls.raw');
    // Only the engine CA is trusted here, so the stand-in's certificate (from another CA) must be refused.
    const err = await failure(downloadDisk(h.deps, { disk: DISK, output: { file } }, { tuning: TUNING }));
    expect(err.code).toBe('tls-untrusted');
    expect(err.message).toMatch(/stopped before sending the transfer ticket/);
    expect(server.received()).toBe('');
    expect(await exists(file)).toBe(false);
    expectNoLeak(err);
  });
});

describe('an upload to a hostile data server', () => {
  let src: string;
  beforeAll(async () => {
    src = join(h.dir, 'hostile-src.raw');
    await makeSparseImage(src, 2 * MiB, [{ start: 0, length: 512 * 1024 }]);
  });

  const ROWS: Array<[string, HostileHook, boolean, DiskFerryError['code'], RegExp]> = [
    ['a redirect of the PUT to another host', (req, kind) => kind === 'put' && (void redirect307(req), true), true, 'protocol', /redirect \(HTTP 307\).*never follows/],
    ['OPTIONS that are not imageio JSON', (req, kind) => kind === 'options' && (reply(req.socket, 200, { 'content-type': 'text/html' }, '<html>ok</html>'), true), true, 'protocol', /not imageio's JSON/],
    ['a certificate not from the engine CA', () => false, false, 'tls-untrusted', /stopped before sending the transfer ticket/],
  ];

  it.each(ROWS)('%s: fails and tells what became of the disk', async (_name, hostile, trusted, code, says) => {
    const server = await standIn(hostile);
    const diskName = `hostile-up-${Math.random().toString(36).slice(2, 8)}`;
    const err = await failure(uploadImage(trusted ? trusting : h.deps, { path: src, storageDomain: 'data-nfs', diskName }, { tuning: TUNING }));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(says);
    expect(err.message).toContain(`The engine deleted the disk '${diskName}'.`);
    expect([...h.sim.engine.state.disks.values()].some((d) => d.name === diskName)).toBe(false);
    if (!trusted) expect(server.received()).toBe('');
    expectNoLeak(err);
  });
});
