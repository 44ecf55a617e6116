/**
 * Engine profiles and their connections: add (after a successful login, like `diskferry login`),
 * trust on first use of the engine CA, test, remove, select, and the demo engine. Passwords live in
 * memory for the session, or encrypted by the SecretCipher when the user saves them; none ever
 * leaves this service except into the OvirtClient's login.
 */
import type { AddEngineRequest, CaCertificateInfo, EngineProfileView, EnginesState, EngineTestResult, FetchCaRequest, SelectEngineRequest, TestEngineRequest, TrustEngineRequest } from '../../shared/ipc.js';
import { DiskFerryError, asDiskFerryError, errorMessage } from '../engine/errors.js';
import { OvirtClient } from '../engine/ovirt/client.js';
import type { EngineAway } from '../engine/ovirt/engine-connection.js';
import { engineBaseUrl } from '../engine/ovirt/urls.js';
import type { RangedGetDispatcher } from '../engine/imageio/connection.js';
import type { TransferDeps } from '../engine/transfer/deps.js';
import { fetchEngineCa, parseCaPem } from '../engine/trust/engine-ca.js';
import { noProxy, proxyResolverFor, type ProxyResolver, type ProxySetting } from '../engine/net/proxy.js';
import type { ChangeBus } from './change-bus.js';
import { engineUrlFromInput, parseEnginesDocument, profileTrust, profileView, type ConnectionInfo, type EnginesDocument, type StoredProfile } from './engine-profiles.js';
import type { AppPorts } from './ports.js';
import { PendingCas } from './pending-cas.js';
import type { SparseFiles } from '../engine/os/sparse-files.js';

interface Connection {
  info: ConnectionInfo;
  client: OvirtClient | null;
  /** Joins concurrent connects to the same profile. */
  pending: Promise<OvirtClient> | null;
}

/** Options of the engines service. */
export interface EnginesServiceOptions {
  /** Engine poll cadence for waits (tests use a short one). */
  readonly pollIntervalMs?: number;
  /** Which dispatcher carries downloads' ranged GETs; `socket` when absent. */
  readonly rangedGets?: RangedGetDispatcher;
  /** The OS's sparse files the transfers use; this OS's when absent. */
  readonly sparse?: SparseFiles;
}

/** See the file comment. */
export class EnginesService {
  private doc: EnginesDocument = { version: 1, selectedId: null, profiles: [] };
  private readonly connections = new Map<string, Connection>();
  /** Passwords typed this session for profiles that do not save them. */
  private readonly sessionPasswords = new Map<string, string>();
  private demoStart: Promise<void> | null = null;
  private readonly pendingCas: PendingCas;

  constructor(
    private readonly ports: AppPorts,
    private readonly bus: ChangeBus,
    private readonly isInUse: (engineId: string) => boolean,
    private readonly options: EnginesServiceOptions = {},
  ) {
    this.pendingCas = new PendingCas(() => ports.now());
  }

  /** Reads the stored profiles. */
  async load(): Promise<void> {
    const doc = parseEnginesDocument(await this.ports.store.read('engines'));
    if (doc) this.doc = doc;
    else this.ports.log.warn('the stored engine profiles are unreadable; starting with none');
  }

  /** Profiles with their connection state, and the selection. */
  state(): EnginesState {
    return { profiles: this.doc.profiles.map((p) => profileView(p, this.connections.get(p.id)?.info)), selectedId: this.doc.selectedId };
  }

  /** The stored profile, or `not-found`. */
  profile(id: string): StoredProfile {
    const p = this.doc.profiles.find((x) => x.id === id);
    if (!p) throw new DiskFerryError('not-found', 'This engine profile no longer exists. Choose another engine.', { retryable: false });
    return p;
  }

  /** The selected profile id, or `bad-input` when none is. */
  selectedId(): string {
    if (this.doc.selectedId === null) throw new DiskFerryError('bad-input', 'No engine is selected. Add an engine, or choose one in the engine list.', { retryable: false });
    return this.doc.selectedId;
  }

  /** Downloads the engine CA and keeps it (by fingerprint) until the user accepts it. */
  async fetchCa(request: FetchCaRequest): Promise<CaCertificateInfo> {
    const engineUrl = 'id' in request ? this.profile(request.id).engineUrl : engineBaseUrl(engineUrlFromInput(request.engineUrl)).href;
    const proxy = 'id' in request ? this.profile(request.id).proxy : (request.proxy ?? 'system');
    const ca = await fetchEngineCa(engineUrl, { proxy: this.proxyFor(proxy) });
    this.pendingCas.keep(ca.fingerprint, { pem: ca.pem, subject: ca.subject, engineUrl });
    return { engineUrl, fingerprint: ca.fingerprint, subject: ca.subject, notAfter: ca.notAfter };
  }

