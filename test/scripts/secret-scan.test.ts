/**
 * The secrets scan of scripts/test-unit.ts finds what it must: a real simulator records its secrets
 * in a ledger of this test's own (so the suite-wide scan does not see them), secrets are planted in
 * files the way a leak would put them, and the scan must report each (file, line, kind) without
 * printing the secret — and let off only a password in a file named as a password file, and a token
 * in the command line's kept sessions. Also: the
 * setup file that keeps what tests delete keeps it.
 */
import { request } from 'node:https';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { link, open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPreserveOnRemove } from '../../scripts/preserve-on-remove.js';
import { looksLikeText, readLedger, scanForSecrets, SecretMatcher, type Secret } from '../../scripts/secret-scan.js';
import { installSecretLedger, SECRET_LEDGER_ENV } from '../simulator/secret-ledger.js';
import { startSimulator } from '../../main/simulator/simulator.js';

/** Logs in to the simulator's SSO; resolves with the access token. */
function login(engineUrl: string, caPem: string, username: string, password: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'password', scope: 'ovirt-app-api', username, password }).toString();
  return new Promise((resolve, reject) => {
    const req = request(`${engineUrl}/sso/oauth/token`, { method: 'POST', ca: caPem, headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { access_token?: string };
        if (json.access_token) resolve(json.access_token);
        else reject(new Error(`login failed with HTTP ${res.statusCode}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('secret scan', () => {
  let dir: string;
  let secrets: Secret[];
  let password: string;
  let token: string;

  beforeAll(async () => {
    installSecretLedger();
    dir = await mkdtemp(join(tmpdir(), 'diskferry-scan-'));
    const saved = process.env[SECRET_LEDGER_ENV];
    process.env[SECRET_LEDGER_ENV] = join(dir, 'ledger.jsonl');
    try {
      const sim = await startSimulator({ fast: true, seed: false });
      try {
        password = sim.password;
        token = await login(sim.engineUrl, sim.caPem, sim.username, sim.password);
      } finally {
        await sim.close();
      }
    } finally {
      if (saved === undefined) delete process.env[SECRET_LEDGER_ENV];
      else process.env[SECRET_LEDGER_ENV] = saved;
    }
    secrets = await readLedger(join(dir, 'ledger.jsonl'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gets the password, the Basic credentials and the token from the simulator', () => {
    const kinds = new Map(secrets.map((s) => [s.value, s.kind]));
    expect(kinds.get(password)).toBe('password');
    expect(kinds.get(token)).toBe('access-token');
    expect([...kinds.values()]).toContain('basic-credentials');
  });

  it('reports each planted secret by file, line and kind, never by value, and lets off only password files and the kept sessions', async () => {
    const out = join(dir, 'out');
    await mkdir(join(out, 'logs'), { recursive: true });
    await writeFile(join(out, 'logs', 'run.log'), `start\nGET /api ok\nPOST /api/disks Authorization: Bearer ${token}\nend\n`);
    await writeFile(join(out, 'report.json'), JSON.stringify({ outcome: 'completed', engine: 'https://127.0.0.1/ovirt-engine' }));
    await writeFile(join(out, 'pw'), password + '\n');
    await writeFile(join(out, 'admin.pw'), password);
    await writeFile(join(out, 'pw-copy.txt'), `password=${password}`);
    await mkdir(join(out, 'config'));
    await writeFile(join(out, 'config', 'pw'), token);
    // The command line's kept sessions may hold a token, not a password.
    await writeFile(join(out, 'config', 'engine-sessions.json'), JSON.stringify({ sessions: [{ token }] }));
    await writeFile(join(out, 'engine-sessions.json'), JSON.stringify({ password }));
    await writeFile(join(out, 'image.raw'), Buffer.concat([Buffer.alloc(4096), Buffer.from(token), Buffer.alloc(4096)]));
    await writeFile(join(out, `cache-${token}.json`), '{}');
    await writeFile(join(out, 'huge.log'), 'x'.repeat(200_000) + token);
    await writeFile(join(out, 'big-text.log'), 'x\n'.repeat(20_000) + token);
    await writeFile(join(out, 'big-image.raw'), Buffer.concat([Buffer.alloc(20_000), Buffer.from(token)]));

    const scan = await scanForSecrets([out], secrets, { maxFileBytes: 100_000, alwaysScanBytes: 10_000 });
    const found = scan.findings.map((f) => `${relative(out, f.file)}:${f.line}:${f.kind}`).sort();
    expect(found).toEqual(
      [
        'big-text.log:20001:access-token',
        'cache-<access-token>.json:0:access-token',
        'config/pw:1:access-token',
        'engine-sessions.json:1:password',
        'image.raw:1:access-token',
        'logs/run.log:3:access-token',
        'pw-copy.txt:1:password',
      ].sort(),
    );
    expect(scan.filesExempted).toBe(3);
    expect(scan.filesSkipped).toBe(2);
    expect(scan.filesScanned).toBe(11);
    const printed = JSON.stringify(scan);
    expect(printed).not.toContain(token);
    expect(printed).not.toContain(password);
  });

  it('reads of a big file only what can hold a secret, and a file with several names once, reporting each name', async () => {
    const out = join(dir, 'out-big');
    await mkdir(join(out, 'removed', '1'), { recursive: true });
    await mkdir(join(out, 'removed', '2'), { recursive: true });
    const MiB = 1024 * 1024;
    // Each kind of file a test writes that the scan must read, a secret planted in each.
    await writeFile(join(out, 'queue.json'), JSON.stringify({ version: 2, jobs: [{ id: 'j', error: { message: `failed at ${token}` } }] }));
    await writeFile(join(out, 'disk.raw.part.journal'), JSON.stringify({ version: 1, note: password }).padEnd(65536, ' '));
    await writeFile(join(out, 'report.csv'), `job,outcome\nj,failed: ${token}\n`);
    await writeFile(join(out, 'vitest-output.log'), `\u001b[32m✓\u001b[39m ok\nAuthorization: Bearer ${token}\n`);
    // A sparse 8 MiB log: 1 MiB of lines, a 6 MiB hole, the secret on the line after it.
    const sparse = join(out, 'sparse.log');
    const fh = await open(sparse, 'w');
    try {
      await fh.write('line\n'.repeat(MiB / 5), 0);
      await fh.write(`after the hole ${token}\n`, 7 * MiB);
      await fh.truncate(8 * MiB);
    } finally {
      await fh.close();
    }
    // The simulator's volume: 8 MiB of its 0x01 pattern with a token in it, payload and not text.
    await writeFile(join(out, 'volume.img'), Buffer.concat([Buffer.alloc(4 * MiB, 1), Buffer.from(token), Buffer.alloc(4 * MiB, 1)]));
    // A removed log the suite kept twice (two removals of its folder): one file, two names.
    await writeFile(join(out, 'removed', '1', 'run.log'), `start\n${token}\n`);
    await link(join(out, 'removed', '1', 'run.log'), join(out, 'removed', '2', 'run.log'));

    const scan = await scanForSecrets([out], secrets);
    const found = scan.findings.map((f) => `${relative(out, f.file)}:${f.line}:${f.kind}`).sort();
    expect(found).toEqual(
      [
        'disk.raw.part.journal:1:password',
        'queue.json:1:access-token',
        'removed/1/run.log:2:access-token',
        'removed/2/run.log:2:access-token',
        'report.csv:2:access-token',
        'sparse.log:209716:access-token',
        'vitest-output.log:2:access-token',
      ].sort(),
    );
    expect(scan.filesSkipped).toBe(1);
    expect(scan.filesScanned).toBe(7);
    expect(scan.filesLinked).toBe(1);
    // Of the sparse log its data only (1 MiB and the last block, 4 KiB on most file systems; at most
    // the whole file where the file system cannot tell), of the linked log one copy, of the volume nothing.
    const small = (await Promise.all(['queue.json', 'disk.raw.part.journal', 'report.csv', 'vitest-output.log', 'removed/1/run.log'].map((n) => readFile(join(out, n))))).reduce((sum, b) => sum + b.length, 0);
    expect(scan.bytesScanned).toBeGreaterThan(small + MiB);
    expect(scan.bytesScanned).toBeLessThanOrEqual(small + 8 * MiB + 1);
    if (process.platform === 'linux') expect(scan.bytesScanned).toBeLessThan(small + 2 * MiB);
  });

  it('tells text from disk payload by the first bytes', () => {
    expect(looksLikeText(Buffer.from('2026-12-06 INFO started\n\u001b[33mwarn\u001b[39m\ttab\r\n'))).toBe(true);
    expect(looksLikeText(Buffer.from('Grüße, 日本語のエラー\n'))).toBe(true);
    expect(looksLikeText(Buffer.alloc(65536, 1))).toBe(false);
    expect(looksLikeText(Buffer.concat([Buffer.from('text'.repeat(1000)), Buffer.alloc(1)]))).toBe(false);
    expect(looksLikeText(Buffer.concat([Buffer.from('a'.repeat(850)), Buffer.alloc(150, 2)]))).toBe(false);
    expect(looksLikeText(Buffer.concat([Buffer.from('a'.repeat(950)), Buffer.alloc(50, 2)]))).toBe(true);
  });

  it('finds a secret anywhere in a text among thousands, including ones sharing a prefix', () => {
    const many: Secret[] = Array.from({ length: 5000 }, () => ({ kind: 'ticket-id', value: randomBytes(16).toString('hex') }));
    const twin = { kind: 'access-token', value: many[0]!.value.slice(0, 10) + 'twin-suffix' };
    const short = { kind: 'password', value: 'pw1' };
    const matcher = new SecretMatcher([...many, twin, short]);
    expect(matcher.searched).toBe(5001);
    expect(matcher.tooShort).toBe(1);
    const filler = 'lorem ipsum 0123456789abcdef '.repeat(20_000);
    const text = many[4999]!.value + filler + twin.value + filler + many[0]!.value;
    const hits = matcher.find(text).map((h) => h.secret.value);
    expect(hits.sort()).toEqual([many[0]!.value, many[4999]!.value, twin.value].sort());
    expect(matcher.find(filler + 'pw1')).toEqual([]);
  });

  it('keeps what is removed under the temp root, and only that', async () => {
    const root = await mkdtemp(join(tmpdir(), 'diskferry-preserve-'));
    const into = join(root, '..', `${root.split('/').pop()!}-kept`);
    const uninstall = installPreserveOnRemove(root, into);
    try {
      await mkdir(join(root, 'run', 'logs'), { recursive: true });
      await writeFile(join(root, 'run', 'logs', 'queue.log'), 'line\n');
      await writeFile(join(root, 'run', 'disk.raw'), Buffer.alloc(2 * 1024 * 1024));
      // A simulator volume: its pattern of 0x01 bytes holds no NUL, and is no text either.
      await writeFile(join(root, 'run', 'volume.img'), Buffer.alloc(2 * 1024 * 1024, 1));
      await writeFile(join(root, 'run', 'big.log'), 'a log line\n'.repeat(200_000));
      await rm(join(root, 'run'), { recursive: true, force: true });
      mkdirSync(join(root, 'sync'));
      writeFileSync(join(root, 'sync', 'report.json'), '{}');
      rmSync(join(root, 'sync'), { recursive: true });
      const kept = (await readdir(into, { recursive: true })).map(String);
      expect(kept.filter((p) => p.endsWith('queue.log') || p.endsWith('report.json')).length).toBe(2);
      expect(kept.filter((p) => p.endsWith('disk.raw') || p.endsWith('volume.img'))).toEqual([]);
      expect(kept.filter((p) => p.endsWith('big.log')).length).toBe(1);
      const log = kept.find((p) => p.endsWith('queue.log'))!;
      expect(await readFile(join(into, log), 'utf8')).toBe('line\n');
      await expect(readdir(join(root, 'run'))).rejects.toThrow();
    } finally {
      uninstall();
      await rm(root, { recursive: true, force: true });
      await rm(into, { recursive: true, force: true });
    }
  });
});
