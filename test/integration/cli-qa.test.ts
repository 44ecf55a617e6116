/**
 * The command line as an oVirt administrator uses it: engine addresses copied from the API
 * (`…/api/v4`), per-command --help, disk searches with spaces, option checks, --json output that a
 * script can follow to the end (usage errors, interrupts and which item failed), and messages that
 * say what to do without repeating a secret.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/index.js';
import { capture, CLI_PORTS, interruptWhenTransferring, jsonEvents, runCli, startCliHarness } from './capture.js';
import { makeSparseImage, MiB, SMALL_RUNS, SMALL_SIZE, seededDiskId, type Harness } from './helpers.js';

describe('diskferry command line, as an administrator uses it', () => {
  let h: Harness;
  let pw: string;
  let close: (() => Promise<void>) | undefined;
  const run = runCli;
  const events = jsonEvents;

  beforeAll(async () => {
    ({ h, pw, close } = await startCliHarness());
  });
  afterAll(async () => close?.());

  it('logs in with the API address as the engine shows it (…/ovirt-engine/api/v4)', async () => {
    const r = await run('login', '--engine', `${h.sim.engineUrl}/api/v4`, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint, '--json');
    expect(r.err).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    expect(events(r.out).at(-1)).toMatchObject({ event: 'result', engine_url: h.sim.engineUrl });
  });

  it('takes a bare host name as https, and refuses an http or malformed address as a usage error', async () => {
    const host = new URL(h.sim.engineUrl).host;
    const r = await run('login', '--engine', host, '--username', h.sim.username, '--password-file', pw, '--trust-fingerprint', h.sim.caFingerprint, '--name', 'bare', '--json');
    expect(r.code, r.err).toBe(0);
    expect(events(r.out).at(-1)).toMatchObject({ event: 'result', profile: 'bare', engine_url: h.sim.engineUrl });
    const http = await run('login', '--engine', `http://${host}/ovirt-engine`, '--username', h.sim.username, '--password-file', pw);
    expect(http.code).toBe(2);
    expect(http.err).toMatch(/^diskferry: The engine address must start with https:\/\//);
    const bad = await run('login', '--engine', 'https://engine example', '--username', h.sim.username, '--password-file', pw);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/is not a valid engine address/);
  });

  it('says how to trust the CA when there is no terminal to ask on', async () => {
    const r = await run('login', '--engine', h.sim.engineUrl, '--username', h.sim.username, '--password-file', pw, '--name', 'untrusted');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no terminal .*--trust-fingerprint FP/);
  });

  it('prints its version, the one in package.json', async () => {
    const pkg = JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V', 'version']) {
      const r = await run(flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`diskferry ${pkg.version}\n`);
    }
  });

  it('prints the usage of one command for COMMAND --help, without needing an engine', async () => {
    const up = await run('upload', '--help');
    expect(up.code).toBe(0);
    expect(up.out).toContain('diskferry upload FILE… --storage-domain NAME');
    expect(up.out).not.toContain('diskferry download');
    expect(up.out).toContain('Options for every command:');
    const sd = await run('storage-domains', '-h', '--profile', 'no-such-profile');
    expect(sd.code).toBe(0);
    expect(sd.out).toContain('diskferry storage-domains');
    const dl = await run('help', 'download');
    expect(dl.code).toBe(0);
    expect(dl.out).toContain('--format raw|qcow2');
    expect(dl.out).toContain('--transfer-url URL');
  });

  it('finds a disk whose name has a space, and keeps * as a wildcard', async () => {
    const src = join(h.dir, 'spaced.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
    const up = await run('upload', src, '--storage-domain', 'data-nfs', '--name', 'web 02 data', '--quiet', '--password-file', pw);
    expect(up.code).toBe(0);
    const r = await run('disks', '--search', 'web 02 data', '--password-file', pw);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^web 02 data +[0-9a-f-]{36} /m);
    const wild = await run('disks', '--search', 'fedora-40*', '--json', '--password-file', pw);
    expect(wild.code).toBe(0);
    expect(events(wild.out).map((d) => d['name'])).toEqual(['fedora-40-root']);
  });

  it('logs to a --log-file, and says once on stderr when it cannot write there', async () => {
    const file = join(h.dir, 'run.log');
    const ok = await run('disks', '--log-file', file, '--password-file', pw);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toBe('');
    expect(JSON.parse((await readFile(file, 'utf8')).split('\n')[0]!)).toMatchObject({ level: 'info', message: 'diskferry started' });
    const missing = join(h.dir, 'no-such-folder', 'run.log');
    const bad = await run('disks', '--log-file', missing, '--log-level', 'debug', '--password-file', pw);
    expect(bad.code, bad.err).toBe(0);
    expect(bad.err).toMatch(new RegExp(`^diskferry: cannot write the log file ${missing} \\(.*ENOENT.*\\): this run is not logged there\\. Check the path and its folder\\.\n$`));
  });

  it('says to quote a window split from its days by the shell', async () => {
    const r = await run('queue', 'run', '--window', 'mon', '01:00-02:00');
    expect(r.code).toBe(2);
    expect(r.err).toBe("diskferry: A window with its days is one argument: quote it, as in --window 'mon 01:00-02:00'.\n");
  });

  it('refuses a --max that is not a whole number before asking the engine', async () => {
    const r = await run('disks', '--max', 'ten', '--password-file', pw);
    expect(r.code).toBe(2);
    expect(r.err).toBe("diskferry: --max must be a whole number of at least 1, not 'ten'.\n");
  });

  it('names a mistyped option without Node’s advice about positionals', async () => {
    const r = await run('disks', '--serach', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toBe("diskferry: Unknown option '--serach'. Run diskferry COMMAND --help for the command's options.\n");
  });

  it('refuses a --transfer-url that is not an https address as a usage error, without repeating it', async () => {
    const r = await run('download', '--transfer-url', 'images/0a1b2c3d-secret-ticket', '--ca-file', h.sim.caFile, '--output', join(h.dir, 'dp.raw'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--transfer-url must be the https:\/\/ address of an imageio ticket/);
    expect(r.err).not.toContain('secret-ticket');
  });

  it('keeps the log\'s warnings (here: the fall back to the proxy) off stderr with --quiet', async () => {
    const src = join(h.dir, 'quiet.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
    h.sim.faults.transferUrlUnreachable = true;
    try {
      const loud = await run('upload', src, '--storage-domain', 'data-nfs', '--name', 'loud-via-proxy', '--password-file', pw);
      expect(loud.code, loud.err).toBe(0);
      expect(loud.err).toMatch(/ WARN imageio: server unreachable/);
      const quiet = await run('upload', src, '--storage-domain', 'data-nfs', '--name', 'quiet-via-proxy', '--quiet', '--password-file', pw);
      expect(quiet.code, quiet.err).toBe(0);
      expect(quiet.out).toMatch(/^Uploaded .*quiet\.raw to disk 'quiet-via-proxy' .*through the engine proxy/);
      expect(quiet.err).toBe('');
    } finally {
      h.resetFaults();
    }
  });

  it('says why an ISO domain cannot take an upload, in plain words', async () => {
    const src = join(h.dir, 'to-iso.raw');
    await makeSparseImage(src, SMALL_SIZE, SMALL_RUNS);
    const r = await run('upload', src, '--storage-domain', 'iso-old', '--name', 'to-iso', '--quiet', '--password-file', pw);
    expect(r.code).toBe(1);
    expect(r.err).toContain('diskferry: iso-old is not a data domain (its type is iso); disks, ISO images included, can be uploaded only to data domains.');
  });

  // Root may write anywhere, so this runs only as an ordinary user (as CI does).
  it.skipIf(process.getuid?.() === 0)('refuses an --output folder it cannot write to before opening a transfer', async () => {
    const out = join(h.dir, 'read-only');
    await mkdir(out, { mode: 0o555 });
    const before = h.sim.engine.state.transfers.size;
    const r = await run('download', 'web-01-disk1', '--output', out, '--password-file', pw);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`diskferry: --output ${out} is a folder you cannot write to. Choose another, or fix its permissions.\n`);
    expect(h.sim.engine.state.transfers.size).toBe(before);
  });

  it('on a terminal, ends the progress bar before printing the result', async () => {
    const out = join(h.dir, 'tty');
    await mkdir(out);
    const both: string[] = [];
    const stdout = capture((t) => both.push(t));
    const stderr = Object.assign(capture((t) => both.push(t)), { isTTY: true, columns: 0 });
    const code = await main(['download', 'web-01-disk1', '--output', out, '--password-file', pw], { stdout, stderr }, CLI_PORTS);
    expect(code).toBe(0);
    const text = both.join('');
    const at = text.indexOf("Downloaded disk 'web-01-disk1'");
    expect(at).toBeGreaterThan(0);
    expect(text[at - 1]).toBe('\n');
    // 0 columns (a pseudo-terminal without a size) is taken as unknown, not as 40.
    expect(text).toMatch(/\r\[ *\d+% \] web-01-disk1, .{60,}/);
  });

  it('with --json, ends a usage error with an error event on stdout', async () => {
    const r = await run('download', 'fedora-40-root', '--output', join(h.dir, 'no-such-folder'), '--json', '--password-file', pw);
    expect(r.code).toBe(2);
    expect(events(r.out)).toEqual([{ event: 'error', code: 'usage', message: expect.stringContaining('is not an existing folder') as string, retryable: false }]);
  });

  it('with --json, ends an unknown command or a mistyped option with a usage error event too', async () => {
    for (const argv of [['frobnicate', '--json'], ['disks', '--serch', 'x', '--json']]) {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(events(r.out)).toEqual([expect.objectContaining({ event: 'error', code: 'usage', retryable: false })]);
    }
  });

  it('checks the storage domain once before any file: one error for a wrong one, no notes before it', async () => {
    const a = join(h.dir, 'two-a.raw');
    const b = join(h.dir, 'two-b.raw');
    await makeSparseImage(a, SMALL_SIZE, SMALL_RUNS);
    await makeSparseImage(b, SMALL_SIZE, SMALL_RUNS);
    const r = await run('upload', a, b, '--storage-domain', 'no-such-domain', '--password-file', pw, '--quiet');
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/^diskferry: The engine has no storage domain 'no-such-domain'\. Known storage domains: .*data-nfs/)]);
  });

  it('with --json, names the disk an error event is about', async () => {
    const out = join(h.dir, 'named-errors');
    await mkdir(out);
    const r = await run('download', 'no-such-disk', 'web-01-disk1', '--output', out, '--json', '--password-file', pw);
    expect(r.code).toBe(1);
    const all = events(r.out);
    expect(all.find((e) => e['event'] === 'error')).toMatchObject({ name: 'no-such-disk', code: 'not-found' });
    expect(all.find((e) => e['event'] === 'result')).toMatchObject({ disk_name: 'web-01-disk1' });
  });

  it('refuses to download over an existing file and says how to go on; --overwrite replaces it', async () => {
    const out = join(h.dir, 'existing');
    await mkdir(out);
    await writeFile(join(out, 'web-01-disk1.raw'), 'keep me');
    const r = await run('download', 'web-01-disk1', '--output', out, '--password-file', pw, '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/web-01-disk1\.raw already exists\. Download to another folder, or choose to replace it or to keep both \(--if-exists overwrite or rename on the command line\)\./);
    const again = await run('download', 'web-01-disk1', '--output', out, '--password-file', pw, '--quiet', '--overwrite');
    expect(again.code, again.err).toBe(0);
  });

  it('says to shut the VM down, or to back it up while it runs, when the disk is attached to a running one', async () => {
    const out = join(h.dir, 'running-vm');
    await mkdir(out);
    const r = await run('download', 'vm-running-disk', '--output', out, '--password-file', pw, '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/non-Down VMs: app-01.*Shut the VM down \(or detach the disk from it\), then try again; or back it up while it runs: diskferry backup app-01 --output DIR\./);
  });

  it('with --json, ends an interrupted download with an error event; the transfer is finalized (exit 130)', async () => {
    const out = join(h.dir, 'interrupted');
    await mkdir(out);
    h.sim.faults.bandwidthBytesPerSecond = 4 * MiB;
    const { stdout, stderr, interrupted } = interruptWhenTransferring();
    try {
      const code = await main(['download', 'fedora-40-root', '--output', out, '--json', '--password-file', pw], { stdout, stderr }, CLI_PORTS);
      expect(interrupted()).toBe(true);
      expect(code).toBe(130);
      const all = events(stdout.text());
      // What was kept and how to go on: the engine's message, no longer hidden behind a bare "interrupted".
      const message = 'Interrupted. The download was cancelled. The partial file ' + join(out, 'fedora-40-root.raw.part') + ' was kept; run the same download again to continue where it stopped.';
      expect(all.at(-1)).toEqual({ event: 'error', code: 'interrupted', message, retryable: false });
      expect(stderr.text().endsWith(`\ndiskferry: ${message}\n`)).toBe(true);
      const id = seededDiskId('fedora-40-root');
      const transfers = [...h.sim.engine.state.transfers.values()].filter((t) => t.diskId === id);
      expect(transfers.at(-1)?.phase).toBe('finished_success');
    } finally {
      h.resetFaults();
    }
  });
});
