/**
 * The authenticated REST channel to one engine: the token, a single re-login after a 401, retries
 * of idempotent GETs, and the mapping of every answer to JSON or a DiskFerryError.
 */
import { Agent, type Dispatcher } from 'undici';
import { DiskFerryError, errorMessage } from '../errors.js';
import type { Log } from '../log.js';
import { tlsConnectOptions, type TrustSettings } from '../trust/tls.js';
import type { ProxyResolver } from '../net/proxy.js';
import { routedConnector } from '../net/connectors.js';
import { cancelledError, httpError, notJsonError, redirectError, tryJson, type RequestContext } from './engine-errors.js';
import { requestToken, revokeToken, type SsoEndpoint, type SsoToken } from './sso.js';
import { realTimers, type Timers } from '../timers.js';
import { DEFAULT_ENGINE_RETRY, retryDelay, wait, type RetryPolicy } from './timing.js';
import { exchange, type EngineExchange } from './transport.js';
import { engineBaseUrl, joinUrl } from './urls.js';

/** Timeouts of REST calls, in ms. */
export interface EngineTimeouts {
  /** TCP + TLS connect. */
  readonly connectMs: number;
  /** Waiting for the answer's headers, and between its body chunks. */
  readonly requestMs: number;
}

/** Default timeouts: disk creation with `Expect` can be slow, but headers come within a minute. */
const DEFAULT_ENGINE_TIMEOUTS: EngineTimeouts = { connectMs: 10_000, requestMs: 60_000 };

/** Engine answers above this size are refused: the largest legitimate one is a long disk list. */
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Everything needed to talk to one engine; the ports (dispatcher, clock, sleep, random) are injectable. */
export interface EngineConnectionOptions {
  /** `https://engine.example.com/ovirt-engine` (a bare host or a trailing `/api` is accepted). */
  readonly engineUrl: string;
  /** `user@profile`, e.g. `admin@internal`. */
  readonly username: string;
  /** Asked at each login, so the password is held only while it is used. */
  readonly password: () => Promise<string> | string;
  readonly trust: TrustSettings;
  readonly log: Log;
  /** Built from `trust` and `proxy` when absent (and then closed by `close()`). */
  readonly dispatcher?: Dispatcher;
  /** The HTTP proxy to tunnel through (CONNECT), asked for each new connection; direct when absent. */
  readonly proxy?: ProxyResolver;
  readonly timeouts?: Partial<EngineTimeouts>;
  /** Epoch ms; compared with the token's `exp`. */
  readonly now?: () => number;
  /** Timers for retry delays and polling (real ones when absent). */
  readonly timers?: Timers;
  readonly random?: () => number;
  readonly retry?: RetryPolicy;
  readonly maxBodyBytes?: number;
  /** Send `Filter: true`, which user-role (non-admin) accounts need. */
  readonly filter?: boolean;
  /**
   * Told when the engine stops answering (a network error or a 5xx: the callers wait and ask again)
   * and, with null, when it answers again. Called once per change, not per failed request.
   */
  readonly onAway?: (away: EngineAway | null) => void;
}

/** The engine is not answering: since when (epoch ms) and the last failure, in words safe to show. */
export interface EngineAway {
  readonly since: number;
  readonly error: DiskFerryError;
}

/** One REST call. `path` is relative to `/ovirt-engine/api`. */
export interface ApiCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  /** For messages: "Reading the disk 1234". */
  readonly what: string;
  readonly signal?: AbortSignal | undefined;
  /** Return `null` for a 404 instead of throwing `not-found`. */
  readonly allow404?: boolean;
}

/** Refresh a token this long before its `exp`, so a request does not race the expiry. */
const EXPIRY_MARGIN_MS = 30_000n;

/** The REST channel: see the file comment. */
export class EngineConnection {
  readonly base: URL;
  /** `host:port`, safe to show. */
  readonly where: string;
  private readonly timeouts: EngineTimeouts;
  private readonly never = new AbortController().signal;
  private ownAgent: Agent | null = null;
  private token: SsoToken | null = null;
  private pendingLogin: Promise<SsoToken> | null = null;
  private awaySince: number | null = null;

