/**
 * The hostile-answer matrix of the engine side (REST API, SSO, CA download): each row is one broken
 * or hostile answer from a real TLS server, driven through the real OvirtClient / fetchEngineCa. Each
 * must end in a typed DiskFerryError whose message says what to do, without following anything, and
 * without the password or token reaching another host (a canary on 127.0.0.2 records every
 * connection) or a message or log line. The data-server side is in hostile-imageio.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DiskFerryError } from '../../main/engine/errors.js';
import { createLog } from '../../main/engine/log.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { EngineConnection } from '../../main/engine/ovirt/engine-connection.js';
import { fetchEngineCa } from '../../main/engine/trust/engine-ca.js';
import type { KeyPair } from '../../main/simulator/pki.js';
import { ENGINE_TOKEN, startScriptedEngine, type EngineTarget } from './hostile-engine-server.js';
import { createHostilePki, header, reply, requestLine, startCanary, type HostilePki, type HostileServer, type RawRequest } from './hostile-servers.js';

const PASSWORD = 'pw-canary-7f3a9c2e';
const TOKEN = ENGINE_TOKEN;
const JSON_TYPE = { 'content-type': 'application/json' };

type Target = EngineTarget;

/** One hostile answer: `answer` writes it; `canary` is the canary's origin (for redirects). */
interface Row {
  readonly name: string;
  readonly target: Target;
  readonly answer: (req: RawRequest, canary: string) => void;
  readonly code: DiskFerryError['code'];
  /** The message must say this (what happened and what to do). */
  readonly says: RegExp;
  /** The message names the engine's address (schema checks run after the exchange and do not). */
  readonly named?: false;
  /** A cut answer is a network failure: worth trying again later. */
  readonly retryable?: true;
}

/** Quick retries of GETs, so the rows that cut answers run out of attempts at once. */
const RETRY = { attempts: 3, baseDelayMs: 1, maxDelayMs: 4 };

const redirect = (status: number) => (req: RawRequest, canary: string) => reply(req.socket, status, { location: `${canary}/steal${requestLine(req).split(' ')[1] ?? ''}` });

/** An answer that never ends: chunks of JSON-looking bytes until the client hangs up (well past 8 MiB). */
function endlessJson(req: RawRequest): void {
  const s = req.socket;
  s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
  const chunk = Buffer.from(`100000\r\n${'['.repeat(0x100000)}\r\n`, 'latin1');
  let sent = 0;
  const pump = () => {
    while (!s.destroyed && sent < 64) {
      sent++;
      if (!s.write(chunk)) return void s.once('drain', pump);
    }
  };
  pump();
}

const hostileAnswers = (target: Target, label: string): Row[] => [
  {
    name: `${label}: a Content-Length over the size limit`,
    target,
    answer: (req) => {
      reply(req.socket, 200, JSON_TYPE, '{"a":"', 200 * 1024 * 1024);
    },
    code: 'protocol',
    says: /larger than .*refuses.*Check that the URL points at an oVirt engine/,
  },
  { name: `${label}: an endless JSON body without Content-Length`, target, answer: endlessJson, code: 'protocol', says: /larger than .*Check that the URL/ },
  {
    name: `${label}: a body cut short (the connection closes early)`,
    target,
    answer: (req) => {
      reply(req.socket, 200, JSON_TYPE, '{"access_token": "tok-', 4096);
      req.socket.end();
    },
    code: 'network',
    says: /could not reach the engine .*Check the network/,
    retryable: true,
  },
  { name: `${label}: malformed JSON`, target, answer: (req) => reply(req.socket, 200, JSON_TYPE, '{"access_token": "x", "product_info": '), code: 'protocol', says: /application\/json that is not valid JSON.*Check that the URL/ },
  {
    name: `${label}: an HTML page instead of JSON`,
    target,
    answer: (req) => reply(req.socket, 200, { 'content-type': 'text/html' }, '<html><body>Welcome to the portal</body></html>'),
    code: 'protocol',
    says: /text\/html instead of JSON.*Check that the URL/,
  },
  {
    name: `${label}: an HTML page labelled as JSON`,
    target,
    answer: (req) => reply(req.socket, 200, JSON_TYPE, '<html><body>Login</body></html>'),
    code: 'protocol',
    says: /not valid JSON.*Check that the URL/,
  },
  ...[301, 302, 303, 307, 308].map(
    (status): Row => ({
      name: `${label}: a ${status} redirect to another host`,
      target,
      answer: redirect(status),
      code: 'protocol',
      says: new RegExp(`redirect \\(HTTP ${status}\\), which DiskFerry does not follow.*Use the engine address`),
    }),
  ),
];

