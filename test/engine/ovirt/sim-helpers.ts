/**
 * Shared setup for the OvirtClient integration tests: a client for a running simulator whose
 * dispatcher records every request (method, path, headers, body) and whose log lines are kept, so
 * tests can check the wire format and that no secret reaches a log.
 */
import { Agent, type Dispatcher } from 'undici';
import { OvirtClient, type OvirtClientOptions } from '../../../main/engine/ovirt/client.js';
import { createLog } from '../../../main/engine/log.js';
import { tlsConnectOptions } from '../../../main/engine/trust/tls.js';
import type { Timers } from '../../../main/engine/timers.js';
import type { Simulator } from '../../../main/simulator/simulator.js';

/** One request as it left the client. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | null;
}

/** A client plus what it sent and logged. */
export interface TestClient {
  readonly client: OvirtClient;
  readonly seen: SeenRequest[];
  readonly logLines: string[];
  close(): Promise<void>;
}

/** undici's dispatch headers may be an object, a flat array or absent: normalise to lower-case keys. */
function headerObject(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(h)) for (let i = 0; i + 1 < h.length; i += 2) out[String(h[i]).toLowerCase()] = String(h[i + 1]);
  else if (h && typeof h === 'object') for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = String(v);
  return out;
}

/** A client for `sim`, trusting its CA, polling every 20 ms. */
export function simClient(sim: Simulator, overrides: Partial<OvirtClientOptions> = {}): TestClient {
  const seen: SeenRequest[] = [];
  const logLines: string[] = [];
  const agent = new Agent({ connect: tlsConnectOptions({ caPem: [sim.caPem] }) });
  const recording: Dispatcher = agent.compose((dispatch) => (opts, handler) => {
    seen.push({ method: opts.method, path: opts.path, headers: headerObject(opts.headers), body: typeof opts.body === 'string' ? opts.body : null });
    return dispatch(opts, handler);
  });
  const client = new OvirtClient({
    engineUrl: sim.engineUrl,
    username: sim.username,
    password: () => sim.password,
    trust: { caPem: [sim.caPem] },
    log: createLog({ level: 'debug', write: (l) => logLines.push(l) }),
    dispatcher: recording,
    pollIntervalMs: 20,
    ...overrides,
  });
  return {
    client,
    seen,
    logLines,
    async close() {
      await client.close();
      await agent.close();
    },
  };
}

/** Timers that run every timeout on the next turn and remember the requested delays (retry tests). */
export function instantTimers(delays: number[]): Timers {
  return {
    setTimeout: (fn, ms) => {
      delays.push(ms);
      return setImmediate(fn);
    },
    clearTimeout: (h) => clearImmediate(h as NodeJS.Immediate),
    setInterval: () => {
      throw new Error('not used');
    },
    clearInterval: () => {},
  };
}
