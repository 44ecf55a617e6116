/**
 * Payloads for the IPC rejection tests (Electron main and the web host's WebSocket): one minimal and
 * one full valid request per invoke channel, typed against the contract so that a new channel does
 * not compile until it has samples, and the invalid variants derived from them — wrong types,
 * missing fields, extra keys, oversized strings, keys and arrays, prototype keys, non-finite numbers,
 * objects that are not plain data, hostile nesting.
 */
import { INVOKE_CHANNELS, type InvokeChannel, type InvokeRequest } from '../../shared/ipc.js';
import { DEFAULT_SETTINGS } from '../../shared/schemas/index.js';

/** A valid request with only the required fields, and one with every optional field set. */
export interface ChannelSamples<C extends InvokeChannel> {
  readonly minimal: InvokeRequest<C>;
  readonly full: InvokeRequest<C>;
}

const FINGERPRINT = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0')).join(':');
/** An address where nothing listens: the positive controls that try to connect fail fast. */
const DEAD_ENGINE = 'https://127.0.0.1:9/ovirt-engine';

const NEW_ENGINE_MINIMAL = { engineUrl: DEAD_ENGINE, username: 'admin@internal', password: 'sample-password-1', savePassword: false, trust: { kind: 'system' } } as const;
const NEW_ENGINE_FULL = {
  name: 'lab',
  engineUrl: DEAD_ENGINE,
  username: 'admin@internal',
  password: 'sample-password-1',
  savePassword: true,
  trust: { kind: 'fingerprint', fingerprint: FINGERPRINT },
  systemTrust: true,
  proxy: 'none',
} as const;

