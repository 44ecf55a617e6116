/**
 * zod schemas for the engine's JSON (reference/engine.md §2): integers and booleans arrive as
 * strings, empty collections as `{}` or a missing key, enums in lowercase. Each parser turns the
 * engine's shape into the plain types of types.ts and throws a `protocol` error on a broken answer.
 */
import { z } from 'zod';
import { StorageDomainStatusSchema } from '../../../shared/schemas/common.js';
import { DiskFerryError } from '../errors.js';
import {
  type Disk,
  type DiskStatus,
  type EngineVersion,
  type ImageTransfer,
  type StorageDomain,
  type StorageDomainStatus,
} from './types.js';

/** An integer the engine prints as a string (or a number); must be exact, so at most 2^53. */
export const intLike = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : /^\s*-?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    ctx.addIssue({ code: 'custom', message: 'expected an integer below 2^53' });
    return z.NEVER;
  }
  return n;
});

/** A boolean as "true"/"false" (any case), "1"/"0", or a JSON boolean. */
export const boolLike = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  ctx.addIssue({ code: 'custom', message: 'expected a boolean' });
  return z.NEVER;
});

/** An enum value: the engine spells them in lowercase, but compare without trusting that. */
export const lower = z.string().transform((s) => s.toLowerCase());

/** Absent or null → null. */
export function nullable<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((v) => v ?? null);
}

const ref = z.object({ id: z.string().min(1) });

/** A nested collection such as `"storage_domains": {"storage_domain": [{"id": …}]}` → the ids. */
function nestedIds(key: string) {
  return z
    .object({ [key]: z.array(ref).nullish() })
    .nullish()
    .transform((v) => (v?.[key] ?? []).map((r) => r.id));
}

const versionSchema = z.object({
  product_info: z.object({
    version: z.object({
      major: intLike,
      minor: intLike,
      build: nullable(intLike),
      revision: nullable(intLike),
      full_version: nullable(z.string()),
    }),
  }),
});

/** The statuses the window knows (shared/schemas): any other reads as unknown. */
const STORAGE_DOMAIN_STATUSES: readonly StorageDomainStatus[] = StorageDomainStatusSchema.options;

const storageDomainSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  type: lower,
  status: nullable(lower),
  storage: nullable(z.object({ type: nullable(lower) })),
  available: nullable(intLike),
  used: nullable(intLike),
  committed: nullable(intLike),
  critical_space_action_blocker: nullable(intLike),
  data_centers: nestedIds('data_center'),
  data_center: nullable(ref),
});

const diskSchema = z.object({
  id: z.string().min(1),
  name: nullable(z.string()),
  alias: nullable(z.string()),
  description: nullable(z.string()),
  provisioned_size: nullable(intLike),
  actual_size: nullable(intLike),
  total_size: nullable(intLike),
  format: z.enum(['raw', 'cow']),
  sparse: nullable(boolLike),
  status: nullable(lower),
  content_type: nullable(lower),
  storage_type: nullable(lower),
  storage_domains: nestedIds('storage_domain'),
  backup: nullable(lower),
  qcow_version: nullable(lower),
});

const transferSchema = z.object({
  id: z.string().min(1),
  phase: lower,
  direction: nullable(z.enum(['upload', 'download'])),
  format: nullable(z.enum(['raw', 'cow'])),
  transfer_url: nullable(z.string()),
  proxy_url: nullable(z.string()),
  signed_ticket: nullable(z.string()),
  image: nullable(ref),
  host: nullable(ref),
  active: nullable(boolLike),
  transferred: nullable(intLike),
  inactivity_timeout: nullable(intLike),
  timeout_policy: nullable(lower),
});

const faultSchema = z.object({ reason: nullable(z.string()), detail: nullable(z.string()) });

const tokenSchema = z.object({
  access_token: z.string().min(1),
  exp: nullable(z.union([z.string(), z.number()])),
});

const ssoErrorSchema = z.object({
  error: nullable(z.string()),
  error_code: nullable(z.string()),
  error_description: nullable(z.string()),
});

/** What a schema failure means for the user; never echoes the body (it may hold tickets). */
function brokenAnswer(what: string, error: z.ZodError): DiskFerryError {
  const issue = error.issues[0];
  const where = issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'unexpected shape';
  return new DiskFerryError('protocol', `The engine sent an unexpected answer to ${what} (${where}). Check that the URL points at an oVirt engine.`, {
    retryable: false,
  });
}

/** Parses with `schema`, or throws a `protocol` error naming `what`. */
export function parseWith<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S> {
  const r = schema.safeParse(json);
  if (!r.success) throw brokenAnswer(what, r.error);
  return r.data;
}

/** `GET /ovirt-engine/api` → the engine version. */
export function parseEngineVersion(json: unknown): EngineVersion {
  const v = parseWith(versionSchema, json, 'the version request').product_info.version;
  const build = v.build ?? 0;
  const revision = v.revision ?? 0;
  return { major: v.major, minor: v.minor, build, revision, full: v.full_version ?? `${v.major}.${v.minor}.${build}.${revision}` };
}

