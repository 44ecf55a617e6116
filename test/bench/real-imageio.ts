/**
 * `npm run bench -- --real-imageio`: DiskFerry against oVirt's own reference client
 * (`ovirt_imageio.client`, what ovirt-img and the SDK examples use) on the real ovirt-imageio 2.5
 * daemon with qemu-nbd tickets, the comparison our users make. Both run in the same round on the
 * same kind of ticket; every round compares the bytes. The daemon and its client are a test peer
 * from ../shared/tools/real-imageio: started here, never imported or shipped.
 *
 * Options: --rounds N (default 3), --markdown, --cpus shared|pinned|both (default both: pinned puts
 * the daemon and every qemu-nbd on CPU 0 and the client on CPU 1), --scale (adds a 16 GiB image with
 * 8 GiB of data: minutes per round), --scale-only (that image alone), --cases REGEX (only the cases
 * whose name matches, e.g. 'download.*no-verify'), --memory warm|cold (default warm: every side of a case writes
 * into memory the VM already backs, test/bench/memory.ts), --keep (leaves the work folder).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, truncate } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeCase, memoryModeOption, writtenBytes } from './memory.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const argv = process.argv;
const flag = (name: string) => argv.includes(name);
const option = (name: string, fallback: string) => (argv.includes(name) ? (argv[argv.indexOf(name) + 1] ?? fallback) : fallback);

const memoryMode = memoryModeOption(argv);
/** `--nbd-cache writeback|none`: the tool's tickets (page cache), or direct I/O (see directTicket). */
const NBD_CACHE = option('--nbd-cache', 'writeback');
if (NBD_CACHE !== 'writeback' && NBD_CACHE !== 'none') throw new Error(`--nbd-cache must be writeback or none, not ${NBD_CACHE}`);
/** Where each case's ballast goes (the work folder: the same file system as the images). */
let workDir = tmpdir();

const TOOL = resolve('..', 'shared', 'tools', 'real-imageio', 'real-imageio');
/** The installed command, run as a shell runs it: through its `#!` line and the node flags there. */
const CLI = resolve('bin', 'diskferry.js');

interface Measured {
  wallS: number;
  cpuS: number;
  rssMiB: number;
  serverCpuS: number;
}
interface Ticket {
  url: string;
  id: string;
}

