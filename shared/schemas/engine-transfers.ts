/**
 * Schemas and types of the engine's own image transfers (`transfers:listEngine`, `transfers:endEngine`):
 * every transfer the selected engine lists, ours and other clients', with what it is doing, and
 * ending a stuck one — the window's side of `diskferry transfers [clean]` (main/engine/janitor/).
 */
import { z } from 'zod';
import { IdSchema, TransferDirectionSchema, type Infer } from './common.js';

/** `transfers:listEngine`: the selected engine's open transfers, or only those of one disk. */
export const EngineTransfersRequestSchema = z.strictObject({
  diskId: IdSchema.optional(),
  /** Also the finished transfers the engine still lists. */
  all: z.boolean().optional(),
});
export type EngineTransfersRequest = Infer<typeof EngineTransfersRequestSchema>;

/** What a transfer is doing (main/engine/janitor/janitor.ts `TransferCondition`). */
export const EngineTransferConditionSchema = z.enum(['moving', 'held', 'stuck', 'ending', 'finished', 'unknown']);

/** Why, as a code the window words in its language (janitor.ts `ConditionReason`). */
export const EngineTransferReasonSchema = z.enum([
  'ended-well',
  'ended-failure',
  'engine-ending',
  'queued-job',
  'command-running',
  'owner-gone',
  'paused-by-engine',
  'idle',
  'paused-by-client',
  'data-moving',
  'no-activity-report',
  'not-watched-long',
  'quiet-not-long',
]);

/** Who a transfer of ours belongs to. */
export const EngineTransferOwnerSchema = z.object({
  /** `queue`: a job of this app's queue (`jobId`); `command-line-queue`: a job of `diskferry queue`; `process`: a command on this machine. */
  kind: z.enum(['queue', 'command-line-queue', 'process']),
  /** "queue job web-01 (3f2a…)", "diskferry queue job web-01 (3f2a…)", "diskferry download (process 4242)" (English, as the CLI says it). */
  label: z.string(),
  /** The label's parts, which the window words in its language: the job's name, or the command ("download"). */
  name: z.string(),
  /** The job's short id, or the command's process id. */
  ref: z.string(),
  /** A command's machine when it is not this one. */
  host: z.string().nullable(),
  /** Someone is behind it (a job that is not finished, a running command). */
  live: z.boolean(),
  jobId: z.string().nullable(),
});

/** One transfer the engine lists. */
export const EngineTransferViewSchema = z.object({
  id: z.string(),
  direction: TransferDirectionSchema,
  /** The engine's phase word (`transferring`, `paused_system`, …). */
  phase: z.string(),
  diskId: z.string().nullable(),
  diskName: z.string().nullable(),
  hostName: z.string().nullable(),
  /** Ours (this app's queue, the command line's queue or a command on this machine), or null: another client's. */
  owner: EngineTransferOwnerSchema.nullable(),
  /** Unchanged for at least this long as DiskFerry saw it; null: moving, or not watched long enough. */
  idleMs: z.number().nonnegative().nullable(),
  condition: EngineTransferConditionSchema,
  reason: EngineTransferReasonSchema,
  /** The reason in English (as the CLI says it). */
  why: z.string(),
  /** What ending does: `finalize` a download (its disk goes back to ok), `cancel` an upload (the engine deletes its disk). */
  ending: z.enum(['finalize', 'cancel']),
  /**
   * Whether the user may end it: `stuck` (nobody is behind it), `another-client` (another client's
   * that may be in use: only when picked explicitly, confirming whose it is), `no` (ours and going
   * on — use the queue —, or already ending or ended).
   */
  endable: z.enum(['stuck', 'another-client', 'no']),
});
export type EngineTransferView = Infer<typeof EngineTransferViewSchema>;

/** `transfers:listEngine` answer. */
export const EngineTransfersSchema = z.object({
  engineId: z.string(),
  engineName: z.string(),
  /** Only this disk's transfers (the request's filter), or null. */
  diskId: z.string().nullable(),
  transfers: z.array(EngineTransferViewSchema),
  /** When the engine was asked (epoch ms). */
  listedAt: z.number(),
});
export type EngineTransfers = Infer<typeof EngineTransfersSchema>;

/**
 * `transfers:endEngine`: end one transfer of the selected engine the right way for its direction,
 * and wait until its disk is `ok` (a download) or removed (an upload). The flags are what the user
 * confirmed; without them main refuses what needs them.
 */
export const EndEngineTransferRequestSchema = z.strictObject({
  id: IdSchema,
  /** The user confirmed ending another client's transfer that may be in use. */
  anotherClient: z.boolean().optional(),
  /** The user confirmed that the engine deletes the upload's disk. */
  deleteDisk: z.boolean().optional(),
});
export type EndEngineTransferRequest = Infer<typeof EndEngineTransferRequestSchema>;

/** `transfers:endEngine` answer: what was done and the disk afterwards. */
export const EndEngineTransferResultSchema = z.object({
  id: z.string(),
  /** `finalized` (a download), `cancelled` (an upload), `waited` (the engine was already ending it). */
  action: z.enum(['finalized', 'cancelled', 'waited']),
  /** `locked`/`illegal`: the engine had not settled the disk by the deadline. */
  disk: z.enum(['ok', 'removed', 'locked', 'illegal', 'unknown']),
  diskName: z.string().nullable(),
  /** In English (the CLI's words). */
  message: z.string(),
});
export type EndEngineTransferResult = Infer<typeof EndEngineTransferResultSchema>;