  constructor(private readonly options: EngineConnectionOptions) {
    this.base = engineBaseUrl(options.engineUrl);
    this.where = this.base.host;
    this.timeouts = { ...DEFAULT_ENGINE_TIMEOUTS, ...options.timeouts };
  }

  /** Logs in now (joins a login already running). */
  async login(signal?: AbortSignal): Promise<void> {
    this.token = null;
    await this.freshToken(signal ?? this.never);
  }

  /**
   * Ends the engine session, if there is one, then closes our own connections so a CLI can exit
   * (a later call opens new ones). Failures are logged, not thrown: the session idles out anyway.
   */
  async logout(signal?: AbortSignal): Promise<void> {
    const token = this.token;
    this.token = null;
    if (token) {
      try {
        await revokeToken(this.sso(), token.value, signal ?? this.never, this.where);
      } catch (err) {
        this.options.log.warn('engine logout failed', { engine: this.where, error: errorMessage(err) });
      }
    }
    await this.close();
  }

  /**
   * Starts from a session kept from an earlier run (the CLI keeps one per profile): its token is used
   * until it expires or the engine refuses it; only then is the password asked for.
   */
  adopt(token: SsoToken): void {
    this.token = token;
  }

  /** The current token and its expiry (to keep the session for a later run); null when logged out. */
  session(): SsoToken | null {
    return this.token;
  }

  /** Ends the session behind the current token on the engine and forgets it; throws when the engine refuses. */
  async revoke(signal?: AbortSignal): Promise<void> {
    const token = this.token;
    this.token = null;
    if (token) await revokeToken(this.sso(), token.value, signal ?? this.never, this.where);
  }

  /** Closes the connections this object opened itself. */
  async close(): Promise<void> {
    const agent = this.ownAgent;
    this.ownAgent = null;
    if (agent) await agent.close().catch(() => agent.destroy());
  }

  /** The current token value (for the log's secret list); null when logged out. */
  currentToken(): string | null {
    return this.token?.value ?? null;
  }