  /** Checks the login, then saves and selects the new profile. Nothing is saved when the login fails. */
  async add(request: AddEngineRequest): Promise<EngineProfileView> {
    if (request.savePassword && !this.ports.secrets.isAvailable())
      throw new DiskFerryError('bad-input', 'This computer offers no keychain to encrypt the password, so it cannot be saved. Add the engine without saving it.', { retryable: false });
    const draft = this.draftProfile(request);
    const client = this.newClient(draft, request.password);
    let version: string;
    try {
      await client.login();
      version = (await client.version()).full;
    } catch (err) {
      await client.close().catch(() => {});
      throw err;
    }
    const profile: StoredProfile = { ...draft, passwordCipher: request.savePassword ? await this.ports.secrets.encrypt(request.password) : null };
    if (!request.savePassword) this.sessionPasswords.set(profile.id, request.password);
    this.connections.set(profile.id, { info: { status: 'connected', engineVersion: version, error: null }, client, pending: null });
    await this.save({ ...this.doc, selectedId: profile.id, profiles: [...this.doc.profiles, profile] });
    return profileView(profile, this.connections.get(profile.id)?.info);
  }

  /** Logs in with what `add` would save, reads the version, logs out; saves nothing, keeps the fetched CA. */
  testNew(request: AddEngineRequest): Promise<EngineTestResult> {
    return this.probe(this.draftProfile(request), request.password);
  }

  /** Logs in with a fresh client, reads the version and logs out. */
  private async probe(profile: StoredProfile, password: string): Promise<EngineTestResult> {
    const started = this.ports.now();
    const client = this.newClient(profile, password);
    try {
      await client.login();
      const version = await client.version();
      return { engineVersion: version.full, elapsedMs: this.ports.now() - started };
    } finally {
      await client.logout().catch(() => {});
    }
  }

  /** The profile an add request describes (not saved). */
  private draftProfile(request: AddEngineRequest): StoredProfile {
    const engineUrl = engineBaseUrl(engineUrlFromInput(request.engineUrl)).href;
    let ca: { pem: string; fingerprint: string; subject: string } | null = null;
    if (request.trust.kind === 'fingerprint') ca = this.pendingCas.take(request.trust.fingerprint);
    else if (request.trust.kind === 'pem') {
      const parsed = parseCaPem(request.trust.pem, 'The imported file');
      ca = { pem: parsed.pem, fingerprint: parsed.fingerprint, subject: parsed.subject };
    }
    return {
      id: this.ports.newId(),
      name: request.name ?? new URL(engineUrl).hostname,
      engineUrl,
      username: request.username,
      caPem: ca?.pem ?? null,
      caFingerprint: ca?.fingerprint ?? null,
      caSubject: ca?.subject ?? null,
      systemTrust: ca === null ? true : (request.systemTrust ?? false),
      proxy: request.proxy ?? 'system',
      passwordCipher: null,
      demo: false,
    };
  }

  /** Pins the CA last fetched with this fingerprint for an existing profile, and reconnects. */
  async trust(request: TrustEngineRequest): Promise<EngineProfileView> {
    const old = this.profile(request.id);
    const ca = this.pendingCas.take(request.fingerprint);
    const next: StoredProfile = { ...old, caPem: ca.pem, caFingerprint: ca.fingerprint, caSubject: ca.subject };
    await this.replace(next);
    await this.disconnect(next.id);
    if (this.doc.selectedId === next.id) await this.connectQuietly(next.id);
    return profileView(next, this.connections.get(next.id)?.info);
  }

  /** Logs in with a fresh client and reads the version; changes nothing. */
  async test(request: TestEngineRequest): Promise<EngineTestResult> {
    const p = this.profile(request.id);
    const password = request.password ?? (await this.knownPassword(p));
    if (password === null) throw needsPassword(p);
    return this.probe(p, password);
  }

