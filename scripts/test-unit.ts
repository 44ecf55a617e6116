/**
 * `tsx scripts/test-unit.ts [vitest args…]` — the unit and integration suite (`vitest run`) followed
 * by the secrets scan (docs/security.md, "The secrets scan of the test suite").
 *
 * In a fresh folder it gives vitest: TMPDIR (every temp folder a test makes lands there), the
 * simulator's secret ledger (DISKFERRY_SECRET_LEDGER: every password, token, ticket and ticket URL
 * the simulator issued or accepted) and an artifacts folder (DISKFERRY_TEST_ARTIFACTS) holding the
 * captured output and hard links to what tests deleted (scripts/preserve-on-remove.ts). After vitest,
 * it searches the captured output, the artifacts and the temp folder for every ledger entry.
 * Exit: vitest's code when nothing leaked; 1 with the list of files and kinds (never the secret) when
 * something did. The folder is removed unless something leaked or DISKFERRY_KEEP_TEST_OUTPUT=1.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLedger, scanForSecrets } from './secret-scan.js';
import { errorMessage } from '../main/engine/errors.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

async function runVitest(args: readonly string[], env: NodeJS.ProcessEnv, outputFile: string): Promise<number> {
  const out = createWriteStream(outputFile);
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(ROOT, 'scripts/vitest.secrets.config.ts'), ...args], {
    cwd: ROOT,
    env,
    stdio: ['inherit', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    out.write(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    out.write(chunk);
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolveExit) => child.on('close', (c, signal) => resolveExit(c ?? (signal ? 128 : 1))));
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  await new Promise<void>((r) => out.end(r));
  return code;
}

async function main(): Promise<number> {
  const base = await mkdtemp(join(tmpdir(), 'diskferry-test-run-'));
  const tmp = join(base, 'tmp');
  const artifacts = join(base, 'artifacts');
  const preserved = join(artifacts, 'removed-by-tests');
  const ledger = join(base, 'secret-ledger.jsonl');
  await Promise.all([mkdir(tmp), mkdir(preserved, { recursive: true })]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: tmp,
    DISKFERRY_SECRET_LEDGER: ledger,
    DISKFERRY_TEST_ARTIFACTS: artifacts,
    DISKFERRY_TEST_TMP_ROOT: tmp,
    DISKFERRY_TEST_PRESERVE_DIR: preserved,
    ...(process.stdout.isTTY && process.env['NO_COLOR'] === undefined ? { FORCE_COLOR: '1' } : {}),
  };
  const vitestCode = await runVitest(process.argv.slice(2), env, join(artifacts, 'vitest-output.log'));

  const started = performance.now();
  const secrets = await readLedger(ledger);
  const scan = await scanForSecrets([artifacts, tmp], secrets);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const kinds = [...new Set(secrets.map((s) => s.kind))].sort().join(', ') || 'none';
  const say = (line: string) => process.stderr.write(`secret scan: ${line}\n`);
  say(
    `${scan.filesScanned} files (${(scan.bytesScanned / 1024 / 1024).toFixed(1)} MiB read, ${scan.filesLinked} of them further names of a file already read) searched for ${scan.secretsSearched} secrets (${kinds}) in ${seconds} s; ` +
      `${scan.filesSkipped} large or special files skipped, ${scan.filesExempted} deliberate holders (password files, kept sessions) let off, ${scan.secretsTooShort} values too short to search.`,
  );
  if (secrets.length === 0) say('the ledger is empty: no test started the simulator, so there was nothing to look for.');
  const keep = scan.findings.length > 0 || process.env['DISKFERRY_KEEP_TEST_OUTPUT'] === '1';
  if (scan.findings.length > 0) {
    say(`LEAK: a secret the tests used is in the suite's output (${scan.findings.length} findings; the values are not shown):`);
    for (const f of scan.findings) say(`  ${relative(base, f.file)}:${f.line}: ${f.kind}`);
    say(`the files are kept in ${base}`);
  } else if (keep) say(`the output is kept in ${base}`);
  if (!keep) await rm(base, { recursive: true, force: true });
  if (scan.findings.length > 0) return 1;
  if (vitestCode === 0) say('no secret found.');
  return vitestCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`test-unit: ${errorMessage(err)}\n`);
    process.exit(1);
  },
);
