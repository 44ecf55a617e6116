/** Schemas of the catalog payloads (`catalog:*`). */
import { z } from 'zod';
import type { DiskQuery, DiskView, StorageDomainsRequest, StorageDomainView } from '../ipc.js';
import { DiskFormatSchema, IdSchema } from './common.js';

export const StorageDomainViewSchema: z.ZodType<StorageDomainView> = z.object({
  id: IdSchema,
  name: z.string(),
  type: z.string(),
  storageType: z.string().nullable(),
  isBlock: z.boolean(),
  status: z.enum(['active', 'inactive', 'locked', 'mixed', 'unattached', 'maintenance', 'preparing_for_maintenance', 'detaching', 'activating', 'unknown']),
  available: z.number().nullable(),
  used: z.number().nullable(),
  acceptsUploads: z.boolean(),
});

export const DiskViewSchema: z.ZodType<DiskView> = z.object({
  id: IdSchema,
  name: z.string(),
  description: z.string().nullable(),
  provisionedSize: z.number().nullable(),
  actualSize: z.number().nullable(),
  format: DiskFormatSchema,
  sparse: z.boolean(),
  status: z.enum(['ok', 'locked', 'illegal']).nullable(),
  contentType: z.string().nullable(),
  storageDomainIds: z.array(z.string()),
  storageDomainNames: z.array(z.string()),
  vmNames: z.array(z.string()).nullable(),
  downloadable: z.boolean(),
});

export const StorageDomainsRequestSchema: z.ZodType<StorageDomainsRequest> = z.strictObject({ refresh: z.boolean().optional() });

export const DiskQuerySchema: z.ZodType<DiskQuery> = z.strictObject({
  search: z.string().max(500).optional(),
  max: z.number().int().min(1).max(10_000).optional(),
});
