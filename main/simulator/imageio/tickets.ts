import { RangeSet } from '../../../shared/range-set.js';
import { publishSecret } from '../secret-channel.js';

/** Ticket JSON as the control API takes it (reference/imageio.md §2.3). */
export interface TicketSpec {
  uuid: string;
  size: number;
  ops: string[];
  timeout: number;
  url: string;
  inactivity_timeout?: number;
  transfer_id?: string;
  filename?: string;
  sparse?: boolean;
  dirty?: boolean;
}

/** A control-API validation failure (400 with this message). */
export class TicketError extends Error {}

/** The monotonic clock in seconds, injectable so tests can move time. */
export type MonotonicClock = () => number;

export const defaultMonotonic: MonotonicClock = () => performance.now() / 1000;

/** One in-flight operation on a ticket, for `active` and `transferred`. */
export interface TicketOperation {
  readonly offset: number;
  done: number;
  cancel(): void;
}

/** An imageio ticket: the bearer secret of a transfer, its expiry, ops and activity (auth.py::Ticket). */
export class Ticket {
  readonly uuid: string;
  readonly size: number;
  readonly ops: string[];
  readonly timeout: number;
  readonly url: string;
  readonly inactivityTimeout: number;
  readonly transferId: string;
  readonly filename: string | undefined;
  readonly sparse: boolean;
  readonly dirty: boolean;
  expires: number;
  accessTime: number;
  canceled = false;
  connections = 0;
  readonly ongoing = new Set<TicketOperation>();
  readonly completed = new RangeSet();
  private readonly clock: MonotonicClock;

  constructor(spec: TicketSpec, clock: MonotonicClock) {
    this.clock = clock;
    this.uuid = spec.uuid;
    this.size = spec.size;
    this.ops = spec.ops;
    this.timeout = spec.timeout;
    this.url = spec.url;
    this.inactivityTimeout = spec.inactivity_timeout ?? 60;
    this.transferId = spec.transfer_id ?? `(ticket/${spec.uuid.slice(0, 18)})`;
    this.filename = spec.filename;
    this.sparse = spec.sparse ?? false;
    this.dirty = spec.dirty ?? false;
    const now = clock();
    this.expires = now + this.timeout;
    this.accessTime = now;
  }

  /** `write` implies `read`. */
  may(op: 'read' | 'write'): boolean {
    return op === 'read' ? this.ops.includes('read') || this.ops.includes('write') : this.ops.includes('write');
  }

  /** True when the monotonic expiry has passed. */
  expired(): boolean {
    return this.expires <= this.clock();
  }

  /** Extends the expiry by the ticket timeout and records activity (after every operation and OPTIONS). */
  touch(): void {
    const now = this.clock();
    this.expires = now + this.timeout;
    this.accessTime = now;
  }

  /** Starts tracking an operation over [offset, offset+length). */
  begin(offset: number, cancel: () => void = () => {}): TicketOperation {
    const op: TicketOperation = { offset, done: 0, cancel };
    this.ongoing.add(op);
    return op;
  }

  /** Ends an operation: records its range and touches the ticket unless canceled. */
  end(op: TicketOperation): void {
    this.ongoing.delete(op);
    if (op.done > 0) this.completed.add(op.offset, op.offset + op.done);
    if (!this.canceled) this.touch();
  }

  /** True while an operation is in flight. */
  get active(): boolean {
    return this.ongoing.size > 0;
  }

  /** Seconds since the last operation finished; 0 while active. */
  idleTime(): number {
    return this.active ? 0 : Math.max(0, Math.floor(this.clock() - this.accessTime));
  }

  /** Bytes transferred: the union of completed and in-flight ranges (only for single-op tickets). */
  transferred(): number | undefined {
    if (this.ops.length !== 1) return undefined;
    const all = RangeSet.from(this.completed.toArray());
    for (const op of this.ongoing) all.add(op.offset, op.offset + op.done);
    return all.size;
  }