/** Valid samples of every invoke channel. */
export const SAMPLES: { readonly [C in InvokeChannel]: ChannelSamples<C> } = {
  'engines:list': { minimal: undefined, full: undefined },
  'engines:add': { minimal: NEW_ENGINE_MINIMAL, full: NEW_ENGINE_FULL },
  'engines:testNew': { minimal: NEW_ENGINE_MINIMAL, full: NEW_ENGINE_FULL },
  'engines:fetchCa': { minimal: { engineUrl: DEAD_ENGINE }, full: { engineUrl: DEAD_ENGINE, proxy: 'none' } },
  'engines:trust': { minimal: { id: 'no-such-profile', fingerprint: FINGERPRINT }, full: { id: 'no-such-profile', fingerprint: FINGERPRINT } },
  'engines:test': { minimal: { id: 'no-such-profile' }, full: { id: 'no-such-profile', password: 'sample-password-1' } },
  'engines:remove': { minimal: { id: 'no-such-profile' }, full: { id: 'no-such-profile' } },
  'engines:select': { minimal: { id: 'no-such-profile' }, full: { id: 'no-such-profile', password: 'sample-password-1', savePassword: false } },
  'engines:demo': { minimal: undefined, full: undefined },
  'catalog:storageDomains': { minimal: {}, full: { refresh: true } },
  'catalog:disks': { minimal: {}, full: { search: 'web*', max: 10 } },
  'catalog:diskNameCounts': { minimal: { names: ['disk'] }, full: { names: ['disk', 'other disk'] } },
  'transfers:planUploads': { minimal: { paths: ['/no/such/disk.raw'] }, full: { paths: ['/no/such/disk.raw', '/no/such/boot.iso'] } },
  'transfers:planDownloads': { minimal: { folder: '/no/such/folder' }, full: { folder: '/no/such/folder' } },
  'transfers:addUploads': {
    minimal: { items: [{ path: '/no/such/disk.raw', storageDomainId: 'no-such-domain', diskName: 'disk' }] },
    full: { items: [{ path: '/no/such/disk.raw', storageDomainId: 'no-such-domain', diskName: 'disk', diskFormat: 'raw', preallocated: false }], start: 'window' },
  },
  'transfers:addDownloads': {
    minimal: { diskIds: ['no-such-disk'], folder: '/no/such/folder', format: 'raw', existing: 'skip' },
    full: { diskIds: ['no-such-disk'], folder: '/no/such/folder', format: 'raw', nameTemplate: '{disk}.{ext}', existing: 'skip', start: 'window' },
  },
  'transfers:pause': { minimal: { id: 'no-such-transfer' }, full: { id: 'no-such-transfer' } },
  'transfers:resume': { minimal: { id: 'no-such-transfer' }, full: { id: 'no-such-transfer' } },
  'transfers:cancel': { minimal: { id: 'no-such-transfer' }, full: { id: 'no-such-transfer' } },
  'transfers:retry': { minimal: { id: 'no-such-transfer' }, full: { id: 'no-such-transfer' } },
  'transfers:retarget': {
    minimal: { id: 'no-such-transfer', target: { kind: 'download', folder: '/no/such/folder', fileName: 'disk.raw' } },
    full: { id: 'no-such-transfer', target: { kind: 'upload', storageDomainId: 'no-such-domain', diskName: 'disk', diskFormat: 'cow', preallocated: true } },
  },
  'transfers:remove': { minimal: { id: 'no-such-transfer' }, full: { id: 'no-such-transfer' } },
  'transfers:reveal': { minimal: { id: 'no-such-transfer' }, full: { id: 'no-such-transfer' } },
  'transfers:move': { minimal: { id: 'no-such-transfer', to: 'top' }, full: { id: 'no-such-transfer', to: 'bottom' } },
  'transfers:act': { minimal: { ids: ['no-such-transfer'], action: 'pause' }, full: { ids: ['no-such-transfer', 'no-such-either'], action: 'startNow' } },
  'transfers:report': { minimal: { format: 'csv' }, full: { format: 'json', ids: ['no-such-transfer'] } },
  'transfers:saveReport': { minimal: { format: 'csv' }, full: { format: 'json', ids: ['no-such-transfer'] } },
  'transfers:list': { minimal: undefined, full: undefined },
  'transfers:listEngine': { minimal: undefined, full: { diskId: 'no-such-disk', all: true } },
  'transfers:endEngine': { minimal: { id: 'no-such-transfer' }, full: { id: 'no-such-transfer', anotherClient: true, deleteDisk: true } },
  'settings:get': { minimal: undefined, full: undefined },
  'settings:set': {
    minimal: {},
    full: { ...DEFAULT_SETTINGS, bandwidthLimit: 1 << 20, scheduleWindow: { start: '22:00', end: '06:00' }, downloadFolder: '/no/such/folder', lastStorageDomain: { 'profile-1': 'domain-1' }, backupFolder: { 'profile-1': '/no/such/folder' } },
  },
  'dialogs:openFiles': { minimal: {}, full: { title: 'Choose images' } },
  'dialogs:chooseFolder': { minimal: {}, full: { title: 'Choose a folder', defaultPath: '/no/such/folder' } },
  'app:info': { minimal: undefined, full: undefined },
  'vms:list': { minimal: undefined, full: undefined },
  'backups:plan': { minimal: { vmIds: ['no-such-vm'], folder: '/no/such/folder', mode: 'auto', snapshot: false }, full: { vmIds: ['no-such-vm'], folder: '/no/such/folder', mode: 'full', snapshot: true } },
  'backups:add': {
    minimal: { vmIds: ['no-such-vm'], folder: '/no/such/folder', mode: 'auto', snapshot: false, keep: null, start: 'now' },
    full: { vmIds: ['no-such-vm'], folder: '/no/such/folder', mode: 'incremental', snapshot: false, keep: 7, start: 'window' },
  },
  'backups:list': { minimal: undefined, full: { folder: '/no/such/folder' } },
  'backups:planRestore': { minimal: { run: '/no/such/run' }, full: { run: '/no/such/run', diskIds: ['no-such-disk'] } },
  'backups:restore': {
    minimal: { run: '/no/such/run', storageDomainId: 'no-such-domain', items: [{ backupDiskId: 'no-such-disk', diskName: 'disk' }], attach: { kind: 'none' } },
    full: { run: '/no/such/run', storageDomainId: 'no-such-domain', items: [{ backupDiskId: 'no-such-disk', diskName: 'disk', diskFormat: 'cow' }], attach: { kind: 'vm', name: 'web-01' }, start: 'window' },
  },
};

/**
 * Objects whose keys are data by design (z.record): extra keys are valid there. Every other object in
 * a request is strict. Keyed by channel, as dotted paths.
 */
export const RECORD_PATHS: Partial<Record<InvokeChannel, readonly string[]>> = { 'settings:set': ['lastStorageDomain', 'backupFolder'] };

/** One invalid request. `json`: it survives a JSON round trip unchanged (the web host can carry it). */
export interface Mutation {
  readonly what: string;
  readonly payload: unknown;
  readonly json: boolean;
}

type Path = ReadonlyArray<string | number>;
type Node = { readonly path: Path; readonly value: unknown };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (path: Path) => (path.length === 0 ? '(the request)' : path.join('.'));

/** Every value in the tree with its path, root first. */
function walk(value: unknown, path: Path = []): Node[] {
  const out: Node[] = [{ path, value }];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...walk(v, [...path, i])));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) out.push(...walk(v, [...path, k]));
  return out;
}

