/** Schemas of the engine-profile payloads (`engines:*`). */
import { z } from 'zod';
import type {
  AddEngineRequest,
  CaCertificateInfo,
  EngineIdRequest,
  EngineProfileView,
  EnginesState,
  EngineTestResult,
  EngineTrustChoice,
  FetchCaRequest,
  SelectEngineRequest,
  TestEngineRequest,
  TrustEngineRequest,
} from '../ipc.js';
import { ErrorInfoSchema, IdSchema } from './common.js';

/** `AA:BB:…` or bare hex; compared without separators, case-insensitively. */
const FingerprintSchema = z.string().regex(/^[0-9A-Fa-f:\s]{32,200}$/, 'a SHA-256 fingerprint');
/** Engine addresses as the CLI takes them; normalised and checked (https only) in main. */
const EngineUrlSchema = z.string().trim().min(1).max(2048);
const PasswordSchema = z.string().min(1).max(4096);

export const EngineProfileViewSchema: z.ZodType<EngineProfileView> = z.object({
  id: IdSchema,
  name: z.string(),
  engineUrl: z.string(),
  username: z.string(),
  caFingerprint: z.string().nullable(),
  caSubject: z.string().nullable(),
  systemTrust: z.boolean(),
  passwordSaved: z.boolean(),
  demo: z.boolean(),
  status: z.enum(['disconnected', 'connecting', 'connected', 'needs-password', 'failed']),
  engineVersion: z.string().nullable(),
  error: ErrorInfoSchema.nullable(),
});

export const EnginesStateSchema: z.ZodType<EnginesState> = z.object({
  profiles: z.array(EngineProfileViewSchema),
  selectedId: IdSchema.nullable(),
});

export const CaCertificateInfoSchema: z.ZodType<CaCertificateInfo> = z.object({
  engineUrl: z.string(),
  fingerprint: z.string(),
  subject: z.string(),
  notAfter: z.number(),
});

export const EngineTrustChoiceSchema: z.ZodType<EngineTrustChoice> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fingerprint'), fingerprint: FingerprintSchema }),
  z.strictObject({ kind: z.literal('pem'), pem: z.string().min(1).max(256 * 1024) }),
  z.strictObject({ kind: z.literal('system') }),
]);

export const AddEngineRequestSchema: z.ZodType<AddEngineRequest> = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  engineUrl: EngineUrlSchema,
  username: z.string().trim().max(512).regex(/^[^@\s]+@[^@\s]+$/, 'USER@PROFILE, for example admin@internal'),
  password: PasswordSchema,
  savePassword: z.boolean(),
  trust: EngineTrustChoiceSchema,
  systemTrust: z.boolean().optional(),
});

export const FetchCaRequestSchema: z.ZodType<FetchCaRequest> = z.union([z.strictObject({ engineUrl: EngineUrlSchema }), z.strictObject({ id: IdSchema })]);

export const TrustEngineRequestSchema: z.ZodType<TrustEngineRequest> = z.strictObject({ id: IdSchema, fingerprint: FingerprintSchema });

export const TestEngineRequestSchema: z.ZodType<TestEngineRequest> = z.strictObject({ id: IdSchema, password: PasswordSchema.optional() });

export const EngineTestResultSchema: z.ZodType<EngineTestResult> = z.object({ engineVersion: z.string(), elapsedMs: z.number() });

export const SelectEngineRequestSchema: z.ZodType<SelectEngineRequest> = z.strictObject({
  id: IdSchema,
  password: PasswordSchema.optional(),
  savePassword: z.boolean().optional(),
});

export const EngineIdRequestSchema: z.ZodType<EngineIdRequest> = z.strictObject({ id: IdSchema });
