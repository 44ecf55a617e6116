/** Schemas and types of the engine-profile payloads (`engines:*`). */
import { z } from 'zod';
import { ErrorInfoSchema, IdSchema, type Infer } from './common.js';

/** `AA:BB:…` or bare hex; compared without separators, case-insensitively. */
const FingerprintSchema = z.string().regex(/^[0-9A-Fa-f:\s]{32,200}$/, 'a SHA-256 fingerprint');
/** Engine addresses as the CLI takes them; normalised and checked (https only) in main. */
const EngineUrlSchema = z.string().trim().min(1).max(2048);
const PasswordSchema = z.string().min(1).max(4096);

/**
 * How a profile reaches its engine and data servers: `system`, the operating system's proxy
 * settings (the default); `none`, always directly; or an HTTP proxy `http://host:port`, tunnelled
 * with CONNECT. A proxy's user name and password are not kept in a profile (they would travel with it
 * to the window); a proxy that asks for them is for the command line (HTTPS_PROXY) for now.
 */
export const ProxySettingSchema = z.union([
  z.literal('system'),
  z.literal('none'),
  z
    .string()
    .trim()
    .max(2048)
    .regex(/^http:\/\/[^\s/@]+:\d{1,5}\/?$/i, 'http://host:port, without a user name or password'),
]);
export type ProxySetting = Infer<typeof ProxySettingSchema>;

/** How a profile's connection stands right now. `needs-password`: no saved password; select it with one. */
export const ConnectionStatusSchema = z.enum(['disconnected', 'connecting', 'connected', 'needs-password', 'failed']);
export type ConnectionStatus = Infer<typeof ConnectionStatusSchema>;

/** One engine profile as the window sees it: never its password (only whether one is saved). */
export const EngineProfileViewSchema = z.object({
  id: IdSchema,
  /** Display name, e.g. "prod-engine". */
  name: z.string(),
  /** `https://host/ovirt-engine`. */
  engineUrl: z.string(),
  /** `user@profile`. */
  username: z.string(),
  /** SHA-256 of the pinned engine CA (`AA:BB:…`); null when the profile trusts the system CAs only. */
  caFingerprint: z.string().nullable(),
  caSubject: z.string().nullable(),
  /** Also trust the operating system's CAs (third-party certificate on the engine's Apache). */
  systemTrust: z.boolean(),
  /** The HTTP proxy to the engine and its data servers: `system`, `none` or `http://host:port`. */
  proxy: ProxySettingSchema,
  /** A password is saved, encrypted by the OS keychain (safeStorage). */
  passwordSaved: z.boolean(),
  /** The built-in simulator added by `engines:demo`. */
  demo: z.boolean(),
  status: ConnectionStatusSchema,
  /** `product_info` full version once connected, e.g. "4.5.7-1.el9"; null before. */
  engineVersion: z.string().nullable(),
  /** Why the last connection failed (status `failed`), else null. */
  error: ErrorInfoSchema.nullable(),
  /**
   * Connected, but the engine stopped answering (network errors or 5xx; DiskFerry waits and asks
   * again): since when (epoch ms) and the last failure. null while it answers.
   */
  away: z.object({ since: z.number(), error: ErrorInfoSchema }).nullable(),
});
export type EngineProfileView = Infer<typeof EngineProfileViewSchema>;

/** All engine profiles and which one the window works with. Also the `engines:changed` payload. */
export const EnginesStateSchema = z.object({
  profiles: z.array(EngineProfileViewSchema),
  /** The selected profile: catalog calls and new transfers use it. */
  selectedId: IdSchema.nullable(),
});
export type EnginesState = Infer<typeof EnginesStateSchema>;

/** The engine CA as fetched for the user to compare (trust on first use). The PEM stays in main. */
export const CaCertificateInfoSchema = z.object({
  engineUrl: z.string(),
  /** SHA-256, `AA:BB:…`: pass it back to `engines:add` / `engines:trust` to accept this certificate. */
  fingerprint: z.string(),
  subject: z.string(),
  /** End of validity, epoch ms. */
  notAfter: z.number(),
});
export type CaCertificateInfo = Infer<typeof CaCertificateInfoSchema>;

