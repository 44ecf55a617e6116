/** The stored form of engine profiles, and how a profile is shown to the window (no secrets). */
import { z } from 'zod';
import type { ConnectionStatus, EngineProfileView, ErrorInfo } from '../../shared/ipc.js';
import type { TrustSettings } from '../engine/trust/tls.js';

const StoredProfileSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  engineUrl: z.string().min(1),
  username: z.string().min(1),
  caPem: z.string().nullable(),
  caFingerprint: z.string().nullable(),
  caSubject: z.string().nullable(),
  systemTrust: z.boolean(),
  /** `system`, `none` or `http://host:port` (profiles saved before proxies were supported: `system`). */
  proxy: z.string().min(1).default('system'),
  /** The password encrypted by the SecretCipher (safeStorage); never plain text. */
  passwordCipher: z.string().nullable(),
  demo: z.boolean(),
});

/** One engine profile as persisted. */
export type StoredProfile = z.infer<typeof StoredProfileSchema>;

const EnginesDocumentSchema = z.object({
  version: z.literal(1),
  selectedId: z.string().nullable(),
  profiles: z.array(StoredProfileSchema),
});

/** The `engines` document. */
export type EnginesDocument = z.infer<typeof EnginesDocumentSchema>;

/** Parses the stored document; anything unreadable starts empty (and is reported by the caller). */
export function parseEnginesDocument(value: unknown): EnginesDocument | null {
  if (value === undefined || value === null) return { version: 1, selectedId: null, profiles: [] };
  const parsed = EnginesDocumentSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** What the core knows about a profile's connection right now. */
export interface ConnectionInfo {
  readonly status: ConnectionStatus;
  readonly engineVersion: string | null;
  readonly error: ErrorInfo | null;
  /** Connected, but the engine stopped answering: since when, and the last failure. */
  readonly away?: { readonly since: number; readonly error: ErrorInfo } | null;
}

/** The window's view of a profile. */
export function profileView(p: StoredProfile, c: ConnectionInfo | undefined): EngineProfileView {
  return {
    id: p.id,
    name: p.name,
    engineUrl: p.engineUrl,
    username: p.username,
    caFingerprint: p.caFingerprint,
    caSubject: p.caSubject,
    systemTrust: p.systemTrust,
    proxy: p.proxy,
    passwordSaved: p.passwordCipher !== null,
    demo: p.demo,
    status: c?.status ?? 'disconnected',
    engineVersion: c?.engineVersion ?? null,
    error: c?.error ?? null,
    away: c?.status === 'connected' ? (c.away ?? null) : null,
  };
}

/** The TLS trust of a profile: its pinned CA (and the OS CAs if asked), or the OS CAs alone. */
export function profileTrust(p: Pick<StoredProfile, 'caPem' | 'caFingerprint' | 'systemTrust'>): TrustSettings {
  if (p.caPem === null) return { caPem: [], systemTrust: true };
  return { caPem: [p.caPem], systemTrust: p.systemTrust, ...(p.caFingerprint ? { pinnedFingerprints: [p.caFingerprint] } : {}) };
}

/** Fingerprints compare without separators, upper case. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/[^0-9a-f]/gi, '').toUpperCase();
}

/** Accepts `engine.example.com` or any URL form; the engine code checks and normalises the rest. */
export function engineUrlFromInput(text: string): string {
  const t = text.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t}`;
}
