/**
 * The installed `diskferry` command (`bin/diskferry.js`), executed as a user's shell does, through
 * its `#!` line: node starts with the flags that line gives (the young generation's cap), and the
 * command line's exit code comes back. The compiled CLI is replaced by a stand-in that reports what
 * node was started with, so the test needs no build.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'df-bin-'));
  await mkdir(join(dir, 'bin'));
  await mkdir(join(dir, 'dist', 'main', 'cli'), { recursive: true });
  await copyFile(resolve('bin', 'diskferry.js'), join(dir, 'bin', 'diskferry.js'));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await writeFile(
    join(dir, 'dist', 'main', 'cli', 'index.js'),
    'export async function main(argv) { process.stdout.write(JSON.stringify({ argv, execArgv: process.execArgv })); return argv.length; }\n',
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.runIf(process.platform !== 'win32')('bin/diskferry.js', () => {
  it('starts node with the young generation capped and hands over the arguments and the exit code', async () => {
    const out = await new Promise<{ code: number | string | null; stdout: string }>((done) =>
      execFile(join(dir, 'bin', 'diskferry.js'), ['queue', 'run'], { env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout) => done({ code: err ? ((err as { code?: number | string }).code ?? null) : 0, stdout })),
    );
    expect(out.code).toBe(2); // what main() returned: the number of its arguments
    expect(JSON.parse(out.stdout)).toEqual({ argv: ['queue', 'run'], execArgv: ['--max-semi-space-size=2'] });
  });
});