/**
 * How a new profile trusts the engine: `fingerprint`, the CA that `engines:fetchCa` returned with
 * this fingerprint (fetched within the last 10 minutes); `pem`, a PEM CA file the user imported (its
 * text, read by the window from a dropped or chosen file); `system`, only the operating system's CAs
 * (an engine with a publicly signed certificate).
 */
export const EngineTrustChoiceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fingerprint'), fingerprint: FingerprintSchema }),
  z.strictObject({ kind: z.literal('pem'), pem: z.string().min(1).max(256 * 1024) }),
  z.strictObject({ kind: z.literal('system') }),
]);
export type EngineTrustChoice = Infer<typeof EngineTrustChoiceSchema>;

/** `engines:add`: checks the login (like `diskferry login`), then saves the profile and selects it. */
export const AddEngineRequestSchema = z.strictObject({
  /** Display name; default: the engine's host name. */
  name: z.string().trim().min(1).max(100).optional(),
  /** Any form the CLI accepts: `engine.example.com`, `https://engine.example.com/ovirt-engine[/api]`. */
  engineUrl: EngineUrlSchema,
  username: z.string().trim().max(512).regex(/^[^@\s]+@[^@\s]+$/, 'USER@PROFILE, for example admin@internal'),
  password: PasswordSchema,
  /** Keep the password, encrypted with the OS keychain; otherwise it is asked at each start. */
  savePassword: z.boolean(),
  trust: EngineTrustChoiceSchema,
  /** Also trust the OS CAs besides the pinned one. Default false. */
  systemTrust: z.boolean().optional(),
  /** The proxy setting; default `system`. */
  proxy: ProxySettingSchema.optional(),
});
export type AddEngineRequest = Infer<typeof AddEngineRequestSchema>;

/** `engines:fetchCa`: downloads the engine CA of a new URL, or of a saved profile (to re-trust it). */
export const FetchCaRequestSchema = z.union([z.strictObject({ engineUrl: EngineUrlSchema, proxy: ProxySettingSchema.optional() }), z.strictObject({ id: IdSchema })]);
export type FetchCaRequest = Infer<typeof FetchCaRequestSchema>;

/** `engines:trust`: pins the CA last fetched with this fingerprint for an existing profile. */
export const TrustEngineRequestSchema = z.strictObject({ id: IdSchema, fingerprint: FingerprintSchema });
export type TrustEngineRequest = Infer<typeof TrustEngineRequestSchema>;

/** `engines:test`: logs in and reads the version, without changing the selection. */
export const TestEngineRequestSchema = z.strictObject({
  id: IdSchema,
  /** Needed when the profile has no saved password. Not kept. */
  password: PasswordSchema.optional(),
});
export type TestEngineRequest = Infer<typeof TestEngineRequestSchema>;

/** `engines:test` and `engines:testNew` answer. */
export const EngineTestResultSchema = z.object({
  engineVersion: z.string(),
  /** Milliseconds the login and version read took. */
  elapsedMs: z.number(),
});
export type EngineTestResult = Infer<typeof EngineTestResultSchema>;

/**
 * `engines:select`: selects a profile and connects. A failed login is not an error Result: the
 * answer's profile has status `failed` (with `error`) or `needs-password` (select again with one).
 */
export const SelectEngineRequestSchema = z.strictObject({
  id: IdSchema,
  /** For a profile without a saved password. */
  password: PasswordSchema.optional(),
  /** With `password`: save it (encrypted). Default false. */
  savePassword: z.boolean().optional(),
});
export type SelectEngineRequest = Infer<typeof SelectEngineRequestSchema>;

/** A request naming one engine profile. */
export const EngineIdRequestSchema = z.strictObject({ id: IdSchema });
export type EngineIdRequest = Infer<typeof EngineIdRequestSchema>;
