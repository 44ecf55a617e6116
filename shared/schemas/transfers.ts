/** Schemas of the transfer payloads (`transfers:*`). */
import { z } from 'zod';
import type {
  AddDownloadsRequest,
  AddUploadsRequest,
  MoveTransferRequest,
  PlanUploadsRequest,
  RevealResult,
  TransferIdRequest,
  TransfersChange,
  TransfersSnapshot,
  TransferView,
  UploadPlan,
  UploadPlanItem,
} from '../ipc.js';
import {
  DiskFormatSchema,
  ErrorInfoSchema,
  IdSchema,
  LocalImageFormatSchema,
  OutputFormatSchema,
  PathSchema,
  TransferDirectionSchema,
  TransferProgressSchema,
  TransferStateSchema,
} from './common.js';

const StartModeSchema = z.enum(['now', 'window']);
/** Disk names as the engine accepts them (no control characters). */
// eslint-disable-next-line no-control-regex
const DiskNameSchema = z.string().trim().min(1).max(255).regex(/^[^\u0000-\u001f]+$/, 'no control characters');

export const PlanUploadsRequestSchema: z.ZodType<PlanUploadsRequest> = z.strictObject({ paths: z.array(PathSchema).min(1).max(1000) });

export const UploadPlanItemSchema: z.ZodType<UploadPlanItem> = z.object({
  path: z.string(),
  fileName: z.string(),
  format: LocalImageFormatSchema.nullable(),
  virtualSize: z.number().nullable(),
  fileSize: z.number().nullable(),
  diskName: z.string(),
  diskFormat: DiskFormatSchema,
  problem: ErrorInfoSchema.nullable(),
  sameNameDisks: z.number().int().nonnegative().nullable(),
});

export const UploadPlanSchema: z.ZodType<UploadPlan> = z.object({ items: z.array(UploadPlanItemSchema), storageDomainId: z.string().nullable() });

export const AddUploadsRequestSchema: z.ZodType<AddUploadsRequest> = z.strictObject({
  items: z
    .array(
      z.strictObject({
        path: PathSchema,
        storageDomainId: IdSchema,
        diskName: DiskNameSchema,
        diskFormat: DiskFormatSchema.optional(),
        preallocated: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(1000),
  start: StartModeSchema.optional(),
});

export const AddDownloadsRequestSchema: z.ZodType<AddDownloadsRequest> = z.strictObject({
  diskIds: z.array(IdSchema).min(1).max(1000),
  folder: PathSchema,
  format: OutputFormatSchema,
  nameTemplate: z.string().trim().min(1).max(255).optional(),
  existing: z.enum(['rename', 'overwrite', 'skip']),
  start: StartModeSchema.optional(),
});

export const TransferIdRequestSchema: z.ZodType<TransferIdRequest> = z.strictObject({ id: IdSchema });

export const MoveTransferRequestSchema: z.ZodType<MoveTransferRequest> = z.strictObject({ id: IdSchema, to: z.enum(['top', 'up', 'down', 'bottom']) });

export const TransferViewSchema: z.ZodType<TransferView> = z.object({
  id: IdSchema,
  direction: TransferDirectionSchema,
  state: TransferStateSchema,
  engineId: z.string(),
  engineName: z.string(),
  name: z.string(),
  localPath: z.string(),
  diskId: z.string().nullable(),
  diskName: z.string(),
  storageDomainName: z.string().nullable(),
  localFormat: LocalImageFormatSchema.nullable(),
  diskFormat: DiskFormatSchema.nullable(),
  progress: TransferProgressSchema,
  error: ErrorInfoSchema.nullable(),
  attempts: z.number().int().nonnegative(),
  start: StartModeSchema,
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  timeline: z.array(z.object({ state: TransferStateSchema, at: z.number() })),
  notes: z.array(z.string()),
  cancelDeletesDisk: z.boolean(),
  checksum: z
    .object({
      algorithm: z.string(),
      blockSize: z.number().int().positive(),
      local: z.string().nullable(),
      server: z.string().nullable(),
      verified: z.boolean().nullable(),
      note: z.string(),
    })
    .nullable(),
  actions: z.object({
    pause: z.boolean(),
    resume: z.boolean(),
    cancel: z.boolean(),
    retry: z.boolean(),
    remove: z.boolean(),
    reveal: z.boolean(),
    move: z.boolean(),
  }),
});

const TransfersSummarySchema = z.object({
  running: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  rate: z.number().nonnegative(),
});

const snapshotShape = { seq: z.number().int().nonnegative(), transfers: z.array(TransferViewSchema), summary: TransfersSummarySchema };

export const TransfersSnapshotSchema: z.ZodType<TransfersSnapshot> = z.object(snapshotShape);

export const TransfersChangeSchema: z.ZodType<TransfersChange> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('snapshot'), ...snapshotShape }),
  z.object({
    kind: z.literal('delta'),
    baseSeq: z.number().int().nonnegative(),
    seq: z.number().int().nonnegative(),
    changed: z.array(TransferViewSchema),
    order: z.array(z.string()),
    summary: TransfersSummarySchema,
  }),
]);

export const RevealResultSchema: z.ZodType<RevealResult> = z.object({ path: z.string(), shown: z.boolean() });