  /** GET /tickets/{id} JSON. */
  info(): Record<string, unknown> {
    const info: Record<string, unknown> = {
      active: this.active,
      canceled: this.canceled,
      connections: this.connections,
      expires: Math.floor(this.expires),
      idle_time: this.idleTime(),
      inactivity_timeout: this.inactivityTimeout,
      ops: this.ops,
      size: this.size,
      sparse: this.sparse,
      dirty: this.dirty,
      timeout: this.timeout,
      url: this.url,
      uuid: this.uuid,
      transfer_id: this.transferId,
    };
    if (this.filename !== undefined) info['filename'] = this.filename;
    const transferred = this.transferred();
    if (transferred !== undefined) info['transferred'] = transferred;
    return info;
  }
}

function requireField<T>(spec: Record<string, unknown>, key: string, check: (v: unknown) => v is T, what: string): T {
  if (!(key in spec)) throw new TicketError(`Invalid ticket: Required ticket parameter is missing: ${key}`);
  const v = spec[key];
  if (!check(v)) throw new TicketError(`Invalid ticket: Invalid value for '${key}': ${JSON.stringify(v)}: expecting ${what}`);
  return v;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isList = (v: unknown): v is string[] => Array.isArray(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

/** Validates ticket JSON with imageio's strict type checks; throws TicketError with its 400 message. */
export function parseTicketSpec(json: unknown): TicketSpec {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new TicketError('Invalid ticket: ticket must be a JSON object');
  const o = json as Record<string, unknown>;
  const spec: TicketSpec = {
    uuid: requireField(o, 'uuid', isStr, 'str'),
    size: requireField(o, 'size', isInt, 'int'),
    ops: requireField(o, 'ops', isList, 'list'),
    timeout: requireField(o, 'timeout', isInt, 'int'),
    url: requireField(o, 'url', isStr, 'str'),
  };
  // backends.supports(): file, nbd and https (a proxy ticket); imageio refuses other schemes.
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(spec.url)?.[1]?.toLowerCase() ?? '';
  if (!['file', 'nbd', 'https'].includes(scheme)) {
    throw new TicketError(`Invalid ticket: Invalid value for 'url': ${JSON.stringify(spec.url)}: Unsupported url scheme: ${scheme}`);
  }
  if ('inactivity_timeout' in o) spec.inactivity_timeout = requireField(o, 'inactivity_timeout', isInt, 'int');
  if ('transfer_id' in o) spec.transfer_id = requireField(o, 'transfer_id', isStr, 'str');
  if ('filename' in o) spec.filename = requireField(o, 'filename', isStr, 'str');
  if ('sparse' in o) spec.sparse = requireField(o, 'sparse', isBool, 'bool');
  if ('dirty' in o) spec.dirty = requireField(o, 'dirty', isBool, 'bool');
  return spec;
}

/** The tickets of one imageio server (memory only, like the real one). */
export class TicketStore {
  private readonly tickets = new Map<string, Ticket>();
  readonly clock: MonotonicClock;

  constructor(clock: MonotonicClock = defaultMonotonic) {
    this.clock = clock;
  }

  /** PUT /tickets/{id}: adds or replaces (operations on a replaced ticket run on, as in imageio). */
  add(spec: TicketSpec): Ticket {
    publishSecret('ticket-id', spec.uuid);
    const ticket = new Ticket(spec, this.clock);
    this.tickets.set(spec.uuid, ticket);
    return ticket;
  }

  /** The ticket with this id, expired or not. */
  get(id: string): Ticket | undefined {
    return this.tickets.get(id);
  }

  /** PATCH /tickets/{id} {"timeout": N}: sets expires = now + N (the stored timeout stays). */
  extend(id: string, timeout: number): boolean {
    const t = this.tickets.get(id);
    if (!t) return false;
    t.expires = this.clock() + timeout;
    return true;
  }

  /** DELETE /tickets/{id}: cancels in-flight operations and removes it (idempotent). */
  remove(id: string): void {
    const t = this.tickets.get(id);
    if (!t) return;
    t.canceled = true;
    for (const op of t.ongoing) op.cancel();
    this.tickets.delete(id);
  }

  /** DELETE /tickets/: removes all. */
  clear(): void {
    for (const id of [...this.tickets.keys()]) this.remove(id);
  }
}
