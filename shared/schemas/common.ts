/** Schemas of the small shared pieces: errors, progress, states. */
import { z } from 'zod';
import { ERROR_CODES, type ErrorInfo } from '../errors.js';
import type { DiskFormat, OutputFormat, TransferDirection, TransferProgress, TransferState } from '../model.js';
import type { LocalImageFormat } from '../ipc.js';

/** Identifiers: engine profile ids, transfer ids, disk and storage domain ids (UUIDs on real engines). */
export const IdSchema = z.string().min(1).max(200);

/** An absolute or relative local path as the user gave it. */
export const PathSchema = z.string().min(1).max(4096);

/** A byte count. */
export const BytesSchema = z.number().int().nonnegative();

export const ErrorInfoSchema: z.ZodType<ErrorInfo> = z.object({ code: z.enum(ERROR_CODES), message: z.string(), retryable: z.boolean() });

export const TransferStateSchema: z.ZodType<TransferState> = z.enum([
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
]);

export const TransferDirectionSchema: z.ZodType<TransferDirection> = z.enum(['upload', 'download']);
export const DiskFormatSchema: z.ZodType<DiskFormat> = z.enum(['raw', 'cow']);
export const OutputFormatSchema: z.ZodType<OutputFormat> = z.enum(['raw', 'qcow2']);
export const LocalImageFormatSchema: z.ZodType<LocalImageFormat> = z.enum(['raw', 'qcow2', 'iso']);

export const TransferProgressSchema: z.ZodType<TransferProgress> = z.object({
  state: TransferStateSchema,
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative().nullable(),
  bytesOnWire: z.number().nonnegative(),
  rate: z.number().nullable(),
  etaSeconds: z.number().nullable(),
  elapsedMs: z.number(),
  connections: z.number().int().nonnegative(),
  viaProxy: z.boolean().nullable(),
});
