/**
 * The fuses electron-builder flipped in the packaged binary, against electron-builder.yml's
 * electronFuses (a fuse the file leaves out must keep Electron's shipped state), and against the
 * product's rule (docs/packaging.md): no RunAsNode, no NODE_OPTIONS, no inspector flags, the app
 * loaded only from an integrity-checked app.asar.
 */
import { getCurrentFuseWire } from '@electron/fuses';
import type { Finding } from './finding.js';
import { SHIPPED_FUSES } from './stand-in.js';

/** electron-builder.yml's electronFuses keys, in fuse-wire order. */
export const FUSE_KEYS = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;

type FuseKey = (typeof FUSE_KEYS)[number];

/** The states the product requires whatever the configuration says. */
const REQUIRED: Partial<Record<FuseKey, boolean>> = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
};

/** The fuse states of `binary` as a `0`/`1` string, wire order. */
export async function readFuses(binary: string): Promise<string> {
  const wire = (await getCurrentFuseWire(binary)) as unknown as Record<string, number>;
  return FUSE_KEYS.map((_, i) => String.fromCharCode(wire[i] ?? 0)).join('');
}

/** Compares the binary's fuses with `configured` (electron-builder.yml's electronFuses). */
export async function checkFuses(binary: string, configured: Readonly<Record<string, unknown>> | undefined): Promise<{ findings: Finding[]; states: string }> {
  const findings: Finding[] = [];
  const states = await readFuses(binary);
  for (const key of Object.keys(configured ?? {})) {
    if (!(FUSE_KEYS as readonly string[]).includes(key) && key !== 'resetAdHocDarwinSignature') findings.push({ check: 'fuses', message: `electronFuses.${key} is not a fuse this check knows; add it to scripts/package-check/fuses.ts` });
  }
  FUSE_KEYS.forEach((key, i) => {
    const set = configured?.[key];
    const want = typeof set === 'boolean' ? (set ? '1' : '0') : SHIPPED_FUSES[i];
    if (states[i] !== want) findings.push({ check: 'fuses', message: `fuse ${key} is ${states[i] === '1' ? 'on' : 'off'} in the packaged binary, but electron-builder.yml ${typeof set === 'boolean' ? `sets it ${set ? 'on' : 'off'}` : `leaves it at Electron's ${want === '1' ? 'on' : 'off'}`}` });
    const required = REQUIRED[key];
    if (required !== undefined && set !== required) findings.push({ check: 'fuses', message: `electron-builder.yml must set electronFuses.${key}: ${required} (docs/packaging.md)` });
  });
  return { findings, states };
}
