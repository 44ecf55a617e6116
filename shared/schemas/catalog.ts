/** Schemas and types of the catalog payloads (`catalog:*`, of the selected engine). */
import { z } from 'zod';
import { DiskFormatSchema, IdSchema, StorageDomainStatusSchema, type Infer } from './common.js';

/** A storage domain of the selected engine. */
export const StorageDomainViewSchema = z.object({
  id: IdSchema,
  name: z.string(),
  /** `data`, `iso`, `export`, … */
  type: z.string(),
  /** `nfs`, `iscsi`, `fcp`, … */
  storageType: z.string().nullable(),
  isBlock: z.boolean(),
  status: StorageDomainStatusSchema,
  /** Free bytes; null when the engine did not say. */
  available: z.number().nullable(),
  used: z.number().nullable(),
  /** The engine's critical space threshold in bytes: below it no disk is created there; null when not said. */
  criticalSpace: z.number().nullable(),
  /** Bytes a new disk may take: `available`, or 0 below the critical threshold; null when unknown (main's rule). */
  room: z.number().nullable(),
  /** An active data domain: the only kind that takes uploads. */
  acceptsUploads: z.boolean(),
});
export type StorageDomainView = Infer<typeof StorageDomainViewSchema>;

/** A disk of the selected engine. */
export const DiskViewSchema = z.object({
  id: IdSchema,
  name: z.string(),
  description: z.string().nullable(),
  /** Virtual size: the byte count of a raw download. */
  provisionedSize: z.number().nullable(),
  actualSize: z.number().nullable(),
  format: DiskFormatSchema,
  sparse: z.boolean(),
  status: z.enum(['ok', 'locked', 'illegal']).nullable(),
  /** `data`, `iso`, …; null on old engines. */
  contentType: z.string().nullable(),
  storageDomainIds: z.array(z.string()),
  /** Names of `storageDomainIds` where known. */
  storageDomainNames: z.array(z.string()),
  /** Names of the VMs the disk is attached to (sorted; [] for a floating disk); null when unknown. */
  vmNames: z.array(z.string()).nullable(),
  /** Those of `vmNames` that are not down: the engine refuses to transfer the disk while one runs. */
  runningVmNames: z.array(z.string()).nullable(),
  /** An image disk that is `ok`: can be downloaded now. */
  downloadable: z.boolean(),
});
export type DiskView = Infer<typeof DiskViewSchema>;

/** `catalog:diskNameCounts`: disk names typed in a plan, to warn of names the engine already has. */
export const DiskNameCountsRequestSchema = z.strictObject({ names: z.array(z.string().min(1).max(255)).min(1).max(50) });
export type DiskNameCountsRequest = Infer<typeof DiskNameCountsRequestSchema>;

/** `catalog:diskNameCounts` answer: how many disks of the selected engine have each name (exactly). */
export const DiskNameCountsSchema = z.array(z.object({ name: z.string(), count: z.number().int().nonnegative() }));
export type DiskNameCounts = Infer<typeof DiskNameCountsSchema>;

/** `catalog:storageDomains`. */
export const StorageDomainsRequestSchema = z.strictObject({
  /** Read again from the engine instead of the cached list (a few seconds old at most). */
  refresh: z.boolean().optional(),
});
export type StorageDomainsRequest = Infer<typeof StorageDomainsRequestSchema>;

/** `catalog:disks` filter. */
export const DiskQuerySchema = z.strictObject({
  /** A bare word searches by name (`web*`); `name=…`, `status=ok`, … pass through to the engine. */
  search: z.string().max(500).optional(),
  /** At most this many (default 500). */
  max: z.number().int().min(1).max(10_000).optional(),
});
export type DiskQuery = Infer<typeof DiskQuerySchema>;