  /** Removes a profile (refused while its transfers run). */
  async remove(id: string): Promise<EnginesState> {
    const p = this.profile(id);
    if (this.isInUse(id)) throw new DiskFerryError('conflict', `Transfers of ${p.name} are still queued or running. Cancel or finish them first.`, { retryable: false });
    await this.disconnect(id);
    this.sessionPasswords.delete(id);
    this.connections.delete(id);
    const profiles = this.doc.profiles.filter((x) => x.id !== id);
    await this.save({ ...this.doc, profiles, selectedId: this.doc.selectedId === id ? (profiles[0]?.id ?? null) : this.doc.selectedId });
    return this.state();
  }

  /** Selects a profile and connects; a failed login is reported in the profile's status, not thrown. */
  async select(request: SelectEngineRequest): Promise<EnginesState> {
    const p = this.profile(request.id);
    if (request.password !== undefined) {
      if (request.savePassword) {
        if (!this.ports.secrets.isAvailable()) throw new DiskFerryError('bad-input', 'This computer offers no keychain to encrypt the password, so it cannot be saved.', { retryable: false });
        await this.replace({ ...p, passwordCipher: await this.ports.secrets.encrypt(request.password) });
      } else this.sessionPasswords.set(p.id, request.password);
      await this.disconnect(p.id);
    }
    if (this.doc.selectedId !== p.id) await this.save({ ...this.doc, selectedId: p.id });
    await this.connectQuietly(p.id);
    return this.state();
  }

  /** Whether `engines:demo` can work here. */
  get demoAvailable(): boolean {
    return this.ports.demo !== null;
  }

  /** Starts the built-in simulator (once), adds or updates the demo profile, and selects it. */
  async demo(): Promise<EngineProfileView> {
    if (!this.ports.demo) throw new DiskFerryError('bad-input', 'The demo engine is not available in this DiskFerry.', { retryable: false });
    await this.refreshDemo();
    const p = this.doc.profiles.find((x) => x.demo)!;
    await this.save({ ...this.doc, selectedId: p.id });
    await this.connectQuietly(p.id);
    return profileView(p, this.connections.get(p.id)?.info);
  }

  /** The deps a transfer on this engine runs with (connecting first if needed). */
  async transferDeps(id: string): Promise<TransferDeps> {
    const client = await this.connect(id);
    const p = this.profile(id);
    const { rangedGets, sparse } = this.options;
    return {
      client,
      trust: profileTrust(p),
      log: this.ports.log,
      timers: this.ports.timers,
      now: this.ports.now,
      ...(rangedGets ? { rangedGets } : {}),
      ...(sparse ? { sparse } : {}),
      ...(this.ports.uploadJournals ? { uploadJournals: this.ports.uploadJournals } : {}),
      ...(this.ports.pendingSnapshots ? { pendingSnapshots: this.ports.pendingSnapshots } : {}),
    };
  }

  /** The logged-in client of a profile, connecting when needed. */
  async connect(id: string): Promise<OvirtClient> {
    const conn = this.connectionOf(id);
    if (conn.client && conn.info.status === 'connected') return conn.client;
    if (conn.pending) return conn.pending;
    const attempt = this.login(id, conn);
    conn.pending = attempt;
    try {
      return await attempt;
    } finally {
      conn.pending = null;
    }
  }

  /** Logs out of every engine (on quit). */
  async close(): Promise<void> {
    await Promise.all(this.doc.profiles.map((p) => this.disconnect(p.id)));
  }

  private async login(id: string, conn: Connection): Promise<OvirtClient> {
    let p = this.profile(id);
    // The simulator's address and password change with every start: start it again when needed.
    if (p.demo && this.ports.demo && !this.sessionPasswords.has(id)) {
      await this.refreshDemo();
      p = this.profile(id);
    }
    const password = await this.knownPassword(p);
    if (password === null) {
      this.setInfo(id, { status: 'needs-password', engineVersion: null, error: null });
      throw needsPassword(p);
    }
    this.setInfo(id, { status: 'connecting', engineVersion: null, error: null });
    const client = this.newClient(p, password, (away) => this.setAway(id, client, away));
    try {
      await client.login();
      const version = await client.version();
      conn.client = client;
      this.setInfo(id, { status: 'connected', engineVersion: version.full, error: null });
      return client;
    } catch (err) {
      await client.close().catch(() => {});
      const e = asDiskFerryError(err);
      this.setInfo(id, { status: 'failed', engineVersion: null, error: e.toInfo() });
      throw e;
    }
  }

  private async connectQuietly(id: string): Promise<void> {
    await this.connect(id).catch((err: unknown) => this.ports.log.info('engine connection failed', { engine: id, error: errorMessage(err) }));
  }

