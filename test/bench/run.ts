/**
 * `npm run bench`: throughput, CPU time and peak memory of the `diskferry` command line against the
 * simulator, next to a baseline measured in the same run over the same TLS listener: curl sending the
 * same data bytes in one PUT (and fetching them in one GET). Prints a table; `--markdown` prints it
 * as Markdown for docs/benchmarks.md.
 *
 * Cases: a 1 GiB raw image with 512 MiB of data in 4 MiB runs between holes (upload and download),
 * and an empty 100 GiB sparse image (upload).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, totalmem, tmpdir } from 'node:os';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeCase, memoryModeOption, writtenBytes } from './memory.js';
import { OvirtClient } from '../../main/engine/ovirt/client.js';
import { silentLog } from '../../main/engine/log.js';

/** The simulator as a separate process, as a real server would be. */
interface Sim {
  readonly child: ChildProcess;
  readonly engineUrl: string;
  readonly username: string;
  readonly password: string;
  readonly caFile: string;
}

async function startSim(dataDir: string): Promise<Sim> {
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, 'simulator')] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'main/simulator/cli.ts', '--fast', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code})`)));
  });
  const info = JSON.parse(line) as { engine_url: string; username: string; password: string; ca_file: string };
  return { child, engineUrl: info.engine_url, username: info.username, password: info.password, caFile: info.ca_file };
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const markdown = process.argv.includes('--markdown');
/** `--profile DIR`: the diskferry processes write V8 CPU profiles there (for finding where the time goes). */
/** `--memory warm|cold`: the memory conditions of every case (test/bench/memory.ts). */
const memoryMode = memoryModeOption(process.argv);
/** `--profile DIR`: the diskferry processes write V8 CPU profiles there (for finding where the time goes). */
/** `--rounds N` (default 3): every case N times; the table shows medians, the ratios their range. */
const rounds = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 3;
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a whole number of at least 1');
/** The node flags of the installed command's `#!` line (bin/diskferry.js), so the bench runs the CLI as users do. */
const BIN_NODE_FLAGS = readFileSync('bin/diskferry.js', 'utf8').split('\n', 1)[0]!.split(/\s+/).filter((t) => t.startsWith('--'));
const profileDir = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;

interface Row {
  case: string;
  /** Downloads: seconds from the first to the last data byte written to the file (see watchWrites). */
  moveS?: number | null;
  /** CPU seconds the simulator process spent during this case (it serves curl and diskferry alike). */
  serverCpuS?: number | null;
  wallS: number;
  dataS: number;
  dataBytes: number;
  cpuS: number | null;
  /** The part of cpuS spent in the kernel (page cache copies, TLS socket reads, fsync). */
  sysS?: number | null;
  rssMiB: number | null;
  note: string;
  /** Throughput against the same round's curl, one per round. */
  ratios?: number[];
  /** "move" time of curl's GET over this row's, one per round. */
  moveRatios?: number[];
}

/** curl's figures in one round: bytes per second up and down, and its GET's move time. */
interface Baseline {
  readonly up: number;
  readonly down: number;
  readonly downMoveS: number | null;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux only; null elsewhere). */
