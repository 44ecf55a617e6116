/**
 * The small shared pieces of the payload schemas (errors, progress, states, ids), the request
 * wrappers for channels without a payload or with an optional one, and `Infer`: the readonly type a
 * schema describes, which every payload type of the contract is derived with.
 */
import { z } from 'zod';
import { ERROR_CODES, ERROR_SUBJECT_KINDS, type ErrorInfo } from '../errors.js';
import type { DiskFormat, OutputFormat, StorageDomainStatus, TransferDirection, TransferProgress, TransferState } from '../model.js';

/** A type made readonly all the way down: data that crosses the bridge is never changed in place. */
export type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The plain, readonly data a schema accepts after parsing: every payload type is one of these. */
export type Infer<S extends z.ZodType> = DeepReadonly<z.output<S>>;

/** Identifiers: engine profile ids, transfer ids, disk and storage domain ids (UUIDs on real engines). */
export const IdSchema = z.string().min(1).max(200);

/** An absolute or relative local path as the user gave it. */
export const PathSchema = z.string().min(1).max(4096);

/** A request without a payload: nothing (undefined), or null / {} from a JSON transport. */
export const NoPayloadSchema = z.union([z.undefined(), z.null(), z.strictObject({})]).transform((): void => undefined);

/** A request object the caller may leave out (or send as null): the handler then gets `{}`. */
export function optionalRequest<S extends z.ZodType>(schema: S) {
  return z.preprocess((value: z.input<S> | null | undefined) => value ?? {}, schema);
}

// The schemas of model.ts types are checked against them (`satisfies`), keeping their literal types.

export const ErrorInfoSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  retryable: z.boolean(),
  engineText: z.string().optional(),
  diskLocked: z.boolean().optional(),
  subject: z.object({ kind: z.enum(ERROR_SUBJECT_KINDS), name: z.string() }).optional(),
  needed: z.number().nonnegative().optional(),
}) satisfies z.ZodType<ErrorInfo>;

export const TransferStateSchema = z.enum([
  'queued',
  'waiting',
  'preparing',
  'initializing',
  'transferring',
  'paused',
  'retrying',
  'finalizing',
  'verifying',
  'completed',
  'failed',
  'cancelled',
]) satisfies z.ZodType<TransferState>;

export const TransferDirectionSchema = z.enum(['upload', 'download']) satisfies z.ZodType<TransferDirection>;
export const DiskFormatSchema = z.enum(['raw', 'cow']) satisfies z.ZodType<DiskFormat>;
export const OutputFormatSchema = z.enum(['raw', 'qcow2']) satisfies z.ZodType<OutputFormat>;

/** When queued transfers may start. */
export const StartModeSchema = z.enum(['now', 'window']);

export const StorageDomainStatusSchema = z.enum([
  'active',
  'inactive',
  'locked',
  'mixed',
  'unattached',
  'maintenance',
  'preparing_for_maintenance',
  'detaching',
  'activating',
  'unknown',
]) satisfies z.ZodType<StorageDomainStatus>;

/** Local file formats DiskFerry recognises. */
export const LocalImageFormatSchema = z.enum(['raw', 'qcow2', 'iso']);
export type LocalImageFormat = Infer<typeof LocalImageFormatSchema>;

/**
 * What to do when the download's target file already exists: `rename` to "name (2).raw", `overwrite`,
 * or `skip` (the disk is not queued; the answer lists only queued transfers). A `.part` file of an
 * interrupted download is always resumed under its name.
 */
export const ExistingFilePolicySchema = z.enum(['rename', 'overwrite', 'skip']);
export type ExistingFilePolicy = Infer<typeof ExistingFilePolicySchema>;

export const TransferProgressSchema = z.object({
  state: TransferStateSchema,
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative().nullable(),
  dataDone: z.number().nonnegative(),
  dataTotal: z.number().nonnegative().nullable(),
  bytesOnWire: z.number().nonnegative(),
  rate: z.number().nonnegative().nullable(),
  etaSeconds: z.number().nullable(),
  elapsedMs: z.number(),
  connections: z.number().int().nonnegative(),
  viaProxy: z.boolean().nullable(),
}) satisfies z.ZodType<TransferProgress>;
