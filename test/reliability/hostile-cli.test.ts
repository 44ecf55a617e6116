/**
 * The `diskferry login` command against a hostile engine, in process through main(): the user sees
 * a clear refusal and a failing exit code, nothing is saved, and the password reaches neither the
 * output, nor another host (the canary), nor a server whose certificate the trusted CA did not sign.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_FAILED, main } from '../../main/cli/index.js';
import { fingerprintOf } from '../../main/simulator/pki.js';
import { startScriptedEngine, type EngineTarget, type EngineAnswer } from './hostile-engine-server.js';
import { createHostilePki, reply, requestLine, startCanary, type HostilePki, type HostileServer } from './hostile-servers.js';
import { capture, CLI_PORTS } from '../integration/capture.js';

const PASSWORD = 'pw-cli-canary-91d0c7';

let pki: HostilePki;
let canary: HostileServer;
let dir: string;
let passwordFile: string;
const env = process.env;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  pki = await createHostilePki();
  canary = await startCanary(pki);
  dir = await mkdtemp(join(tmpdir(), 'diskferry-hostile-cli-'));
  passwordFile = join(dir, 'pw');
  await writeFile(passwordFile, `${PASSWORD}\n`);
  process.env = { ...env, DISKFERRY_CONFIG_DIR: join(dir, 'config') };
  delete process.env['DISKFERRY_PASSWORD'];
});
afterAll(async () => {
  process.env = env;
  await canary?.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function engine(tls: HostilePki['trusted'], hostile: { target: EngineTarget; answer: EngineAnswer } | null): Promise<HostileServer> {
  const server = await startScriptedEngine(tls, pki.caPem, canary.origin, hostile);
  closers.push(() => server.close());
  return server;
}

async function login(server: HostileServer): Promise<{ code: number; output: string }> {
  const stdout = capture();
  const stderr = capture();
  const argv = ['login', '--engine', `${server.origin}/ovirt-engine`, '--username', 'admin@internal', '--password-file', passwordFile, '--trust-fingerprint', fingerprintOf(pki.caPem)];
  const code = await main(argv, { stdout, stderr }, CLI_PORTS);
  return { code, output: stdout.text() + stderr.text() };
}

async function expectNothingSaved(): Promise<void> {
  const saved = await readFile(join(dir, 'config', 'engines.json'), 'utf8').catch(() => '');
  expect(saved).not.toContain('127.0.0.1');
  expect(saved).not.toContain(PASSWORD);
}

describe('diskferry login against a hostile engine', () => {
  it.each([302, 307, 308])('an SSO token endpoint answering %i: exit 1, nothing followed, nothing saved', async (status) => {
    const server = await engine(pki.trusted, { target: 'sso', answer: (req, to) => reply(req.socket, status, { location: `${to}/steal` }) });
    const r = await login(server);
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.output).toMatch(new RegExp(`redirect \\(HTTP ${status}\\), which DiskFerry does not follow`));
    expect(r.output).not.toContain(PASSWORD);
    expect(canary.tcpConnections()).toBe(0);
    await expectNothingSaved();
  });

  it('an HTML page from the REST API: exit 1 with what to check', async () => {
    const server = await engine(pki.trusted, { target: 'api', answer: (req) => reply(req.socket, 200, { 'content-type': 'text/html' }, '<html>portal</html>') });
    const r = await login(server);
    expect(r.code).toBe(EXIT_FAILED);
    expect(r.output).toMatch(/text\/html instead of JSON\. Check that the URL points at an oVirt engine/);
    expect(r.output).not.toContain(PASSWORD);
    await expectNothingSaved();
  });

  it.each([
    ['a certificate from another CA', (p: HostilePki) => p.otherCa, /the trusted CA did not sign/],
    ['a certificate for another name', (p: HostilePki) => p.otherName, /for another name/],
  ] as const)('%s: the login stops before the password is sent', async (_name, tls, says) => {
    const server = await engine(tls(pki), null);
    const r = await login(server);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(says);
    expect(r.output).not.toContain(PASSWORD);
    // Only the CA download (unverified on purpose, and carrying nothing secret) reached the server.
    expect(server.requests.map((q) => requestLine(q).split('?')[0])).toEqual(['GET /ovirt-engine/services/pki-resource']);
    expect(server.received()).not.toContain(PASSWORD);
    await expectNothingSaved();
  });
});