const ROWS: Row[] = [
  ...hostileAnswers('sso', 'SSO token endpoint'),
  {
    name: 'SSO token endpoint: JSON that is not a token',
    target: 'sso',
    answer: (req) => reply(req.socket, 200, JSON_TYPE, '{"token_type": "bearer"}'),
    code: 'protocol',
    says: /unexpected answer to the login request.*Check that the URL/,
    named: false,
  },
  ...hostileAnswers('api', 'REST API'),
  {
    name: 'REST API: JSON of the wrong shape',
    target: 'api',
    answer: (req) => reply(req.socket, 200, JSON_TYPE, '{"product_info": {"version": "four"}}'),
    code: 'protocol',
    says: /unexpected answer to the version request.*Check that the URL/,
    named: false,
  },
];

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

/** A scripted engine: correct answers except `target`, which gets `answer`. */
async function startEngine(tls: KeyPair, target: Target | null, answer: Row['answer'] | null): Promise<HostileServer> {
  const server = await startScriptedEngine(tls, pki.caPem, canary.origin, target && answer ? { target, answer } : null);
  closers.push(() => server.close());
  return server;
}

function clientFor(server: HostileServer, logLines: string[], caPem = pki.caPem): OvirtClient {
  const client = new OvirtClient({
    engineUrl: `${server.origin}/ovirt-engine`,
    username: 'admin@internal',
    password: () => PASSWORD,
    trust: { caPem: [caPem] },
    log: createLog({ level: 'debug', write: (l) => logLines.push(l) }),
    retry: RETRY,
  });
  closers.push(() => client.close());
  return client;
}

/** What every row checks about secrets: nothing reached the canary, no secret in the message or the log. */
function expectNoLeak(err: DiskFerryError, logLines: readonly string[]): void {
  expect(canary.tcpConnections(), 'the canary host was contacted').toBe(0);
  for (const secret of [PASSWORD, TOKEN]) {
    expect(err.message).not.toContain(secret);
    expect(logLines.join('\n')).not.toContain(secret);
  }
}

async function failure(p: Promise<unknown>): Promise<DiskFerryError> {
  const err = await p.then(
    () => expect.fail('the hostile answer was accepted'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiskFerryError);
  return err as DiskFerryError;
}

describe('hostile engine answers (REST API and SSO)', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s is refused', async (_name, row) => {
    const engine = await startEngine(pki.trusted, row.target, row.answer);
    const logLines: string[] = [];
    const client = clientFor(engine, logLines);
    const err = await failure(row.target === 'sso' ? client.login() : client.version());
    expect(err.code).toBe(row.code);
    expect(err.retryable).toBe(row.retryable ?? false);
    expect(err.message).toMatch(row.says);
    expect(err.message).toMatch(/Check that the URL points at an oVirt engine|Use the engine address exactly|Check the network/);
    if (row.named !== false) expect(err.message).toContain(engine.address);
    expectNoLeak(err, logLines);
    if (row.target === 'api') {
      // The bad answer was to the API call after a good login: the token went to the engine only.
      // A cut answer (network) is asked for again; a hostile one is not.
      const gets = row.code === 'network' ? RETRY.attempts : 1;
      const lines = engine.requests.map(requestLine).map((l) => l.split(' ').slice(0, 2).join(' '));
      expect(lines).toEqual(['POST /ovirt-engine/sso/oauth/token', ...Array<string>(gets).fill('GET /ovirt-engine/api')]);
      for (const r of engine.requests.slice(1)) expect(header(r, 'authorization')).toBe(`Bearer ${TOKEN}`);
    }
  });

  it('an API answer that drips a byte now and then is given up after one timeout, not waited for', async () => {
    const drip = (req: RawRequest) => {
      const s = req.socket;
      s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{');
      const timer = setInterval(() => (s.destroyed ? clearInterval(timer) : s.write(' ')), 100);
      s.once('close', () => clearInterval(timer));
    };
    const engine = await startEngine(pki.trusted, 'api', drip);
    const logLines: string[] = [];
    const client = new OvirtClient({
      engineUrl: `${engine.origin}/ovirt-engine`,
      username: 'admin@internal',
      password: () => PASSWORD,
      trust: { caPem: [pki.caPem] },
      log: createLog({ level: 'debug', write: (l) => logLines.push(l) }),
      retry: RETRY,
      timeouts: { requestMs: 400 },
    });
    closers.push(() => client.close());
    const err = await failure(client.version());
    expect(err.code).toBe('network');
    expect(err.message).toMatch(/slower than 64 KiB in 400 ms.*Check the network/);
    expectNoLeak(err, logLines);
  });

  it.each([301, 302, 307, 308])('a %i redirect of the logout is not followed and the token stays home', async (status) => {
    const engine = await startEngine(pki.trusted, 'logout', redirect(status));
    const logLines: string[] = [];
    const client = clientFor(engine, logLines);
    await client.login();
    await client.logout(); // never throws: the session idles out anyway
    expect(engine.requests.map(requestLine).some((l) => l.startsWith('POST /ovirt-engine/services/sso-logout'))).toBe(true);
    expect(canary.tcpConnections()).toBe(0);
    expect(logLines.join('\n')).toMatch(/engine logout failed.*redirect/);
    expect(logLines.join('\n')).not.toContain(TOKEN);
  });
});

