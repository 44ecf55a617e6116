/**
 * Throughput of the imageio client against the simulated daemon, compared with curl sending one PUT
 * (and one GET) over the same TLS listener. Not a test: run it by hand.
 *
 *   TMPDIR=/dev/shm npx tsx test/engine/imageio/bench-imageio.ts [sizeMiB=1024] [workers=4] [pieceMiB=4] [rounds=3]
 *
 * (TMPDIR on tmpfs keeps the disk's writeback out of the figures; the server keeps its volumes there.)
 *
 * The server runs in a child process, so client and server each get a core, as with curl.
 * Each DiskFerry GET is repeated with the blkhash a verified download computes (on the main thread,
 * then on the opt-in hash thread); BENCH_THREADS=1 prints the CPU time of each client thread.
 */
import { spawn, execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomFillSync, randomUUID } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openImageio } from '../../../main/engine/imageio/session.js';
import { planRanges } from '../../../main/engine/imageio/plan.js';
import { uploadRanges } from '../../../main/engine/imageio/upload.js';
import { downloadRanges } from '../../../main/engine/imageio/download.js';
import { silentLog } from '../../../main/engine/log.js';
import { BlkhashAccumulator } from '../../../main/engine/image/blkhash-accumulator.js';

const MiB = 1024 * 1024;
/** CPU ms of each thread of this process so far, from /proc (Linux): which threads a GET keeps busy. */
function threadsCpu(): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    m.set(`${t}:${comm}`, (Number(f[11]) + Number(f[12])) * 10);
  }
  return m;
}

/** Child mode: a simulated daemon; each stdin line "<size>" adds a write+read ticket and prints its URL. */
async function serve(): Promise<void> {
  const { createPki } = await import('../../../main/simulator/pki.js');
  const { ImageStore } = await import('../../../main/simulator/image-store.js');
  const { noFaults } = await import('../../../main/simulator/faults.js');
  const { startImageioServer } = await import('../../../main/simulator/imageio/server.js');
  const dir = await mkdtemp(join(tmpdir(), 'diskferry-bench-'));
  const pki = await createPki();
  const images = new ImageStore(join(dir, 'images'));
  const daemon = await startImageioServer({ role: 'daemon', tls: pki.server, images, faults: noFaults() });
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, pki.caPem);
  console.log(JSON.stringify({ caFile }));
  for await (const line of createInterface({ input: process.stdin })) {
    const size = Number(line);
    const volume = randomUUID();
    const uuid = randomUUID();
    await images.create(volume, size);
    daemon.tickets.add({ uuid, size, ops: ['write'], timeout: 3600, url: `nbd:sim:${volume}`, inactivity_timeout: 60, sparse: true });
    console.log(JSON.stringify({ url: daemon.imageUrl(uuid) }));
  }
  await daemon.close();
  await rm(dir, { recursive: true, force: true });
}