/** One storage domain; `status` is the one given in this JSON (null when the engine hides it). */
export function parseStorageDomain(json: unknown): StorageDomain & { readonly reportedStatus: StorageDomainStatus | null } {
  const sd = parseWith(storageDomainSchema, json, 'a storage domain request');
  const storageType = sd.storage?.type ?? null;
  const known = STORAGE_DOMAIN_STATUSES.find((s) => s === sd.status) ?? null;
  const reportedStatus = sd.status === null ? null : (known ?? 'unknown');
  return {
    id: sd.id,
    name: sd.name,
    type: sd.type,
    storageType,
    isBlock: storageType === 'iscsi' || storageType === 'fcp',
    status: reportedStatus ?? 'unknown',
    reportedStatus,
    available: sd.available,
    used: sd.used,
    committed: sd.committed,
    criticalSpace: sd.critical_space_action_blocker === null ? null : sd.critical_space_action_blocker * 1024 ** 3,
    dataCenterId: sd.data_center?.id ?? sd.data_centers[0] ?? null,
  };
}

/** One disk. */
export function parseDisk(json: unknown): Disk {
  const d = parseWith(diskSchema, json, 'a disk request');
  const status: DiskStatus | null = d.status === 'ok' || d.status === 'locked' || d.status === 'illegal' ? d.status : null;
  return {
    id: d.id,
    name: d.name ?? d.alias ?? '',
    description: d.description,
    provisionedSize: d.provisioned_size,
    actualSize: d.actual_size,
    totalSize: d.total_size,
    format: d.format,
    // The engine's DiskImageBase default is sparse.
    sparse: d.sparse ?? true,
    status,
    contentType: d.content_type,
    storageType: d.storage_type,
    storageDomainIds: d.storage_domains,
    backup: d.backup,
    qcowVersion: d.qcow_version,
  };
}

/** One image transfer. `diskId` falls back to the id the caller asked for when `image` is missing. */
export function parseImageTransfer(json: unknown, fallbackDiskId: string | null = null): ImageTransfer {
  const t = parseWith(transferSchema, json, 'an image transfer request');
  return {
    id: t.id,
    // Unknown phases from newer engines are kept verbatim; callers treat them as "not terminal".
    phase: t.phase,
    // The engine's default direction is upload; it only checks for "download".
    direction: t.direction ?? 'upload',
    format: t.format,
    transferUrl: t.transfer_url,
    proxyUrl: t.proxy_url,
    signedTicket: t.signed_ticket,
    diskId: t.image?.id ?? fallbackDiskId,
    hostId: t.host?.id ?? null,
    active: t.active,
    transferred: t.transferred,
    inactivityTimeout: t.inactivity_timeout,
    timeoutPolicy: t.timeout_policy,
  };
}

/**
 * A collection: `{"disk": [...]}`, `{}` when empty. Items that do not parse are handed to
 * `onInvalid` and skipped, so one odd entity (a direct LUN disk) does not hide all the others.
 */
export function parseCollection<T>(json: unknown, key: string, what: string, parseItem: (item: unknown) => T, onInvalid: (err: DiskFerryError) => void): T[] {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new DiskFerryError('protocol', `The engine sent an unexpected answer to ${what} (not a JSON object).`, { retryable: false });
  const raw = (json as Record<string, unknown>)[key];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new DiskFerryError('protocol', `The engine sent an unexpected answer to ${what} (${key} is not a list).`, { retryable: false });
  const out: T[] = [];
  for (const item of raw) {
    try {
      out.push(parseItem(item));
    } catch (err) {
      if (!(err instanceof DiskFerryError)) throw err;
      onInvalid(err);
    }
  }
  return out;
}

/** An engine fault `{reason, detail}`; null when the body is not one. */
export function parseFault(json: unknown): { reason: string | null; detail: string | null } | null {
  const r = faultSchema.safeParse(json);
  if (!r.success || (r.data.reason === null && r.data.detail === null)) return null;
  return r.data;
}

/** The SSO token answer. `exp` (epoch ms, possibly 2^63−1) is kept exact as a bigint. */
export function parseToken(json: unknown): { accessToken: string; expiresAt: bigint | null } {
  const t = parseWith(tokenSchema, json, 'the login request');
  let expiresAt: bigint | null = null;
  if (typeof t.exp === 'string' && /^\d+$/.test(t.exp.trim())) expiresAt = BigInt(t.exp.trim());
  else if (typeof t.exp === 'number' && Number.isSafeInteger(t.exp)) expiresAt = BigInt(t.exp);
  return { accessToken: t.access_token, expiresAt };
}

/**
 * An SSO error in either shape (reference/engine.md §1.1): `{error_code, error}` for the API scope,
 * `{error, error_description}` otherwise. Null when the body is neither.
 */
export function parseSsoError(json: unknown): { code: string; message: string } | null {
  const r = ssoErrorSchema.safeParse(json);
  if (!r.success) return null;
  const e = r.data;
  if (e.error_description !== null) return { code: e.error ?? 'unknown', message: e.error_description };
  if (e.error_code !== null || e.error !== null) return { code: e.error_code ?? 'unknown', message: e.error ?? e.error_code ?? '' };
  return null;
}
