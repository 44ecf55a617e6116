/**
 * What each engine generation can do (protocol.md §1, reference/engine.md §6). Every decision that
 * depends on the engine version goes through one of these predicates, so the table lives in one place.
 */
import type { EngineVersion } from './types.js';

/** A version as [major, minor, build]; missing parts count as 0. */
type Triple = readonly [number, number, number];

/** True when `v` is at least `major.minor.build`. */
export function versionAtLeast(v: EngineVersion, major: number, minor: number, build = 0): boolean {
  const a: Triple = [v.major, v.minor, v.build];
  const b: Triple = [major, minor, build];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

/** `disk: {id}` and `snapshot: {id}` targets (4.2.0); older engines take `image: {id}` (the disk id). */
export function supportsDiskTarget(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 2);
}

/** The transfer `format` (raw → NBD backend: guest data, extents, zero) and disk `backup` (4.3.0). */
export function supportsFormat(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 3);
}

/** Disk `content_type` (ISO disks on data domains) (4.2.1). */
export function supportsContentType(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 2, 1);
}

/** The `inactivity_timeout` transfer attribute (4.2.3). */
export function supportsInactivityTimeout(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 2, 3);
}

/** The `timeout_policy` transfer attribute (4.4.5). */
export function supportsTimeoutPolicy(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 4, 5);
}

/** Finished transfer rows stay readable for 15–30 min (4.4.7); before, they vanish (404) at once. */
export function keepsFinishedRows(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 4, 7);
}

/**
 * The session dies unless the client calls `extend` (before 4.2, when the engine started extending
 * tickets itself and, from 4.2.3, watching imageio's idle time instead).
 */
export function needsClientExtend(v: EngineVersion): boolean {
  return !versionAtLeast(v, 4, 2);
}

/** The proxy needs the `signed_ticket` as its `Authorization` header (before 4.2). */
export function needsSignedTicket(v: EngineVersion): boolean {
  return !versionAtLeast(v, 4, 2);
}

/** The `cancel` transfer action (4.2.3); before, a transfer can only be ended with `finalize`. */
export function supportsCancel(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 2, 3);
}

/** A failed or cancelled upload deletes the disk, even one that existed before (4.2.4). */
export function deletesDiskOnUploadFailure(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 2, 4);
}

/** The VM backup API (4.3 tech preview: running VMs, no checkpoints). */
export function supportsBackupApi(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 3);
}

/** Checkpoints and incremental backups (4.4). */
export function supportsCheckpoints(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 4);
}

/** Hybrid (snapshot-based) backups, the default, with `?legacy=true` to opt out (4.5.0). */
export function supportsHybridBackup(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 5);
}

/** `GET /disks/{id}/disksnapshots`, per-disk `backup_mode` and shallow transfers (4.4.3). */
export function supportsDiskSnapshotList(v: EngineVersion): boolean {
  return versionAtLeast(v, 4, 4, 3);
}

/** Parses "4.5.7.1" / "4.3" style text (tests, user input); null when it is not a version. */
export function parseVersionText(text: string): EngineVersion | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3] ?? 0), revision: Number(m[4] ?? 0), full: text.trim() };
}