function rate(bytes: number, ms: number): string {
  return `${((bytes / MiB) / (ms / 1000)).toFixed(0)} MiB/s (${(ms / 1000).toFixed(2)} s)`;
}

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 1024) * MiB;
  const workers = Number(process.argv[3] ?? 4);
  const pieceSize = Number(process.argv[4] ?? 4) * MiB;
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string) ?? 'null') as Record<string, string>;
  const { caFile } = await next();
  const ticket = async () => (child.stdin!.write(`${size}\n`), (await next())['url']!);

  const dir = await mkdtemp(join(tmpdir(), 'diskferry-bench-src-'));
  const srcPath = join(dir, 'source.raw');
  const fh = await open(srcPath, 'w');
  const block = Buffer.alloc(16 * MiB);
  for (let pos = 0; pos < size; pos += block.length) await fh.write(randomFillSync(block), 0, Math.min(block.length, size - pos), pos);
  await fh.close();
  const caPem = (await import('node:fs/promises')).readFile(caFile!, 'utf8');
  const trust = { caPem: [await caPem] };
  const curl = promisify(execFile);
  const rounds = Number(process.argv[5] ?? 3);
  console.log(`image ${size / MiB} MiB of random data; ${workers} workers, ${pieceSize / MiB} MiB pieces; median of ${rounds} rounds`);
  const results = new Map<string, Array<{ ms: number; cpuMs: number }>>();
  const record = (name: string, ms: number, cpuMs: number) => results.set(name, [...(results.get(name) ?? []), { ms, cpuMs }]);
  // Client CPU per GiB is the figure least disturbed by other load on the machine.
  const timedCurl = async (args: string[]) => {
    const { stderr } = await curl('/usr/bin/time', ['-f', 'CPU %U %S', 'curl', ...args]);
    const m = /CPU ([\d.]+) ([\d.]+)/.exec(stderr)!;
    return (Number(m[1]) + Number(m[2])) * 1000;
  };
  const cpuSince = (c0: NodeJS.CpuUsage) => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000;
  };

  const runCurl = async () => {
    // One PUT of the whole image (the baseline), then one GET of it.
    const url = await ticket();
    let t0 = performance.now();
    let cpuMs = await timedCurl(['-sS', '--fail', '--cacert', caFile!, '-X', 'PUT', '-T', srcPath, '-H', 'Expect:', '-H', `Content-Range: bytes 0-${size - 1}/*`, `${url}?flush=n`, '-o', '/dev/null']);
    record('curl PUT (1 request, no flush)', performance.now() - t0, cpuMs);
    t0 = performance.now();
    cpuMs = await timedCurl(['-sS', '--fail', '--cacert', caFile!, '-r', `0-${size - 1}`, url, '-o', '/dev/null']);
    record('curl GET (1 request)', performance.now() - t0, cpuMs);
  };
  const runDiskFerry = async (w: number) => {
    // Upload from the same file, then download into a sink that drops the bytes.
    const url = await ticket();
    const signal = new AbortController().signal;
    const session = await openImageio({ transferUrl: url, proxyUrl: null, trust, log: silentLog, signal });
    const src = await open(srcPath, 'r');
    const source = { read: async (offset: number, buffer: Buffer) => (await src.read(buffer, 0, buffer.length, offset)).bytesRead };
    const plan = planRanges([{ start: 0, length: size, zero: false }]);
    let t0 = performance.now();
    let c0 = process.cpuUsage();
    let dataDone = 0;
    const onProgress = (p: { bytesDone: number }) => {
      if (p.bytesDone === size && !dataDone) dataDone = performance.now();
    };
    await uploadRanges({ session, source, plan, workers: w, pieceSize, zeroMode: 'skip', signal, onProgress });
    // The final PATCH flush makes the server fsync; curl's flush=n PUT does not, so both figures are kept.
    const putCpu = cpuSince(c0);
    record(`diskferry PUT x${w} (data, before flush)`, dataDone - t0, putCpu);
    record(`diskferry PUT x${w} (with final flush)`, performance.now() - t0, putCpu);
    const th0 = threadsCpu();
    t0 = performance.now();
    c0 = process.cpuUsage();
    await downloadRanges({ session, plan, workers: w, pieceSize, sink: { write: async () => {} }, signal });
    record(`diskferry GET x${w}`, performance.now() - t0, cpuSince(c0));
    // BENCH_THREADS=1: CPU per thread during the plain GET (the main thread, libuv's pool, V8's GC helpers).
    if (process.env['BENCH_THREADS']) {
      for (const [k, v] of threadsCpu()) if (v - (th0.get(k) ?? 0) > 0) console.log('  thread', k, v - (th0.get(k) ?? 0), 'ms');
    }
    // The same download, hashed for verification as a real download is (blkhash, BLAKE2b-256, 4 MiB blocks).
    for (const thread of [false, true]) {
      const acc = await BlkhashAccumulator.create(size, { thread });
      t0 = performance.now();
      c0 = process.cpuUsage();
      await downloadRanges({ session, plan, workers: w, pieceSize, sink: { write: async (offset, data) => acc.add(offset, data) }, signal });
      await acc.digest();
      record(`diskferry GET x${w} + blkhash${thread ? ' (hash thread)' : ''}`, performance.now() - t0, cpuSince(c0));
    }
    await src.close();
    await session.close();
  };
  const methods = [runCurl, () => runDiskFerry(1), () => runDiskFerry(workers)];
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no method always runs first (or right after another's cleanup).
    for (let i = 0; i < methods.length; i++) await methods[(round + i) % methods.length]!();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, runs] of results) {
    const cpuPerGiB = median(runs.map((r) => r.cpuMs)) / (size / 2 ** 30);
    console.log(`${name.padEnd(40)} ${rate(size, median(runs.map((r) => r.ms)))}, client CPU ${cpuPerGiB.toFixed(0)} ms/GiB`);
  }
  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));
  await rm(dir, { recursive: true, force: true });
}

if (process.argv.includes('--serve')) await serve();
else await main();