describe('engine certificates that must not be trusted', () => {
  const TLS_ROWS = [
    { name: 'a certificate for another host name, from the trusted CA', tls: (p: HostilePki) => p.otherName, says: /for another name.*other\.example.*do not continue/ },
    { name: 'a certificate from another CA', tls: (p: HostilePki) => p.otherCa, says: /the trusted CA did not sign.*Some Other CA.*do not continue/ },
  ];

  it.each(TLS_ROWS.map((r) => [r.name, r] as const))('%s: the login stops before anything is sent', async (_name, row) => {
    const engine = await startEngine(row.tls(pki), null, null);
    const logLines: string[] = [];
    const err = await failure(clientFor(engine, logLines).login());
    expect(err.code).toBe('tls-untrusted');
    expect(err.message).toMatch(row.says);
    expect(err.message).toContain(engine.address);
    // The handshake failed on our side, so not one byte of HTTP (and no password) reached the server.
    expect(engine.requests).toHaveLength(0);
    expect(engine.received()).toBe('');
    expectNoLeak(err, logLines);
  });

  it.each([
    ['a certificate for another host name, from the trusted CA', (p: HostilePki) => p.otherName, /is for another name.*127\.0\.0\.3.*Use the engine address exactly/],
    ['a certificate from another CA', (p: HostilePki) => p.otherCa, /not trusted.*Trust the engine's CA/],
  ] as const)('%s: a REST call without an explicit login is refused too', async (_name, tls, says) => {
    const engine = await startEngine(tls(pki), null, null);
    const logLines: string[] = [];
    const err = await failure(clientFor(engine, logLines).version());
    expect(err.code).toBe('tls-untrusted');
    expect(err.message).toMatch(says);
    expect(engine.received()).toBe('');
    expectNoLeak(err, logLines);
  });
});

describe('hostile answers to the engine CA download', () => {
  const CA_ROWS: Array<[string, Row['answer'], RegExp]> = [
    ['an HTML page', (req) => reply(req.socket, 200, { 'content-type': 'text/html' }, '<html>portal</html>'), /did not answer with a CA certificate.*import the CA file/],
    ['a leaf certificate', (req) => reply(req.socket, 200, {}, pki.trusted.cert), /not a CA certificate.*import the CA file/],
    ['a Content-Length over the size limit', (req) => reply(req.socket, 200, {}, '-----BEGIN', 50 * 1024 * 1024), /larger than/],
    ['a 302 redirect to another host', redirect(302), /redirect \(HTTP 302\), which DiskFerry does not follow/],
  ];

  it.each(CA_ROWS)('%s is refused', async (_name, answer, says) => {
    const engine = await startEngine(pki.trusted, 'ca', answer);
    const err = await failure(fetchEngineCa(`${engine.origin}/ovirt-engine`));
    expect(err.code).toBe('protocol');
    expect(err.message).toMatch(says);
    expect(canary.tcpConnections()).toBe(0);
  });
});

describe('bytes after the end of an engine answer', () => {
  it('are neither part of that answer nor taken as the next one on the same connection', async () => {
    let n = 0;
    const engine = await startScriptedEngine(pki.trusted, pki.caPem, canary.origin, {
      target: 'api',
      answer: (req) => {
        const body = JSON.stringify({ answer: ++n });
        // A smuggled second answer after the real one: a client reading it as the next answer would get {"answer":"smuggled"}.
        const smuggled = '{"answer":"smuggled"}';
        req.socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        req.socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${smuggled.length}\r\n\r\n${smuggled}`);
      },
    });
    closers.push(() => engine.close());
    const conn = new EngineConnection({
      engineUrl: `${engine.origin}/ovirt-engine`,
      username: 'admin@internal',
      password: () => PASSWORD,
      trust: { caPem: [pki.caPem] },
      log: createLog({ level: 'debug', write: () => {} }),
    });
    closers.push(() => conn.close());
    const call = () => conn.call({ method: 'GET', path: '', what: 'Reading the engine version' });
    expect(await call()).toEqual({ answer: 1 });
    expect(await call()).toEqual({ answer: 2 });
    expect(engine.requests.filter((r) => requestLine(r).startsWith('GET /ovirt-engine/api '))).toHaveLength(2);
  });
});