function processCpuS(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

function cpuSince(pid: number | undefined, before: number | null): number | null {
  const now = processCpuS(pid);
  return now === null || before === null ? null : now - before;
}

/** The simulator's pid, for its CPU time per case. */
let serverPid: number | undefined;

/**
 * Times how fast a process writes `bytes` of data to files: the time from 1 % to 99 % of them written
 * (polled every 5 ms), scaled to the whole. This "move" time leaves out what happens before the first
 * data and after the last (sessions, verification, fsync), for curl and diskferry alike. The same
 * fractions for both keep it fair: curl writes 16 KiB at a time, diskferry 4 MiB pieces (under 1 %
 * of the data), so the error is about one piece either way.
 */
function watchWrites(pid: number | undefined, bytes: number): () => number | null {
  // The process is new: everything it writes counts (a first sample may come after curl's first megabytes).
  const base = 0;
  let start: number | null = null;
  let end: number | null = null;
  const timer = setInterval(() => {
    const w = writtenBytes(pid);
    if (w === null) return;
    if (start === null && w - base >= bytes * 0.01) start = performance.now();
    if (end === null && w - base >= bytes * 0.99) end = performance.now();
  }, 5);
  return () => {
    clearInterval(timer);
    return start !== null && end !== null ? (end - start) / 1000 / 0.98 : null;
  };
}

/** Where the ballast file goes (the work folder, on the same file system as the cases' files). */
let ballastDir = tmpdir();

async function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  watchBytes?: number,
): Promise<{ code: number; stdout: string; stderr: string; ms: number; moveS: number | null }> {
  // Every case starts with no dirty pages left by the one before, which would otherwise throttle its
  // writes (the kernel slows down writers while earlier data waits for the disk), and in the memory
  // conditions chosen.
  const startPacing = await beforeCase(memoryMode, ballastDir);
  const t0 = performance.now();
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const moved = watchBytes ? watchWrites(child.pid, watchBytes) : () => null;
  // The case's own writes and the server's (an upload's data lands in the simulator's volume).
  const stopPacing = startPacing(() => (writtenBytes(serverPid) ?? 0) + (writtenBytes(child.pid) ?? 0));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      const ms = performance.now() - t0;
      stopPacing();
      resolve({ code: code ?? -1, stdout, stderr, ms, moveS: moved() });
    }),
  );
}

/**
 * curl with its own CPU time and peak RSS, through GNU time when the machine has it (as diskferry's
 * are measured from inside the process).
 */
