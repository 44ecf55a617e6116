/**
 * The secrets scan of the test suite's output: reads the ledger of the simulator's secrets
 * (test/simulator/secret-ledger.ts) and searches files — captured test output, logs, reports,
 * journals, queue stores — for every secret in it. A finding names the file, the line and the kind of secret, never
 * the secret. Used by scripts/test-unit.ts; tested by test/scripts/secret-scan.test.ts.
 *
 * Matching is one pass per file with a rolling hash of each secret's first characters (a bit filter,
 * then a map, then an exact compare), so the cost grows with the bytes scanned, not with bytes times
 * secrets: thousands of secrets over tens of megabytes take about a second.
 *
 * What is read is only what can hold a secret. Logs, reports, journals, queue stores and captured
 * output are text; a secret is printable ASCII. So a big file is read only when its first 64 KiB look
 * like text (`looksLikeText`: the simulator's volumes start with NUL bytes or runs of other control
 * bytes); of a sparse one only the data the file system holds (SEEK_DATA / SEEK_HOLE: a hole reads
 * as zeros, and no secret holds a NUL); and a file with several names (the hard links the suite keeps
 * of what tests removed, one per removal) once, its findings reported under every name.
 */
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorCode } from '../main/engine/errors.js';
import { sparseFilesFor } from '../main/engine/os/index.js';

/** One ledger entry. */
export interface Secret {
  readonly kind: string;
  readonly value: string;
}

/** A secret found where it must not be. */
export interface Finding {
  /** The file, with any secret in its path replaced by `<kind>`. */
  readonly file: string;
  readonly kind: string;
  /** 1-based line of the first occurrence in the file; 0 when the secret is in the file's path. */
  readonly line: number;
}

/** What a scan looked at and found. */
export interface ScanResult {
  readonly findings: readonly Finding[];
  /** Files searched, each name of a file with several (hard links) counted. */
  readonly filesScanned: number;
  /** Bytes read and searched: a file with several names once, holes not at all. */
  readonly bytesScanned: number;
  /** Names of files searched under another name already (hard links), not read again. */
  readonly filesLinked: number;
  /** Files left out: disk images (large and binary, or beyond `maxFileBytes`), or not regular files. */
  readonly filesSkipped: number;
  /** Deliberate holders of a secret that were let off (see `isDeliberateHolder`). */
  readonly filesExempted: number;
  readonly secretsSearched: number;
  /** Ledger values shorter than `minSecretLength`, not searched (they would match by chance). */
  readonly secretsTooShort: number;
}

/** Scan options. */
export interface ScanOptions {
  /** Default 64 MiB: bigger files are disk images, not logs or reports. */
  readonly maxFileBytes?: number;
  /** Default 1 MiB: a bigger file is searched only when its first 64 KiB look like text (`looksLikeText`). */
  readonly alwaysScanBytes?: number;
  /** Default 8. */
  readonly minSecretLength?: number;
}

const PREFIX = 8;
const FILTER_BITS = 1 << 22;
const BASE = 0x01000193;

/** B^(PREFIX-1) in 32-bit arithmetic, to drop the oldest character from the rolling hash. */
const DROP = (() => {
  let p = 1;
  for (let i = 1; i < PREFIX; i++) p = Math.imul(p, BASE);
  return p;
})();