/** CPU seconds of one process so far (all its threads), from /proc. */
function processCpuS(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

class RealImageio {
  readonly env: NodeJS.ProcessEnv;
  daemonPid = 0;
  caFile = '';
  constructor(readonly home: string) {
    this.env = { ...process.env, REAL_IMAGEIO_HOME: home, REAL_IMAGEIO_PORT: option('--port', '56322'), REAL_IMAGEIO_CONTROL_PORT: option('--control-port', '56324'), REAL_IMAGEIO_LOG_LEVEL: 'WARNING' };
  }
  tool(args: string[]): string {
    return execFileSync(TOOL, args, { env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  }
  start(): void {
    this.tool(['setup']);
    const started = JSON.parse(this.tool(['start'])) as { pid: number; ca_file: string };
    this.daemonPid = started.pid;
    this.caFile = started.ca_file;
  }
  ticket(image: string, ops: string): Ticket {
    if (NBD_CACHE === 'none') return this.directTicket(image, ops);
    const t = JSON.parse(this.tool(['ticket', image, 'raw', '--sparse', '--ops', ops])) as { transfer_url: string; ticket: string };
    return { url: t.transfer_url, id: t.ticket };
  }
  /**
   * `--nbd-cache none`: a sparse ticket on a qemu-nbd of our own with direct I/O (`--cache=none
   * --aio=native`, what ovirt-imageio's own qemu-nbd launcher picks where O_DIRECT works), given to
   * the daemon through its control service; pid and socket where the tool keeps its own, so
   * nbdPid() and drop() work alike. The tool's tickets write through the page cache
   * (`--cache=writeback --aio=threads`), where this VM's memory decides much of an upload's
   * server CPU (docs/benchmarks.md, "Server CPU of uploads: the page cache and this VM").
   */
  private directTicket(image: string, ops: string): Ticket {
    const id = randomUUID();
    const sock = join(this.home, 'run', `nbd-${id}.sock`);
    const size = statSync(image).size;
    execFileSync('sh', ['-c', 'setsid sh -c \'echo $$ > "$0"; exec "$@"\' "$1.pid" qemu-nbd --export-name= --persistent --shared=8 --cache=none --aio=native --discard=unmap --detect-zeroes=unmap -A -f raw --socket="$1" "$2" >"$1.log" 2>&1 </dev/null &', 'sh', sock, image]);
    for (let i = 0; i < 100 && !existsSync(sock); i++) execFileSync('sleep', ['0.05']);
    if (!existsSync(sock)) throw new Error(`qemu-nbd did not start for ${image}: ${readFileSync(`${sock}.log`, 'utf8')}`);
    const body = JSON.stringify({ uuid: id, size, url: `nbd:unix:${sock}`, timeout: 3000, inactivity_timeout: 3000, ops: ops.split(','), sparse: true });
    execFileSync('curl', ['-sS', '-f', '-X', 'PUT', '-H', 'Content-Type: application/json', '--data-binary', body, `http://127.0.0.1:${this.env.REAL_IMAGEIO_CONTROL_PORT}/tickets/${id}`]);
    return { url: `https://127.0.0.1:${this.env.REAL_IMAGEIO_PORT}/images/${id}`, id };
  }
  nbdPid(t: Ticket): number {
    return Number(readFileSync(join(this.home, 'run', `nbd-${t.id}.sock.pid`), 'utf8').trim());
  }
  /** The daemon's and this ticket's qemu-nbd CPU seconds. */
  serverCpu(t: Ticket): number {
    return processCpuS(this.daemonPid) + processCpuS(this.nbdPid(t));
  }
  pinServer(t: Ticket | null, mask: string): void {
    for (const pid of [this.daemonPid, ...(t ? [this.nbdPid(t)] : [])]) execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
  }
  drop(t: Ticket): void {
    this.tool(['drop', t.id]);
  }
  stop(): void {
    this.tool(['stop']);
  }
}

/** Runs a command under GNU time: wall, CPU (user + system, children included), peak RSS. */
async function timed(cmd: string[], pinned: boolean, env: NodeJS.ProcessEnv = process.env): Promise<{ wallS: number; cpuS: number; rssMiB: number; stdout: string }> {
  const timeFile = join(tmpdir(), `bench-time-${randomBytes(4).toString('hex')}`);
  const full = ['/usr/bin/time', '-o', timeFile, '-f', '%e %U %S %M', ...(pinned ? ['taskset', '-c', '1'] : []), ...cmd];
  execFileSync('sync');
  const child = spawn(full[0]!, full.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? -1)));
  const [wall, user, sys, rss] = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number);
  await rm(timeFile, { force: true });
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited with ${code}`);
  return { wallS: wall!, cpuS: user! + sys!, rssMiB: rss! / 1024, stdout };
}

/** A raw image of `size` with `dataBytes` of random data in 4 MiB runs spread evenly between holes. */
async function makeImage(path: string, size: number, dataBytes: number): Promise<void> {
  await truncate(path, 0).catch(() => undefined);
  const fh = await open(path, 'w');
  await fh.truncate(size);
  const runs = dataBytes / (4 * MiB);
  const stride = Math.floor(size / runs / (4 * MiB)) * 4 * MiB;
  for (let i = 0; i < runs; i++) await fh.write(randomBytes(4 * MiB), 0, 4 * MiB, i * stride);
  await fh.close();
}

function sameBytes(a: string, b: string): boolean {
  try {
    execFileSync('cmp', ['-s', a, b]);
    return true;
  } catch {
    return false;
  }
}

interface CaseResult {
  ours: Measured;
  ref: Measured;
  same: boolean;
}

/** One case: a fresh ticket per side, ours and the reference client in alternating order. */
async function runCase(
  io: RealImageio,
  pinned: boolean,
  round: number,
  setup: () => Promise<{ ticket: Ticket; check: () => boolean; cleanup: () => Promise<void> }>,
  ours: (t: Ticket) => string[],
  ref: (t: Ticket) => Promise<{ wallS: number; cpuS: number; rssMiB: number }>,
  oursEnv: NodeJS.ProcessEnv = process.env,
): Promise<CaseResult> {
  const side = async (which: 'ours' | 'ref'): Promise<{ m: Measured; same: boolean }> => {
    const s = await setup();
    io.pinServer(s.ticket, pinned ? '1' : '3');
    // The pages the case writes: qemu-nbd's (an upload's data) and the client's and its children's
    // (a download's file; their socket sends count too, which only gives the pages back earlier).
    const startPacing = await beforeCase(memoryMode, workDir);
    const nbd = io.nbdPid(s.ticket);
    const stopPacing = startPacing(() => (writtenBytes(nbd) ?? 0) + (writtenBytes(process.pid) ?? 0));
    const cpu0 = io.serverCpu(s.ticket);
    const r = await (which === 'ours' ? timed([CLI, ...ours(s.ticket)], pinned, oursEnv) : ref(s.ticket)).finally(stopPacing);
    const serverCpuS = io.serverCpu(s.ticket) - cpu0;
    const same = s.check();
    io.drop(s.ticket);
    await s.cleanup();
    return { m: { wallS: r.wallS, cpuS: r.cpuS, rssMiB: r.rssMiB, serverCpuS }, same };
  };
  const first = round % 2 === 1 ? 'ours' : 'ref';
  const a = await side(first);
  const b = await side(first === 'ours' ? 'ref' : 'ours');
  const [o, r] = first === 'ours' ? [a, b] : [b, a];
  return { ours: o.m, ref: r.m, same: o.same && r.same };
}

/** The reference tools' verification: the server's /checksum and client.checksum of the local file, side by side, digests compared. */
async function referenceVerify(io: RealImageio, t: Ticket, local: string, pinned: boolean): Promise<{ wallS: number; cpuS: number; rssMiB: number }> {
  const t0 = performance.now();
  const [server, client] = await Promise.all([
    timed(['curl', '-sS', '--fail', '--cacert', io.caFile, `${t.url}/checksum`], false),
    timed([TOOL, 'client', 'checksum', local], pinned, io.env),
  ]);
  const wallS = (performance.now() - t0) / 1000;
  const a = JSON.parse(server.stdout) as { checksum: string };
  const b = JSON.parse(client.stdout) as { checksum: string };
  if (a.checksum !== b.checksum) throw new Error(`the reference verification found different digests for ${local}`);
  return { wallS, cpuS: server.cpuS + client.cpuS, rssMiB: Math.max(server.rssMiB, client.rssMiB) };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runRealImageioBench(): Promise<void> {
  if (!existsSync(TOOL)) {
    process.stderr.write(`bench: ${TOOL} is missing: the real-server benchmark needs ../shared/tools/real-imageio beside the project. Nothing was run.\n`);
    process.exitCode = 2;
    return;
  }
  const rounds = Number(option('--rounds', '3'));
  const only = flag('--cases') ? new RegExp(option('--cases', '.')) : null;
  const setups = option('--cpus', 'both') === 'both' ? [false, true] : [option('--cpus', 'both') === 'pinned'];
  process.stderr.write('bench: building the command line…\n');
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.node.json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    process.stderr.write('bench: tsc reported type errors; benchmarking the emitted build anyway\n');
  }
  const work = await mkdtemp(join(tmpdir(), 'diskferry-real-bench-'));
  workDir = work;
  const io = new RealImageio(join(work, 'imageio'));
  io.start();
  const half = join(work, 'half.raw');
  const empty = join(work, 'empty.raw');
  await makeImage(half, GiB, 512 * MiB);
  await truncate(empty, 0).catch(() => undefined);
  await (await open(empty, 'w')).close();
  await truncate(empty, 100 * GiB);
  const scaleOnly = flag('--scale-only');
  const images: Array<{ name: string; path: string; size: number; data: string }> = scaleOnly ? [] : [{ name: '1 GiB, 512 MiB data', path: half, size: GiB, data: '512 MiB' }];
  if (flag('--scale') || scaleOnly) {
    const big = join(work, 'big.raw');
    await makeImage(big, 16 * GiB, 8 * GiB);
    images.push({ name: '16 GiB, 8 GiB data', path: big, size: 16 * GiB, data: '8 GiB' });
  }
  const uploadTarget = (size: number) => async () => {
    const target = join(work, `target-${randomBytes(4).toString('hex')}.raw`);
    await (await open(target, 'w')).close();
    await truncate(target, size);
    return { target, ticket: io.ticket(target, 'read,write') };
  };
  const table: string[][] = [];
  let allSame = true;
  try {
    for (const pinned of setups) {
      const cases: Array<{ name: string; run: (round: number) => Promise<CaseResult> }> = [];
      for (const img of images) {
        for (const verify of [false, true]) {
          const v = verify ? 'verified' : '--no-verify';
          cases.push({
            name: `upload ${img.name}, ${v}`,
            run: (round) =>
              runCase(
                io, pinned, round,
                async () => {
                  const u = await uploadTarget(img.size)();
                  return { ticket: u.ticket, check: () => sameBytes(img.path, u.target), cleanup: () => rm(u.target, { force: true }) };
                },
                (t) => ['upload', img.path, '--transfer-url', t.url, '--ca-file', io.caFile, '--quiet', ...(verify ? [] : ['--no-verify'])],
                async (t) => {
                  const up = await timed([TOOL, 'client', 'upload', img.path, t.url], pinned, io.env);
                  if (!verify) return up;
                  const ver = await referenceVerify(io, t, img.path, pinned);
                  return { wallS: up.wallS + ver.wallS, cpuS: up.cpuS + ver.cpuS, rssMiB: Math.max(up.rssMiB, ver.rssMiB) };
                },
              ),
          });
          // Verified downloads twice: as shipped (the server's checksum after the last byte) and with
          // the opt-in that asks for it while the data moves (DISKFERRY_SERVER_CHECKSUM=early).
          for (const early of verify ? [false, true] : [false]) {
            cases.push({
              name: `download ${img.name}, ${v}${early ? ', server checksum early (opt-in)' : ''}`,
              run: (round) => {
                const out = join(work, `out-${round}.raw`);
                return runCase(
                  io, pinned, round,
                  async () => {
                    await rm(out, { force: true });
                    return { ticket: io.ticket(img.path, 'read'), check: () => sameBytes(img.path, out), cleanup: () => rm(out, { force: true }) };
                  },
                  (t) => ['download', '--transfer-url', t.url, '--ca-file', io.caFile, '--output', out, '--quiet', ...(verify ? [] : ['--no-verify'])],
                  async (t) => {
                    const down = await timed([TOOL, 'client', 'download', t.url, out, 'raw'], pinned, io.env);
                    if (!verify) return down;
                    const ver = await referenceVerify(io, t, out, pinned);
                    return { wallS: down.wallS + ver.wallS, cpuS: down.cpuS + ver.cpuS, rssMiB: Math.max(down.rssMiB, ver.rssMiB) };
                  },
                  early ? { ...process.env, DISKFERRY_SERVER_CHECKSUM: 'early' } : process.env,
                );
              },
            });
          }
        }
      }
      if (!scaleOnly) cases.push({
        name: 'upload empty 100 GiB, --no-verify',
        run: (round) =>
          runCase(
            io, pinned, round,
            async () => {
              const u = await uploadTarget(100 * GiB)();
              return { ticket: u.ticket, check: () => execFileSync('du', ['-k', u.target], { encoding: 'utf8' }).startsWith('0\t'), cleanup: () => rm(u.target, { force: true }) };
            },
            (t) => ['upload', empty, '--transfer-url', t.url, '--ca-file', io.caFile, '--quiet', '--no-verify'],
            (t) => timed([TOOL, 'client', 'upload', empty, t.url], pinned, io.env),
          ),
      });
      for (const c of cases.filter((k) => !only || only.test(k.name))) {
        const results: CaseResult[] = [];
        for (let round = 1; round <= rounds; round++) {
          process.stderr.write(`bench: ${pinned ? 'pinned' : 'shared'} cores, ${c.name}, round ${round}…\n`);
          results.push(await c.run(round));
        }
        allSame &&= results.every((r) => r.same);
        const ratios = results.map((r) => r.ours.wallS / r.ref.wallS);
        const m = (f: (r: CaseResult) => number) => median(results.map(f)).toFixed(2);
        table.push([
          pinned ? 'pinned' : 'shared',
          c.name,
          `${m((r) => r.ours.wallS)} s`,
          `${m((r) => r.ref.wallS)} s`,
          `**${median(ratios).toFixed(2)}×** (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
          `${m((r) => r.ours.cpuS)} / ${m((r) => r.ref.cpuS)} s`,
          `${m((r) => r.ours.serverCpuS)} / ${m((r) => r.ref.serverCpuS)} s`,
          `${m((r) => r.ours.rssMiB)} / ${m((r) => r.ref.rssMiB)} MiB`,
        ]);
      }
    }
    // Start-up: `diskferry --version` against importing the reference client.
    const version: number[] = [];
    const importClient: number[] = [];
    const startUp = !scaleOnly && (!only || only.test('start-up'));
    for (let i = 0; i < (startUp ? 5 : 0); i++) {
      version.push((await timed([CLI, '--version'], false)).wallS);
      importClient.push((await timed([TOOL, 'python', '-c', 'from ovirt_imageio import client'], false, io.env)).wallS);
    }
    if (startUp) table.push(['shared', 'start-up: `diskferry --version` / python importing the client', `${median(version).toFixed(2)} s`, `${median(importClient).toFixed(2)} s`, `${(median(version) / median(importClient)).toFixed(2)}×`, '', '', '']);
  } finally {
    io.stop();
    if (!flag('--keep')) await rm(work, { recursive: true, force: true });
  }
  const head = ['cores', 'case', 'diskferry', 'reference', 'ratio (range)', 'client CPU ours / ref', 'server CPU ours / ref', 'peak RSS ours / ref'];
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / GiB).toFixed(0)} GiB, Node ${process.version}`;
  const lines = flag('--markdown')
    ? [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...table.map((r) => `| ${r.join(' | ')} |`)]
    : [head.join('\t'), ...table.map((r) => r.join('\t'))];
  process.stdout.write(
    `\nMachine: ${machine}\nServer: ovirt-imageio 2.5.3 (real daemon, qemu-nbd tickets, sparse, ${NBD_CACHE === 'none' ? 'direct I/O: --cache=none --aio=native' : 'page cache: --cache=writeback --aio=threads'}); reference: ovirt_imageio.client (4 workers)\nMemory: ${memoryMode} (see docs/benchmarks.md, "Memory on this VM")\nRounds: ${rounds}, medians; ratio = diskferry / reference time of the same round (range over rounds); verified rows: the reference client followed by server /checksum ‖ client.checksum\nBytes identical every round: ${allSame ? 'yes' : 'NO'}\n\n${lines.join('\n')}\n`,
  );
  if (!allSame) process.exitCode = 1;
}
