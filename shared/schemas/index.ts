/**
 * Runtime schemas for every payload of the IPC contract (shared/ipc.ts), keyed by channel. Main and
 * the web host parse each request with its `request` schema before anything else; tests and the web
 * client can check responses and events with the others.
 */
import { z } from 'zod';
import type { EventChannel, EventChannels, InvokeChannel, InvokeChannels } from '../ipc.js';
import { DiskQuerySchema, DiskViewSchema, StorageDomainsRequestSchema, StorageDomainViewSchema } from './catalog.js';
import {
  AddEngineRequestSchema,
  CaCertificateInfoSchema,
  EngineIdRequestSchema,
  EngineProfileViewSchema,
  EnginesStateSchema,
  EngineTestResultSchema,
  FetchCaRequestSchema,
  SelectEngineRequestSchema,
  TestEngineRequestSchema,
  TrustEngineRequestSchema,
} from './engines.js';
import {
  AppInfoSchema,
  ChooseFolderRequestSchema,
  ChooseFolderResultSchema,
  OpenFilesRequestSchema,
  OpenFilesResultSchema,
  SettingsPatchSchema,
  SettingsSchema,
} from './settings.js';
import {
  AddDownloadsRequestSchema,
  AddUploadsRequestSchema,
  MoveTransferRequestSchema,
  PlanUploadsRequestSchema,
  RevealResultSchema,
  TransferIdRequestSchema,
  TransfersChangeSchema,
  TransfersSnapshotSchema,
  TransferViewSchema,
  UploadPlanSchema,
} from './transfers.js';

export * from './common.js';
export * from './engines.js';
export * from './catalog.js';
export * from './transfers.js';
export * from './settings.js';

/** A channel without a payload: nothing (undefined), or null / {} from a JSON transport. */
const NoPayload: z.ZodType<void> = z.union([z.undefined(), z.null(), z.strictObject({})]).transform(() => undefined);

/** An optional request object: absent means `{}`. */
function optionalObject<T>(schema: z.ZodType<T>): z.ZodType<T> {
  return z.preprocess((v) => v ?? {}, schema) as z.ZodType<T>;
}

type InvokeSchemaMap = { readonly [C in InvokeChannel]: { readonly request: z.ZodType<InvokeChannels[C]['request']>; readonly response: z.ZodType<InvokeChannels[C]['response']> } };

const Null: z.ZodType<null> = z.null();

/** Request and response schema of every invoke channel. */
export const INVOKE_SCHEMAS: InvokeSchemaMap = {
  'engines:list': { request: NoPayload, response: EnginesStateSchema },
  'engines:add': { request: AddEngineRequestSchema, response: EngineProfileViewSchema },
  'engines:fetchCa': { request: FetchCaRequestSchema, response: CaCertificateInfoSchema },
  'engines:trust': { request: TrustEngineRequestSchema, response: EngineProfileViewSchema },
  'engines:test': { request: TestEngineRequestSchema, response: EngineTestResultSchema },
  'engines:testNew': { request: AddEngineRequestSchema, response: EngineTestResultSchema },
  'engines:remove': { request: EngineIdRequestSchema, response: EnginesStateSchema },
  'engines:select': { request: SelectEngineRequestSchema, response: EnginesStateSchema },
  'engines:demo': { request: NoPayload, response: EngineProfileViewSchema },
  'catalog:storageDomains': { request: optionalObject(StorageDomainsRequestSchema), response: z.array(StorageDomainViewSchema) },
  'catalog:disks': { request: optionalObject(DiskQuerySchema), response: z.array(DiskViewSchema) },
  'transfers:planUploads': { request: PlanUploadsRequestSchema, response: UploadPlanSchema },
  'transfers:addUploads': { request: AddUploadsRequestSchema, response: z.array(TransferViewSchema) },
  'transfers:addDownloads': { request: AddDownloadsRequestSchema, response: z.array(TransferViewSchema) },
  'transfers:pause': { request: TransferIdRequestSchema, response: TransferViewSchema },
  'transfers:resume': { request: TransferIdRequestSchema, response: TransferViewSchema },
  'transfers:cancel': { request: TransferIdRequestSchema, response: TransferViewSchema },
  'transfers:retry': { request: TransferIdRequestSchema, response: TransferViewSchema },
  'transfers:remove': { request: TransferIdRequestSchema, response: Null },
  'transfers:reveal': { request: TransferIdRequestSchema, response: RevealResultSchema },
  'transfers:move': { request: MoveTransferRequestSchema, response: Null },
  'transfers:list': { request: NoPayload, response: TransfersSnapshotSchema },
  'settings:get': { request: NoPayload, response: SettingsSchema },
  'settings:set': { request: SettingsPatchSchema, response: SettingsSchema },
  'dialogs:openFiles': { request: optionalObject(OpenFilesRequestSchema), response: OpenFilesResultSchema },
  'dialogs:chooseFolder': { request: optionalObject(ChooseFolderRequestSchema), response: ChooseFolderResultSchema },
  'app:info': { request: NoPayload, response: AppInfoSchema },
};

/** Payload schema of every event channel. */
export const EVENT_SCHEMAS: { readonly [E in EventChannel]: z.ZodType<EventChannels[E]> } = {
  'transfers:changed': TransfersChangeSchema,
  'engines:changed': EnginesStateSchema,
  'settings:changed': SettingsSchema,
};