function hashPrefix(s: string): number {
  let h = 0;
  for (let i = 0; i < PREFIX; i++) h = (Math.imul(h, BASE) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Files that hold a secret on purpose: a password file passed to `--password-file`, by the name the
 * tests give it (`pw` or `*.pw`), may hold a password; the command line's kept engine sessions
 * (`engine-sessions.json`, readable only by the user, where no keychain is) may hold access tokens.
 * Any other secret in them is still a finding.
 */
function isDeliberateHolder(file: string, kind: string): boolean {
  const name = basename(file);
  return (kind === 'password' && (name === 'pw' || name.endsWith('.pw'))) || (kind === 'access-token' && name === 'engine-sessions.json');
}

/** Reads the ledger (JSON lines); unreadable lines are an error, a missing file is an empty ledger. */
export async function readLedger(file: string): Promise<Secret[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
  const seen = new Map<string, Secret>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let entry: Partial<Secret>;
    try {
      entry = JSON.parse(line) as Partial<Secret>;
    } catch {
      throw new Error(`secret ledger line ${i + 1} is not JSON`);
    }
    if (typeof entry.kind !== 'string' || typeof entry.value !== 'string') throw new Error(`secret ledger line ${i + 1} lacks kind or value`);
    seen.set(entry.value, { kind: entry.kind, value: entry.value });
  }
  return [...seen.values()];
}

/** A matcher for many secrets at once. */
export class SecretMatcher {
  private readonly filter = new Uint8Array(FILTER_BITS / 8);
  private readonly byHash = new Map<number, Secret[]>();
  readonly searched: number;
  readonly tooShort: number;

  constructor(secrets: readonly Secret[], minLength = 8) {
    let searched = 0;
    let tooShort = 0;
    for (const s of secrets) {
      if (s.value.length < Math.max(minLength, PREFIX)) {
        tooShort++;
        continue;
      }
      searched++;
      const h = hashPrefix(s.value);
      this.filter[(h & (FILTER_BITS - 1)) >>> 3]! |= 1 << (h & 7);
      const list = this.byHash.get(h);
      if (list) list.push(s);
      else this.byHash.set(h, [s]);
    }
    this.searched = searched;
    this.tooShort = tooShort;
  }

  /** Each secret found in `text` (once), with the offset of its first occurrence. */
  find(text: string): Array<{ secret: Secret; offset: number }> {
    const found = new Map<string, { secret: Secret; offset: number }>();
    if (this.searched === 0 || text.length < PREFIX) return [];
    let h = 0;
    for (let i = 0; i < text.length; i++) {
      if (i >= PREFIX) h = (h - Math.imul(text.charCodeAt(i - PREFIX), DROP)) | 0;
      h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
      if (i < PREFIX - 1) continue;
      if ((this.filter[(h & (FILTER_BITS - 1)) >>> 3]! & (1 << (h & 7))) === 0) continue;
      const candidates = this.byHash.get(h);
      if (!candidates) continue;
      const start = i - PREFIX + 1;
      for (const s of candidates) if (!found.has(s.value) && text.startsWith(s.value, start)) found.set(s.value, { secret: s, offset: start });
    }
    return [...found.values()];
  }

  /** `text` with every secret in it replaced by `<kind>` (for printing paths). */
  redact(text: string): string {
    let out = text;
    for (const { secret } of this.find(text)) out = out.split(secret.value).join(`<${secret.kind}>`);
    return out;
  }
}

/** Bytes of a file looked at to tell text from a disk image. */
export const TEXT_SAMPLE_BYTES = 64 * 1024;

/**
 * True when a file's first bytes look like text: no NUL, and at most one byte in ten a control byte
 * other than tab, line feed, form feed, carriage return and escape (colours in captured output).
 * Disk images fail it: a hole or a header reads as NULs, the simulator's patterns are runs of 0x01.
 */
export function looksLikeText(sample: Uint8Array): boolean {
  let control = 0;
  for (const b of sample) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) control++;
  }
  return control * 10 <= sample.length;
}

/**
 * The bytes of a file that can hold a secret. A big file is read only when it looks like text, and
 * then only its data ranges, joined by a NUL byte (so no match spans two of them, as none could
 * span the hole between); a hole holds no line feed either, so line numbers stay the file's.
 * Null for a file left out.
 */
