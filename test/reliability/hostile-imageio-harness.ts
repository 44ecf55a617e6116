/**
 * Shared setup of the data-plane hostile tests: the certificates, the canary, stand-in servers
 * closed after each test, a session opened through the real openImageio, the client operations a
 * row can drive, and the checks every row makes (a typed refusal, no ticket anywhere it must not be).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { createLog } from '../../main/engine/log.js';
import { downloadRanges } from '../../main/engine/imageio/download.js';
import type { ImageioTimeouts } from '../../main/engine/imageio/connection.js';
import { allocPieceBuffers } from '../../main/engine/imageio/put-body.js';
import { openImageio, type ImageioSession } from '../../main/engine/imageio/session.js';
import { createHostilePki, header, reply, requestBody, startCanary, type HostilePki, type HostileServer, type RawRequest } from './hostile-servers.js';
import { startStandInImageio, type ImageioRequestKind, type StandInImageio } from './hostile-imageio-server.js';

/** The ticket id in every URL (a secret: only the stand-in may see it). */
export const TICKET = 'd1ce7a5e-0b1e-4c7a-9a2b-5ec2e7c0ffee';
/** The stand-in's image size. */
export const SIZE = 256 * 1024;
/** Few, quick retries: the cases that drop connections must run out of attempts, not of patience. */
export const RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 4 };

/** What a case makes the client do. */
export type Op = 'open' | 'extents' | 'checksum' | 'get' | 'put' | 'zero';

/** The client operation that sends each kind of request. */
export const OP_OF: Record<ImageioRequestKind, Op> = { options: 'open', extents: 'extents', checksum: 'checksum', get: 'get', put: 'put', patch: 'zero', other: 'open' };

/** The byte range a GET asked for. */
export function asked(req: RawRequest): [number, number] {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header(req, 'range') ?? '')!;
  return [Number(m[1]), Number(m[2])];
}

/** Answers with a redirect to the same path on the canary; reads a request body first so the socket stays in step. */
export const redirectTo = (status: number) => async (req: RawRequest, _image: Buffer, canary: string) => {
  await requestBody(req);
  const path = req.head.split(' ')[1] ?? '/';
  reply(req.socket, status, { location: `${canary}${path}` });
};

/** Awaits a promise that must fail with a DiskFerryError, and returns that error. */
export async function failure(p: Promise<unknown>): Promise<DiskFerryError> {
  const err = await p.then(
    () => expect.fail('the hostile answer was accepted'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiskFerryError);
  return err as DiskFerryError;
}

/** The URLs the engine would have given. */
export interface TransferUrls {
  readonly transferUrl?: string | null;
  readonly proxyUrl?: string | null;
  readonly signedTicket?: string | null;
}

/** What a test file gets from useImageioHarness(). */
export interface ImageioHarness {
  readonly pki: () => HostilePki;
  readonly canary: () => HostileServer;
  /** A stand-in on 127.0.0.1, closed after the test; `tls` defaults to a certificate of the trusted CA. */
  standIn(options?: Parameters<typeof startStandInImageio>[2], tls?: HostilePki['trusted']): Promise<StandInImageio>;
  /** openImageio trusting only the hostile test CA, logging into `logLines`. */
  open(urls: TransferUrls, logLines: string[], timeouts?: Partial<ImageioTimeouts>): Promise<ImageioSession>;
  /** Runs `op` on a session; GETs go through downloadRanges into `written` (offset → bytes). */
  perform(op: Op, session: ImageioSession, written: Map<number, Buffer>): Promise<void>;
  /** No secret in the message or a log line, and no connection at all to the canary. */
  expectNoLeak(err: DiskFerryError, logLines: readonly string[], secrets?: readonly string[]): void;
}

/** Registers the hooks (certificates and canary once, stand-ins closed after each test). */
export function useImageioHarness(): ImageioHarness {
  let pki: HostilePki;
  let canary: HostileServer;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    pki = await createHostilePki();
    canary = await startCanary(pki);
  });
  afterAll(async () => canary?.close());
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  return {
    pki: () => pki,
    canary: () => canary,
    async standIn(options = {}, tls) {
      const server = await startStandInImageio(tls ?? pki.trusted, randomBytes(SIZE), options);
      closers.push(() => server.close());
      return server;
    },
    async open(urls, logLines, timeouts) {
      const session = await openImageio({
        transferUrl: urls.transferUrl ?? null,
        proxyUrl: urls.proxyUrl ?? null,
        signedTicket: urls.signedTicket ?? null,
        trust: { caPem: [pki.caPem] },
        log: createLog({ level: 'debug', write: (l) => logLines.push(l) }),
        signal: new AbortController().signal,
        retry: RETRY,
        ...(timeouts ? { timeouts } : {}),
      });
      closers.push(() => session.close());
      return session;
    },
    async perform(op, session, written) {
      const signal = new AbortController().signal;
      if (op === 'open') return;
      if (op === 'extents') return void (await session.extents(signal));
      if (op === 'checksum') return void (await session.checksum({}, signal));
      if (op === 'get') {
        await downloadRanges({
          session,
          plan: [{ start: 0, length: SIZE, zero: false }],
          workers: 1,
          pieceSize: 64 * 1024,
          signal,
          sink: { write: async (offset, data) => void written.set(offset, Buffer.from(data)) },
        });
        return;
      }
      const conn = session.connection();
      closers.push(() => conn.close());
      if (op === 'zero') return conn.zero(0, SIZE, signal);
      const source = { read: async (_offset: number, b: Buffer) => (b.fill(0x42), b.length) };
      return conn.put(0, SIZE, { source, buffers: allocPieceBuffers(64 * 1024), flush: false }, signal);
    },
    expectNoLeak(err, logLines, secrets = [TICKET]) {
      expect(canary.tcpConnections(), 'the canary host was contacted').toBe(0);
      for (const s of secrets) {
        expect(err.message).not.toContain(s);
        expect(logLines.join('\n')).not.toContain(s);
      }
    },
  };
}
