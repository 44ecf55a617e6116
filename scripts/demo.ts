/**
 * `npm run demo`: starts the built-in oVirt simulator and the web host (the real app core behind the
 * desktop window's IPC contract, over a local WebSocket), and prints the URL to open in a browser —
 * the DiskFerry window without the Electron runtime.
 *
 * `npm run demo -- --cli`: instead, a round trip through the `diskferry` command line — log in
 * (trusting the engine CA by its fingerprint), list storage domains and disks, upload a generated
 * sparse image, download it back and a seeded disk, and compare bytes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { errorMessage } from '../main/engine/errors.js';

const MiB = 1024 * 1024;
const tsx = join(process.cwd(), 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

function say(text: string): void {
  process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
}

function startSimulator(dataDir: string): Promise<{ child: ChildProcess; info: { engine_url: string; username: string; password: string; ca_file: string } }> {
  const child = spawn(tsx, ['main/simulator/cli.ts', '--fast', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolve({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`the simulator exited early (code ${code})`)));
  });
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  process.stdout.write(`$ diskferry ${args.join(' ')}\n`);
  const child = spawn(tsx, ['main/cli/index.ts', ...args], { stdio: 'inherit', env });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`diskferry ${args[0]} exited with code ${code}`))));
  });
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A 1 GiB sparse raw image with 64 MiB of data in 4 MiB runs between holes. */
async function makeImage(path: string): Promise<void> {
  const fh = await open(path, 'w');
  await fh.truncate(1024 * MiB);
  const run = Buffer.alloc(4 * MiB);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < run.length; j += 4) run.writeUInt32LE((i * 2654435761 + j) >>> 0, j);
    await fh.write(run, 0, run.length, i * 64 * MiB);
  }
  await fh.close();
}

/** The window in a browser: simulator + app core + web host, until Ctrl-C. */
async function webDemo(): Promise<void> {
  const { startDemoWebHost } = await import('../main/web-host/host.js');
  const built = await stat(join(process.cwd(), 'dist', 'renderer', 'index.html')).then(
    () => true,
    () => false,
  );
  if (!built) {
    say('Building the window (Vite, once)');
    await new Promise<void>((resolve, reject) => {
      const vite = spawn(process.execPath, [join('node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
      vite.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with code ${code}`))));
    });
  }
  say('Starting the oVirt simulator, the DiskFerry app core and its web host on 127.0.0.1');
  const running = await startDemoWebHost({ selectDemo: true });
  say(`Open this address in a browser:\n\n   ${running.host.url}\n`);
  process.stdout.write(
    'This is the DiskFerry window served to a browser (the Electron runtime is not needed); the demo engine (the simulator) is already added and selected. Ctrl-C stops everything.\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await running.close();
}

/** The command-line round trip. */
async function cliDemo(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'diskferry-demo-'));
  say('Starting the oVirt simulator (engine 4.5 + imageio daemon and proxy on 127.0.0.1)');
  const { child, info } = await startSimulator(join(work, 'sim'));
  process.stdout.write(`${JSON.stringify({ ...info, password: '…' })}\n`);
  try {
    const pwFile = join(work, 'password');
    await writeFile(pwFile, info.password, { mode: 0o600 });
    const fingerprint = new X509Certificate(await readFile(info.ca_file)).fingerprint256;
    const env = { ...process.env, DISKFERRY_CONFIG_DIR: join(work, 'config') };
    const auth = ['--password-file', pwFile];

    say('Log in, trusting the engine CA by its SHA-256 fingerprint');
    await cli(['login', '--engine', info.engine_url, '--username', info.username, ...auth, '--trust-fingerprint', fingerprint, '--name', 'demo'], env);
    say('What the engine has');
    await cli(['storage-domains', ...auth], env);
    await cli(['disks', ...auth], env);

    const image = join(work, 'demo-disk.raw');
    await makeImage(image);
    say('Upload a 1 GiB sparse image (64 MiB of data): only the data crosses the network');
    await cli(['upload', image, '--storage-domain', 'data-nfs', '--name', 'demo-disk', ...auth], env);

    const out = join(work, 'downloads');
    await mkdir(out, { recursive: true });
    say('Download it back, and a seeded disk, as sparse raw files');
    await cli(['download', 'demo-disk', 'fedora-40-root', '--output', out, ...auth], env);

    say('Compare');
    const [a, b] = await Promise.all([sha256(image), sha256(join(out, 'demo-disk.raw'))]);
    process.stdout.write(`uploaded   ${a}\ndownloaded ${b}\n`);
    if (a !== b) throw new Error('the downloaded image differs from the uploaded one');
    say('Round trip complete: the bytes match.');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(work, { recursive: true, force: true });
  }
}

const main = process.argv.includes('--cli') ? cliDemo : webDemo;
main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${errorMessage(err)}\n`);
  process.exit(1);
});