async function readSearchable(path: string, size: number, alwaysScanBytes: number): Promise<Buffer | null> {
  if (size <= alwaysScanBytes) return readFile(path);
  const fh = await open(path, 'r');
  try {
    const sample = Buffer.alloc(Math.min(TEXT_SAMPLE_BYTES, size));
    const { bytesRead } = await fh.read(sample, 0, sample.length, 0);
    if (!looksLikeText(sample.subarray(0, bytesRead))) return null;
    const ranges = sparseFilesFor().dataRanges({ path, fd: fh.fd }, size) ?? [{ start: 0, end: size }];
    const parts: Buffer[] = [];
    for (const r of ranges) {
      const part = Buffer.alloc(r.end - r.start);
      const { bytesRead: n } = await fh.read(part, 0, part.length, r.start);
      if (parts.length > 0) parts.push(Buffer.alloc(1));
      parts.push(part.subarray(0, n));
    }
    return Buffer.concat(parts);
  } finally {
    await fh.close();
  }
}

/** Every file under the roots (a root may be a file), recursively, without following links. */
async function* filesUnder(roots: readonly string[]): AsyncGenerator<{ path: string; size: number; id: string } | { path: string; skipped: true }> {
  const stack = [...roots];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const st = await lstat(path).catch(() => null);
    if (!st) continue;
    if (st.isDirectory()) {
      const names = await readdir(path).catch(() => [] as string[]);
      for (const n of names) stack.push(join(path, n));
    } else if (st.isFile()) yield { path, size: st.size, id: `${st.dev}:${st.ino}` };
    else yield { path, skipped: true };
  }
}

/** Each secret in a file's bytes, with the 1-based line of its first occurrence. */
function lineHits(matcher: SecretMatcher, buf: Buffer): Array<{ secret: Secret; line: number }> {
  // latin1 maps every byte to one character: ASCII secrets match in text and binary files alike.
  const text = buf.toString('latin1');
  return matcher.find(text).map(({ secret, offset }) => {
    let line = 1;
    for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    return { secret, line };
  });
}

/** Searches every file under `roots` for every secret; see the module comment. */
export async function scanForSecrets(roots: readonly string[], secrets: readonly Secret[], options: ScanOptions = {}): Promise<ScanResult> {
  const maxFileBytes = options.maxFileBytes ?? 64 * 1024 * 1024;
  const alwaysScanBytes = options.alwaysScanBytes ?? 1024 * 1024;
  const matcher = new SecretMatcher(secrets, options.minSecretLength);
  const findings: Finding[] = [];
  let filesScanned = 0;
  let bytesScanned = 0;
  let filesSkipped = 0;
  let filesLinked = 0;
  const exempted = new Set<string>();
  /** What each file (device and inode) holds, found when it was first met: null when left out. */
  const searched = new Map<string, Array<{ secret: Secret; line: number }> | null>();
  for await (const f of filesUnder(roots)) {
    if ('skipped' in f || f.size > maxFileBytes) {
      filesSkipped++;
      continue;
    }
    let hits = searched.get(f.id);
    if (hits === undefined) {
      const buf = await readSearchable(f.path, f.size, alwaysScanBytes).catch(() => null);
      hits = buf && lineHits(matcher, buf);
      searched.set(f.id, hits);
      if (buf) bytesScanned += buf.length;
    } else if (hits) filesLinked++;
    if (!hits) {
      filesSkipped++;
      continue;
    }
    filesScanned++;
    const shownPath = matcher.redact(f.path);
    for (const { secret } of matcher.find(f.path)) findings.push({ file: shownPath, kind: secret.kind, line: 0 });
    for (const { secret, line } of hits) {
      if (isDeliberateHolder(f.path, secret.kind)) {
        exempted.add(f.path);
        continue;
      }
      findings.push({ file: shownPath, kind: secret.kind, line });
    }
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.kind.localeCompare(b.kind));
  return { findings, filesScanned, bytesScanned, filesLinked, filesSkipped, filesExempted: exempted.size, secretsSearched: matcher.searched, secretsTooShort: matcher.tooShort };
}