  /**
   * Performs a REST call and returns its JSON (null for an empty 2xx body or an allowed 404).
   * GETs are repeated after network errors, 5xx and 429; nothing else is.
   */
  async call(c: ApiCall): Promise<unknown> {
    const signal = c.signal ?? this.never;
    const policy = this.options.retry ?? DEFAULT_ENGINE_RETRY;
    const attempts = c.method === 'GET' ? Math.max(1, policy.attempts) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.callOnce(c, signal);
      } catch (err) {
        if (signal.aborted) throw cancelledError(c.what);
        // A network error marked not retryable (a proxy that wants credentials) fails at once.
        const retryable = err instanceof DiskFerryError && err.retryable && (err.code === 'network' || err.code === 'server-error');
        if (!retryable || attempt >= attempts) throw err;
        const delay = retryDelay(attempt, policy, this.options.random ?? Math.random);
        this.options.log.warn('engine request failed; retrying', { engine: this.where, what: c.what, attempt, delayMs: delay, error: err.message });
        await wait(this.options.timers ?? realTimers, delay, signal, c.what);
      }
    }
  }

  private async callOnce(c: ApiCall, signal: AbortSignal): Promise<unknown> {
    try {
      const answer = await this.answerOf(c, signal);
      this.answered();
      return answer;
    } catch (err) {
      if (err instanceof DiskFerryError && (err.code === 'network' || err.code === 'server-error') && !signal.aborted) this.away(err);
      else if (err instanceof DiskFerryError && err.status !== undefined) this.answered();
      throw err;
    }
  }

  /** Notes a request the engine did not answer (or answered 5xx): the first one since it last answered starts the outage. */
  private away(error: DiskFerryError): void {
    const first = this.awaySince === null;
    this.awaySince ??= (this.options.now ?? Date.now)();
    if (first) this.options.onAway?.({ since: this.awaySince, error });
  }

  /** The engine answered (any status but 5xx): an outage, if there was one, is over. */
  private answered(): void {
    if (this.awaySince === null) return;
    this.awaySince = null;
    this.options.onAway?.(null);
  }

  private async answerOf(c: ApiCall, signal: AbortSignal): Promise<unknown> {
    const ctx: RequestContext = { what: c.what, where: this.where, secrets: [] };
    let token = await this.validToken(signal);
    let res = await this.send(c, token, signal, ctx);
    if (res.status === 401) {
      // Sessions idle out after 30 min (longer during a long imageio-only transfer): log in once more, as the SDK does.
      this.options.log.info('engine session expired; logging in again', { engine: this.where });
      if (this.token?.value === token.value) this.token = null;
      token = await this.validToken(signal);
      res = await this.send(c, token, signal, ctx);
      if (res.status === 401)
        throw new DiskFerryError(
          'session-expired',
          `${c.what}: the engine refused a fresh login session (HTTP 401). Log in again; if it persists, check the user's permissions.`,
          { status: 401, retryable: false },
        );
    }
    return this.interpret(res, c, ctx);
  }

  private interpret(res: EngineExchange, c: ApiCall, ctx: RequestContext): unknown {
    if (res.status >= 300 && res.status < 400) throw redirectError(res.status, ctx);
    if (res.status === 404 && c.allow404) return null;
    if (res.status < 200 || res.status >= 300) throw httpError(res.status, res.body, ctx);
    if (res.body.length === 0) return null;
    const json = tryJson(res.body);
    const declaredJson = res.contentType === undefined || /json/i.test(res.contentType);
    if (json === undefined || !declaredJson) throw notJsonError(res.status, res.contentType, ctx);
    return json;
  }

  private async send(c: ApiCall, token: SsoToken, signal: AbortSignal, ctx: RequestContext): Promise<EngineExchange> {
    const headers: Record<string, string> = { accept: 'application/json', version: '4', authorization: `Bearer ${token.value}` };
    if (this.options.filter) headers['filter'] = 'true';
    let body: string | undefined;
    if (c.body !== undefined) {
      body = JSON.stringify(c.body);
      headers['content-type'] = 'application/json';
    }
    const url = joinUrl(this.base, `/api${c.path}`, c.query);
    const now = this.options.now ?? Date.now;
    const started = now();
    const res = await exchange(
      this.dispatcher(),
      { method: c.method, url, headers, ...(body !== undefined ? { body } : {}), signal, timeoutMs: this.timeouts.requestMs, maxBytes: this.maxBytes() },
      ctx,
    );
    this.options.log.debug('engine request', { method: c.method, path: url.pathname, status: res.status, ms: now() - started });
    return res;
  }

  /** The token, logging in first when there is none or it is about to expire. */
  private async validToken(signal: AbortSignal): Promise<SsoToken> {
    const t = this.token;
    const now = BigInt(Math.floor((this.options.now ?? Date.now)()));
    if (t && (t.expiresAt === null || now + EXPIRY_MARGIN_MS < t.expiresAt)) return t;
    return this.freshToken(signal);
  }

  /** One login at a time: concurrent callers after a 401 share it instead of logging in N times. */
  private freshToken(signal: AbortSignal): Promise<SsoToken> {
    if (!this.pendingLogin) {
      const pending = this.doLogin(signal);
      this.pendingLogin = pending;
      const clear = () => {
        if (this.pendingLogin === pending) this.pendingLogin = null;
      };
      pending.then(clear, clear);
    }
    return this.pendingLogin;
  }

  private async doLogin(signal: AbortSignal): Promise<SsoToken> {
    const password = await this.options.password();
    const token = await requestToken(this.sso(), this.options.username, password, signal, this.where, this.options.now);
    this.token = token;
    this.options.log.info('logged in to the engine', { engine: this.where, user: this.options.username });
    return token;
  }

  private sso(): SsoEndpoint {
    return { dispatcher: this.dispatcher(), base: this.base, timeoutMs: this.timeouts.requestMs, maxBytes: this.maxBytes() };
  }

  private maxBytes(): number {
    return this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /**
   * The injected dispatcher, or an Agent trusting exactly the configured CAs (built on first use),
   * through the proxy when one is configured: the same TLS checks run inside the tunnel.
   */
  private dispatcher(): Dispatcher {
    if (this.options.dispatcher) return this.options.dispatcher;
    if (!this.ownAgent) {
      const tls = tlsConnectOptions(this.options.trust);
      const { connectMs } = this.timeouts;
      this.ownAgent = new Agent({ connect: this.options.proxy ? routedConnector(tls, this.options.proxy, connectMs) : { ...tls, timeout: connectMs } });
    }
    return this.ownAgent;
  }
}