  private async disconnect(id: string): Promise<void> {
    const conn = this.connections.get(id);
    if (!conn?.client) return;
    const client = conn.client;
    conn.client = null;
    this.setInfo(id, { status: 'disconnected', engineVersion: null, error: null });
    await client.logout().catch(() => {});
  }

  private refreshDemo(): Promise<void> {
    this.demoStart ??= this.startDemo().catch((err: unknown) => {
      this.demoStart = null;
      throw err;
    });
    return this.demoStart;
  }

  private async startDemo(): Promise<void> {
    const sim = await this.ports.demo!.start();
    const ca = parseCaPem(sim.caPem, 'The demo engine');
    const existing = this.doc.profiles.find((x) => x.demo);
    const profile: StoredProfile = {
      id: existing?.id ?? this.ports.newId(),
      name: 'Demo engine (simulator)',
      engineUrl: engineBaseUrl(sim.engineUrl).href,
      username: sim.username,
      caPem: ca.pem,
      caFingerprint: ca.fingerprint,
      caSubject: ca.subject,
      systemTrust: false,
      // The demo engine runs on this computer: a proxy could not reach it.
      proxy: 'none',
      passwordCipher: null,
      demo: true,
    };
    // The simulator's password changes with every start: it lives in memory only.
    this.sessionPasswords.set(profile.id, sim.password);
    if (existing) await this.disconnect(existing.id);
    await this.save({ ...this.doc, profiles: existing ? this.doc.profiles.map((x) => (x.id === profile.id ? profile : x)) : [...this.doc.profiles, profile] });
  }

  /** The resolver of a proxy setting: `system` asks the host's system settings. */
  private proxyFor(setting: ProxySetting): ProxyResolver {
    return proxyResolverFor(setting, this.ports.systemProxy ?? noProxy);
  }

  private newClient(p: Pick<StoredProfile, 'engineUrl' | 'username' | 'caPem' | 'caFingerprint' | 'systemTrust' | 'proxy'>, password: string, onAway?: (away: EngineAway | null) => void): OvirtClient {
    return new OvirtClient({
      ...(onAway ? { onAway } : {}),
      engineUrl: p.engineUrl,
      username: p.username,
      password: () => password,
      trust: profileTrust(p),
      proxy: this.proxyFor(p.proxy),
      log: this.ports.log,
      timers: this.ports.timers,
      now: this.ports.now,
      ...(this.options.pollIntervalMs !== undefined ? { pollIntervalMs: this.options.pollIntervalMs } : {}),
    });
  }

  private async knownPassword(p: StoredProfile): Promise<string | null> {
    const inMemory = this.sessionPasswords.get(p.id);
    if (inMemory !== undefined) return inMemory;
    if (p.passwordCipher === null) return null;
    try {
      return await this.ports.secrets.decrypt(p.passwordCipher);
    } catch (err) {
      this.ports.log.warn('a saved password could not be decrypted', { engine: p.name, error: errorMessage(err) });
      return null;
    }
  }

  private connectionOf(id: string): Connection {
    let conn = this.connections.get(id);
    if (!conn) {
      conn = { info: { status: 'disconnected', engineVersion: null, error: null }, client: null, pending: null };
      this.connections.set(id, conn);
    }
    return conn;
  }

  /** The connected client of a profile stopped (or started again) answering: the window shows it. */
  private setAway(id: string, client: OvirtClient, away: EngineAway | null): void {
    const conn = this.connectionOf(id);
    if (conn.client !== client || conn.info.status !== 'connected') return;
    if (away) this.ports.log.warn('the engine is not answering; transfers wait for it', { engine: id, error: away.error.message });
    else this.ports.log.info('the engine answers again', { engine: id });
    this.setInfo(id, { ...conn.info, away: away ? { since: away.since, error: away.error.toInfo() } : null });
  }

  private setInfo(id: string, info: ConnectionInfo): void {
    this.connectionOf(id).info = info;
    this.bus.changed('engines:changed', true);
  }

  private async replace(p: StoredProfile): Promise<void> {
    await this.save({ ...this.doc, profiles: this.doc.profiles.map((x) => (x.id === p.id ? p : x)) });
  }

  private async save(doc: EnginesDocument): Promise<void> {
    this.doc = doc;
    await this.ports.store.write('engines', doc);
    this.bus.changed('engines:changed', true);
  }
}

function needsPassword(p: StoredProfile): DiskFerryError {
  return new DiskFerryError('auth-failed', `Enter the password of ${p.username} for ${p.name}.`, { retryable: false });
}
