/**
 * Fault injection for the simulator. One mutable object shared by the engine and both imageio
 * servers; tests set fields directly (in-process), the command line sets them with --fault, and an
 * out-of-process test can PUT them to /ovirt-engine/__simulator/faults.
 *
 * Counting faults ("the Nth PUT") count from the moment they are set, then disarm themselves.
 */
export interface FaultSettings {
  /** Close the connection of the next data request (GET body sent or PUT body received) after this many body bytes. */
  dropAfterBytes: number | null;
  /** Answer 500 to the Nth PUT from now (1 = the next PUT). */
  failNthPut: number | null;
  /** Answer 500 to the Nth PATCH flush from now (1 = the next flush): the server failed to store the data written since the last flush. */
  failNthFlush: number | null;
  /** Added latency, in ms, before every imageio response. */
  latencyMs: number;
  /** Bandwidth cap, bytes per second, over the body bytes of each imageio connection. */
  bandwidthBytesPerSecond: number | null;
  /** Expire the ticket of the next data request (the request gets 403, as after a real expiry). */
  expireTicket: boolean;
  /** New transfers start in paused_system instead of transferring (the engine failed to add the ticket). */
  pausedSystemAtStart: boolean;
  /** Move a transferring upload to paused_system at the next poll, once. */
  pausedSystemNow: boolean;
  /** Invalidate every SSO token now (requests get 401 until a new login). */
  expireTokens: boolean;
  /** SSO tokens carry an `exp` this many ms after now (the engine's clock) instead of none; null: none. */
  tokenLifetimeMs: number | null;
  /** The next upload finalize fails the engine's volume verification. */
  failFinalizeVerification: boolean;
  /** transfer_url points at an address where nothing listens, so clients must fall back to proxy_url. */
  transferUrlUnreachable: boolean;
  /** The engine REST API answers 503 to everything but this flag's reset (engine down). */
  engineUnavailable: boolean;
  /** Added latency, in ms, before every engine REST or SSO answer (a loaded engine); the admin endpoint is not delayed. */
  engineLatencyMs: number;
  /**
   * transfer_url and proxy_url of new transfers point at this origin (`https://host:port`, a stand-in
   * data server such as a hostile one) instead of the simulated daemon and proxy; null: off.
   */
  dataServerOrigin: string | null;
  /** The next VM backup fails before `ready` (legacy: its new checkpoint is deleted; hybrid: the snapshot failed). */
  failNextBackup: boolean;
}

/** The defaults: no fault. */
export function noFaults(): FaultSettings {
  return {
    dropAfterBytes: null,
    failNthPut: null,
    failNthFlush: null,
    latencyMs: 0,
    bandwidthBytesPerSecond: null,
    expireTicket: false,
    pausedSystemAtStart: false,
    pausedSystemNow: false,
    expireTokens: false,
    tokenLifetimeMs: null,
    failFinalizeVerification: false,
    transferUrlUnreachable: false,
    engineUnavailable: false,
    engineLatencyMs: 0,
    dataServerOrigin: null,
    failNextBackup: false,
  };
}

const NUMERIC = new Set<keyof FaultSettings>(['dropAfterBytes', 'failNthPut', 'failNthFlush', 'latencyMs', 'engineLatencyMs', 'bandwidthBytesPerSecond', 'tokenLifetimeMs']);

/** Applies `name=value` pairs (the --fault flag) or a JSON patch to the settings; throws on unknown names. */
export function applyFaults(target: FaultSettings, patch: Record<string, unknown>): void {
  for (const [name, raw] of Object.entries(patch)) {
    if (!(name in target)) throw new Error(`Unknown fault '${name}'. Known faults: ${Object.keys(target).join(', ')}`);
    const key = name as keyof FaultSettings;
    if (key === 'dataServerOrigin') {
      target.dataServerOrigin = raw === null || raw === '' || raw === 'null' ? null : String(raw);
    } else if (NUMERIC.has(key)) {
      const value = raw === null || raw === 'null' || raw === '' ? null : Number(raw);
      if (value !== null && (!Number.isFinite(value) || value < 0)) throw new Error(`Fault '${name}' needs a number >= 0`);
      (target as unknown as Record<string, number | null>)[key] = key === 'latencyMs' || key === 'engineLatencyMs' ? (value ?? 0) : value;
    } else {
      (target as unknown as Record<string, boolean>)[key] = raw === true || raw === 'true' || raw === '1' || raw === 'yes';
    }
  }
}

/** Parses one `--fault name=value` argument (a bare name means true). */
export function parseFaultArg(arg: string): Record<string, string> {
  const eq = arg.indexOf('=');
  return eq < 0 ? { [arg]: 'true' } : { [arg.slice(0, eq)]: arg.slice(eq + 1) };
}
