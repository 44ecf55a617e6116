/**
 * With the EnableEmbeddedAsarIntegrityValidation fuse on, Electron on macOS and Windows refuses to
 * start when the SHA-256 of app.asar's header differs from the one embedded at packing time (in
 * Info.plist's ElectronAsarIntegrity, or the executable's INTEGRITY/ELECTRONASAR resource). This
 * reads the embedded hash and compares it with the archive's. Linux has no embedded hash.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import asar from '@electron/asar';
import type { Finding } from './finding.js';
import type { TargetPlatform } from './stand-in.js';

/** resedit, required untyped (its declarations pull the DOM library into the Node type check). */
const resedit = createRequire(import.meta.url)('resedit') as {
  NtExecutable: { from(bin: Uint8Array): unknown };
  NtExecutableResource: { from(exe: unknown): { entries: Array<{ type: string | number; id: string | number; bin: ArrayBuffer }> } };
};

/** The SHA-256 (hex) of an asar's header, as Electron computes it. */
export function headerHash(asarPath: string): string {
  const { headerString } = asar.getRawHeader(asarPath) as { headerString: string };
  return createHash('sha256').update(headerString).digest('hex');
}

/** The hash embedded for app.asar, or null when there is none. */
async function embeddedHash(platform: TargetPlatform, fuseBinary: string): Promise<string | null> {
  if (platform === 'mac') {
    const plist = await readFile(join(fuseBinary, 'Contents', 'Info.plist'), 'utf8');
    const block = /<key>ElectronAsarIntegrity<\/key>\s*<dict>([\s\S]*?<\/dict>)\s*<\/dict>/.exec(plist)?.[1] ?? '';
    const entry = /<key>Resources\/app\.asar<\/key>\s*<dict>([\s\S]*?)<\/dict>/.exec(block)?.[1] ?? '';
    return /<key>hash<\/key>\s*<string>([0-9a-f]+)<\/string>/.exec(entry)?.[1] ?? null;
  }
  if (platform === 'win') {
    const exe = resedit.NtExecutable.from(await readFile(fuseBinary));
    const entry = resedit.NtExecutableResource.from(exe).entries.find((e) => e.type === 'INTEGRITY' && e.id === 'ELECTRONASAR');
    if (!entry) return null;
    const list = JSON.parse(Buffer.from(entry.bin).toString('utf8')) as Array<{ file: string; value: string }>;
    return list.find((i) => i.file.toLowerCase() === 'resources\\app.asar')?.value ?? null;
  }
  return null;
}

/** Findings when the fuse is on and the embedded hash is missing or not the archive's. */
export async function checkIntegrity(platform: TargetPlatform, fuseBinary: string, asarPath: string, fuseOn: boolean): Promise<{ findings: Finding[]; note: string }> {
  if (platform === 'linux' || !fuseOn) return { findings: [], note: platform === 'linux' ? 'no embedded asar integrity on Linux' : 'asar integrity validation off' };
  const want = headerHash(asarPath);
  const got = await embeddedHash(platform, fuseBinary);
  if (got === null) return { findings: [{ check: 'integrity', message: `asar integrity validation is on, but no hash of app.asar is embedded in the ${platform === 'mac' ? "app's Info.plist" : 'executable'}: the app would not start` }], note: '' };
  if (got !== want) return { findings: [{ check: 'integrity', message: `the embedded hash of app.asar (${got.slice(0, 12)}…) is not the archive's (${want.slice(0, 12)}…): the app would not start` }], note: '' };
  return { findings: [], note: `asar integrity ${want.slice(0, 12)}… embedded` };
}