/** A deep copy with `edit` applied to the value at `path` (its parent and key for deletions). */
function edited(root: unknown, path: Path, edit: (parent: Record<string | number, unknown>, key: string | number) => void): unknown {
  const copy = structuredClone(root);
  if (path.length === 0) throw new Error('edited() needs a non-empty path');
  let parent = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  edit(parent, path[path.length - 1]!);
  return copy;
}

const replaced = (root: unknown, path: Path, value: unknown) => (path.length === 0 ? value : edited(root, path, (p, k) => (p[k] = value)));

/** Adds an own data property, even `__proto__` (as JSON.parse and structured clone do). */
function withKey(root: unknown, path: Path, key: string, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let target = copy;
  for (const k of path) target = target[k] as Record<string, unknown>;
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** A value of a different JSON type than `v`. */
function otherType(v: unknown): unknown[] {
  if (typeof v === 'string') return [12345, true, ['x']];
  if (typeof v === 'number') return [String(v), false];
  if (typeof v === 'boolean') return ['true', 1];
  if (Array.isArray(v)) return ['x', 7, { 0: v[0] }];
  if (isObject(v)) return ['x', 7, [v]];
  return ['x'];
}

const LONG = 300_000; // beyond every schema's bound (the largest is a 256 KiB PEM), within the shape check's
const HUGE = 600_000; // beyond the shape check's bound for one string

/** The invalid variants of a channel's samples. */
export function mutationsOf<C extends InvokeChannel>(channel: C): Mutation[] {
  const { minimal, full } = SAMPLES[channel] as ChannelSamples<InvokeChannel>;
  const records = new Set(RECORD_PATHS[channel] ?? []);
  const out: Mutation[] = [];
  const add = (what: string, payload: unknown, json = true) => out.push({ what, payload, json });

  // The request as a whole of the wrong kind.
  for (const v of [42, 'text', true, [], [full]]) add(`the request as ${JSON.stringify(v)?.slice(0, 20)}`, v);
  add('a Date as the request', new Date(0), false);
  add('a Map as the request', new Map([['id', 'x']]), false);
  add('a typed array as the request', new Uint8Array(8), false);
  let deep: unknown = full ?? {};
  for (let i = 0; i < 1000; i++) deep = [deep];
  add('1000 nested arrays', deep);
  if (minimal === undefined) add('a payload where none is expected', { junk: 1 });
  if (isObject(minimal) && Object.keys(minimal).length > 0) {
    add('no payload', undefined);
    add('null', null);
  }

  const fullNodes = walk(full);
  for (const { path, value } of fullNodes) {
    const here = show(path);
    // Wrong types, at every depth.
    if (path.length > 0) for (const v of otherType(value)) add(`${here} as ${JSON.stringify(v)}`, replaced(full, path, v));
    if (typeof value === 'number') {
      add(`${here} as NaN`, replaced(full, path, Number.NaN), false);
      add(`${here} as Infinity`, replaced(full, path, Number.POSITIVE_INFINITY), false);
    }
    // Oversized strings: the valid value padded with its own last character (still matching any
    // pattern it matched), past the schema's bound, then past the shape check's.
    if (typeof value === 'string' && value.length > 0) {
      add(`${here} padded to ${LONG} characters`, replaced(full, path, value + value.slice(-1).repeat(LONG)));
      add(`${here} padded to ${HUGE} characters`, replaced(full, path, value + value.slice(-1).repeat(HUGE)));
    }
    if (Array.isArray(value) && value.length > 0) add(`${here} with 1001 entries`, replaced(full, path, Array.from({ length: 1001 }, () => value[0])));
    if (isObject(value)) {
      if (!records.has(path.join('.'))) add(`an extra key in ${here}`, withKey(full, path, 'junk', 1));
      add(`an oversized key in ${here}`, withKey(full, path, 'k'.repeat(LONG), 'v'));
      for (const key of ['__proto__', 'constructor', 'prototype']) add(`"${key}" in ${here}`, withKey(full, path, key, { polluted: true }));
      add(`"__proto__" as text in ${here}`, withKey(full, path, '__proto__', 'x'));
    }
  }
  if (full === undefined) for (const key of ['__proto__', 'constructor', 'prototype']) add(`"${key}" as the request's only key`, withKey({}, [], key, { polluted: true }));

  // Missing fields: every field of the minimal request is required.
  for (const { path } of walk(minimal)) {
    if (path.length === 0 || typeof path[path.length - 1] === 'number') continue;
    add(`without ${show(path)}`, edited(minimal, path, (p, k) => delete p[k]));
  }
  return out;
}

/** Every channel name, from the contract's table. */
export const CHANNELS: readonly InvokeChannel[] = INVOKE_CHANNELS;