async function curl(
  args: string[],
  work: string,
  watchBytes?: number,
): Promise<{ code: number; stderr: string; ms: number; moveS: number | null; cpuS: number | null; sysS: number | null; rssMiB: number | null }> {
  const timed = existsSync('/usr/bin/time');
  const stats = join(work, `curl-${randomUUID()}.time`);
  const r = timed ? await run('/usr/bin/time', ['-f', '%U %S %M', '-o', stats, 'curl', ...args], process.env, watchBytes) : await run('curl', args, process.env, watchBytes);
  if (!timed) return { ...r, cpuS: null, sysS: null, rssMiB: null };
  const [user, sys, rssKiB] = (await readFile(stats, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
  return { ...r, cpuS: user! + sys!, sysS: sys!, rssMiB: rssKiB! / 1024 };
}

/**
 * The reference tooling's way to verify a transfer (reference/imageio.md §6.3): the server's
 * `/checksum` of the ticket and the local blkhash of the file (`diskferry checksum`, the same
 * algorithm), run side by side, after the transfer. Returns the seconds both took and throws when
 * the digests differ. Not through run(): its global sync would flush the transfer's data untimed.
 */
async function checksumBoth(transferUrl: string, caFile: string, file: string): Promise<number> {
  const t0 = performance.now();
  const out = (cmd: string, args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${cmd} ${args[0]} failed (${code})`))));
    });
  const [server, local] = await Promise.all([
    out('curl', ['-sS', '--fail', '--cacert', caFile, `${transferUrl}/checksum`]),
    out(process.execPath, ['dist/main/cli/index.js', 'checksum', file, '--json']),
  ]);
  const s = (JSON.parse(server) as { checksum: string }).checksum;
  const l = local
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { event: string; checksum: string })
    .find((e) => e.event === 'result')?.checksum;
  if (s !== l) throw new Error(`the server's checksum ${s} is not the local one ${l}`);
  return (performance.now() - t0) / 1000;
}

/** 1 GiB with 512 MiB of data: 4 MiB of data, 4 MiB hole, repeated. Also writes the data bytes alone (for curl). */
async function makeImages(dir: string): Promise<{ half: string; dataOnly: string; empty: string }> {
  const half = join(dir, 'half.raw');
  const dataOnly = join(dir, 'data-only.bin');
  const empty = join(dir, 'empty-100g.raw');
  const a = await open(half, 'w');
  const b = await open(dataOnly, 'w');
  await a.truncate(GiB);
  const run = Buffer.alloc(4 * MiB);
  for (let i = 0; i < 128; i++) {
    for (let j = 0; j < run.length; j += 4) run.writeUInt32LE((Math.imul(i + 1, 2654435761) ^ j) >>> 0, j);
    await a.write(run, 0, run.length, i * 8 * MiB);
    await b.write(run, 0, run.length, i * 4 * MiB);
  }
  await a.close();
  await b.close();
  const e = await open(empty, 'w');
  await e.truncate(100 * GiB);
  await e.close();
  return { half, dataOnly, empty };
}

/**
 * curl through a real transfer: the engine creates the disk and the upload transfer, curl PUTs the
 * 512 MiB of data in one request to transfer_url; then a download transfer and one ranged GET.
 */
async function curlBaseline(sim: Sim, dataOnly: string, rows: Row[]): Promise<Baseline> {
  const size = 512 * MiB;
  const caPem = await readFile(sim.caFile, 'utf8');
  const client = new OvirtClient({ engineUrl: sim.engineUrl, username: sim.username, password: () => sim.password, trust: { caPem: [caPem] }, log: silentLog });
  await client.login();
  const disk = await client.createDisk({ name: 'curl-baseline', provisionedSize: size, format: 'raw', sparse: true, storageDomain: { name: 'data-nfs' } });
  await client.waitForDiskOk(disk.id, { timeoutMs: 60_000 });
  const put = await client.waitForTransferReady(await client.createTransfer({ diskId: disk.id, direction: 'upload', format: 'raw' }), { timeoutMs: 60_000 });
  let cpu0 = processCpuS(sim.child.pid);
  const up = await curl(['-sS', '--fail', '--cacert', sim.caFile, '-X', 'PUT', '-T', dataOnly, '-H', `Content-Range: bytes 0-${size - 1}/*`, `${put.transferUrl}?flush=n`], dirname(dataOnly));
  if (up.code !== 0) throw new Error(`curl PUT failed: ${up.stderr}`);
  const upServer = cpuSince(sim.child.pid, cpu0);
  // curl's PUT leaves the data in the server's page cache (flush=n); diskferry's upload ends with a
  // flush. The same durability for curl: its PUT plus one PATCH flush, timed right after it.
  // (Not through run(): that starts with a global sync, which would flush the server's data untimed.)
  const f0 = performance.now();
  execFileSync('curl', ['-sS', '--fail', '--cacert', sim.caFile, '-X', 'PATCH', '-H', 'Content-Type: application/json', '--data', '{"op":"flush"}', put.transferUrl!]);
  const putFlushedS = (up.ms + performance.now() - f0) / 1000;
  const putVerifiedS = putFlushedS + (await checksumBoth(put.transferUrl!, sim.caFile, dataOnly));
  await client.finishTransfer(put.id, { diskId: disk.id, direction: 'upload', timeoutMs: 60_000 });
  const get = await client.waitForTransferReady(await client.createTransfer({ diskId: disk.id, direction: 'download', format: 'raw' }), { timeoutMs: 60_000 });
  cpu0 = processCpuS(sim.child.pid);
  const down = await curl(['-sS', '--fail', '--cacert', sim.caFile, '-o', join(dirname(dataOnly), 'curl-get.bin'), '-H', `Range: bytes=0-${size - 1}`, get.transferUrl!], dirname(dataOnly), size);
  if (down.code !== 0) throw new Error(`curl GET failed: ${down.stderr}`);
  const downServer = cpuSince(sim.child.pid, cpu0);
  // curl leaves its file in the page cache; diskferry fsyncs a download before calling it complete.
  // The same durability for curl: its GET plus an fsync of the file (coreutils `sync FILE`).
  // (Not through run(): that starts with a global sync, which would flush curl's data untimed.)
  const t0 = performance.now();
  execFileSync('sync', [join(dirname(dataOnly), 'curl-get.bin')]);
  const synced = { ms: performance.now() - t0 };
  await client.finishTransfer(get.id, { diskId: disk.id, direction: 'download', timeoutMs: 60_000 });
  // The engine finalizes a download that was read whole as soon as its ticket is idle, so the server's
  // checksum comes from a download transfer of its own, as in the SDK's checksum_disk.py (created untimed).
  const sum = await client.waitForTransferReady(await client.createTransfer({ diskId: disk.id, direction: 'download', format: 'raw' }), { timeoutMs: 60_000 });
  const getVerifiedS = (down.ms + synced.ms) / 1000 + (await checksumBoth(sum.transferUrl!, sim.caFile, join(dirname(dataOnly), 'curl-get.bin')));
  await client.finishTransfer(sum.id, { diskId: disk.id, direction: 'download', timeoutMs: 60_000 });
  // Removed, not overwritten by the next round: ext4 writes a file that was truncated and rewritten
  // back to disk when it is closed (auto_da_alloc), which made curl's exit wait for its data.
  await rm(join(dirname(dataOnly), 'curl-get.bin'));
  await client.logout();
  rows.push({ case: 'curl PUT, 512 MiB, one request (baseline)', wallS: up.ms / 1000, dataS: up.ms / 1000, dataBytes: size, cpuS: up.cpuS, sysS: up.sysS, serverCpuS: upServer, rssMiB: up.rssMiB, note: '' });
  rows.push({ case: 'curl PUT then PATCH flush (durability of diskferry)', wallS: putFlushedS, dataS: putFlushedS, dataBytes: size, cpuS: null, serverCpuS: null, rssMiB: null, note: 'not the baseline; for comparison' });
  rows.push({ case: 'curl PUT, flush, then /checksum and local blkhash (verified as the reference tools do)', wallS: putVerifiedS, dataS: putVerifiedS, dataBytes: size, cpuS: null, serverCpuS: null, rssMiB: null, note: 'not the baseline; the work of a verified upload' });
  rows.push({ case: 'curl GET, 512 MiB, one request (baseline)', wallS: down.ms / 1000, dataS: down.ms / 1000, moveS: down.moveS, dataBytes: size, cpuS: down.cpuS, sysS: down.sysS, serverCpuS: downServer, rssMiB: down.rssMiB, note: '' });
  const durableS = (down.ms + synced.ms) / 1000;
  rows.push({ case: 'curl GET then fsync of the file (durability of diskferry)', wallS: durableS, dataS: durableS, dataBytes: size, cpuS: null, serverCpuS: null, rssMiB: null, note: 'not the baseline; for comparison' });
  rows.push({ case: 'curl GET, fsync, then /checksum and local blkhash (verified as the reference tools do)', wallS: getVerifiedS, dataS: getVerifiedS, dataBytes: size, cpuS: null, serverCpuS: null, rssMiB: null, note: 'not the baseline; the work of a verified download' });
  return { up: size / (up.ms / 1000), down: size / (down.ms / 1000), downMoveS: down.moveS };
}

async function cli(
  work: string,
  args: string[],
  watchBytes?: number,
): Promise<{ result: Record<string, number>; wallS: number; cpuS: number; sysS: number; serverCpuS: number | null; moveS: number | null; rssMiB: number }> {
  const cpu0 = processCpuS(serverPid);
  const stats = join(work, `stats-${randomUUID()}.json`);
  const env = { ...process.env, DISKFERRY_CONFIG_DIR: join(work, 'config'), DISKFERRY_STATS_FILE: stats };
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${args[0]}-${randomUUID().slice(0, 8)}.cpuprofile`] : [];
  const r = await run(process.execPath, [...BIN_NODE_FLAGS, ...prof, 'dist/main/cli/index.js', ...args, '--json', '--password-file', join(work, 'pw')], env, watchBytes);
  if (r.code !== 0) throw new Error(`diskferry ${args[0]} failed (${r.code}): ${r.stderr}`);
  const result = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((o) => o['event'] === 'result') as Record<string, number>;
  const s = JSON.parse(await readFile(stats, 'utf8')) as { maxRssKiB: number; userCpuMs: number; systemCpuMs: number };
  return { result, wallS: r.ms / 1000, cpuS: (s.userCpuMs + s.systemCpuMs) / 1000, sysS: s.systemCpuMs / 1000, serverCpuS: cpuSince(serverPid, cpu0), moveS: r.moveS, rssMiB: s.maxRssKiB / 1024 };
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "0.96x", or "0.96x (0.90-1.02)" over several rounds. */
function ratio(xs: readonly number[] | undefined): string {
  if (!xs || xs.length === 0) return '—';
  const m = `${median(xs).toFixed(2)}x`;
  return xs.length > 1 ? `${m} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})` : m;
}

function fmt(rows: Row[]): string {
  const head = ['case', 'wall s', 'data s', 'data MiB/s', 'vs curl', 'move s', 'move vs curl', 'CPU s', 'of which sys s', 'CPU s/GiB data', 'server CPU s', 'peak RSS MiB', 'note'];
  const lines = rows.map((r) => {
    const rate = r.dataBytes / MiB / r.dataS;
    return [
      r.case,
      r.wallS.toFixed(2),
      r.dataS.toFixed(2),
      rate.toFixed(0),
      ratio(r.ratios),
      typeof r.moveS === 'number' ? r.moveS.toFixed(2) : '—',
      ratio(r.moveRatios),
      r.cpuS === null ? '—' : r.cpuS.toFixed(2),
      typeof r.sysS === 'number' ? r.sysS.toFixed(2) : '—',
      r.cpuS === null || r.dataBytes === 0 ? '—' : (r.cpuS / (r.dataBytes / GiB)).toFixed(2),
      r.serverCpuS === null || r.serverCpuS === undefined ? '—' : r.serverCpuS.toFixed(2),
      r.rssMiB === null ? '—' : r.rssMiB.toFixed(0),
      r.note,
    ];
  });
  if (markdown) return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [head, ...lines].map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

/** One round of every case; names carry the round so rounds never meet each other's disks. */
async function oneRound(round: number, sim: Sim, images: { half: string; dataOnly: string; empty: string }, work: string): Promise<{ rows: Row[]; curl: Baseline; same: boolean }> {
  const rows: Row[] = [];
  const tag = `r${round}`;
  process.stderr.write(`bench: round ${round}: curl baseline…\n`);
  const curl = await curlBaseline(sim, images.dataOnly, rows);

  process.stderr.write(`bench: round ${round}: diskferry upload 1 GiB (512 MiB data)…\n`);
  const up = await cli(work, ['upload', images.half, '--storage-domain', 'data-nfs', '--name', `bench-half-${tag}`]);
  rows.push({ case: 'diskferry upload, 1 GiB raw, 512 MiB data', wallS: up.wallS, dataS: up.result['data_phase']!, dataBytes: 512 * MiB, cpuS: up.cpuS, sysS: up.sysS, serverCpuS: up.serverCpuS, rssMiB: up.rssMiB, note: '4 workers' });

  // The same upload without the local blkhash and the server's /checksum: what verification costs.
  process.stderr.write(`bench: round ${round}: diskferry upload 1 GiB (512 MiB data), --no-verify…\n`);
  const upBare = await cli(work, ['upload', images.half, '--storage-domain', 'data-nfs', '--name', `bench-half-bare-${tag}`, '--no-verify']);
  rows.push({ case: 'diskferry upload, same, --no-verify', wallS: upBare.wallS, dataS: upBare.result['data_phase']!, dataBytes: 512 * MiB, cpuS: upBare.cpuS, sysS: upBare.sysS, serverCpuS: upBare.serverCpuS, rssMiB: upBare.rssMiB, note: '4 workers, not verified' });

  process.stderr.write(`bench: round ${round}: diskferry download 1 GiB (512 MiB data)…\n`);
  const out = join(work, `out-${tag}`);
  await mkdir(out);
  const down = await cli(work, ['download', `bench-half-${tag}`, '--output', out], 512 * MiB);
  rows.push({ case: 'diskferry download, 1 GiB raw, 512 MiB data', wallS: down.wallS, dataS: down.result['data_phase']!, moveS: down.moveS, dataBytes: 512 * MiB, cpuS: down.cpuS, sysS: down.sysS, serverCpuS: down.serverCpuS, rssMiB: down.rssMiB, note: '4 workers' });
  const same = execFileSync('cmp', [images.half, join(out, `bench-half-${tag}.raw`)]).length === 0;

  // The same download without the local blkhash and the server's /checksum: what verification costs.
  process.stderr.write(`bench: round ${round}: diskferry download 1 GiB (512 MiB data), --no-verify…\n`);
  const bareOut = join(work, `out-bare-${tag}`);
  await mkdir(bareOut);
  const bare = await cli(work, ['download', `bench-half-${tag}`, '--output', bareOut, '--no-verify'], 512 * MiB);
  rows.push({ case: 'diskferry download, same, --no-verify', wallS: bare.wallS, dataS: bare.result['data_phase']!, moveS: bare.moveS, dataBytes: 512 * MiB, cpuS: bare.cpuS, sysS: bare.sysS, serverCpuS: bare.serverCpuS, rssMiB: bare.rssMiB, note: '4 workers, not verified' });
  const sameBare = execFileSync('cmp', [images.half, join(bareOut, `bench-half-${tag}.raw`)]).length === 0;

  process.stderr.write(`bench: round ${round}: diskferry upload of an empty 100 GiB sparse image…\n`);
  const empty = await cli(work, ['upload', images.empty, '--storage-domain', 'data-nfs', '--name', `bench-empty-${tag}`]);
  rows.push({ case: 'diskferry upload, empty 100 GiB sparse', wallS: empty.wallS, dataS: Math.max(empty.result['data_phase']!, 0.001), dataBytes: 0, cpuS: empty.cpuS, sysS: empty.sysS, serverCpuS: empty.serverCpuS, rssMiB: empty.rssMiB, note: 'wall time includes disk creation and finalize' });
  await rm(out, { recursive: true, force: true });
  await rm(bareOut, { recursive: true, force: true });
  // Each row's ratios against this round's curl, so rounds on a busier machine compare like with like.
  for (const r of rows) {
    const base = r.case.includes('download') || r.case.includes('GET') ? curl.down : curl.up;
    if (r.dataBytes > 0) r.ratios = [r.dataBytes / r.dataS / base];
    if (typeof r.moveS === 'number' && curl.downMoveS !== null) r.moveRatios = [curl.downMoveS / r.moveS];
  }
  return { rows, curl, same: same && sameBare };
}

/** Per case, the round with the median data time, carrying every round's ratios. */
function medianRows(rounds: Row[][]): Row[] {
  return rounds[0]!.map((_, i) => {
    const all = rounds.map((rows) => rows[i]!);
    const mid = [...all].sort((a, b) => a.dataS - b.dataS)[Math.floor((all.length - 1) / 2)]!;
    const ratios = all.flatMap((r) => r.ratios ?? []);
    const moveRatios = all.flatMap((r) => r.moveRatios ?? []);
    return { ...mid, ...(ratios.length > 0 ? { ratios } : {}), ...(moveRatios.length > 0 ? { moveRatios } : {}) };
  });
}

async function main(): Promise<void> {
  if (process.argv.includes('--real-imageio')) {
    // The comparison with oVirt's own client on the real imageio daemon: its own cases and table.
    const { runRealImageioBench } = await import('./real-imageio.js');
    return runRealImageioBench();
  }
  process.stderr.write('bench: building the command line…\n');
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.node.json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    // tsc still emits (no noEmitOnError): type errors in files the CLI does not use must not stop the bench.
    process.stderr.write('bench: tsc reported type errors; benchmarking the emitted build anyway\n');
  }
  const work = await mkdtemp(join(tmpdir(), 'diskferry-bench-'));
  ballastDir = work;
  const sim = await startSim(join(work, 'sim'));
  serverPid = sim.child.pid;
  try {
    await writeFile(join(work, 'pw'), sim.password);
    const images = await makeImages(work);
    await cli(work, ['login', '--engine', sim.engineUrl, '--username', sim.username, '--ca-file', sim.caFile]);
    const results = [];
    for (let round = 1; round <= rounds; round++) results.push(await oneRound(round, sim, images, work));
    const same = results.every((r) => r.same);
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / GiB).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
    process.stdout.write(
      `\nMachine: ${machine}\nMemory: ${memoryMode} (see docs/benchmarks.md, "Memory on this VM")\nRounds: ${rounds}; each row is the round with the median data time, "vs curl" the median of each round's ratio to that round's curl (range in brackets)\nDownloaded bytes identical to the source: ${same ? 'yes' : 'NO'}\n\n${fmt(medianRows(results.map((r) => r.rows)))}\n`,
    );
  } finally {
    sim.child.kill('SIGTERM');
    await new Promise((r) => sim.child.once('exit', r));
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
