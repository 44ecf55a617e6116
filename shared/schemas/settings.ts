/** Schemas of settings, dialogs and app payloads. */
import { z } from 'zod';
import type { AppInfo, ChooseFolderRequest, ChooseFolderResult, OpenFilesRequest, OpenFilesResult, Settings, SettingsPatch } from '../ipc.js';
import { DEFAULT_NAME_TEMPLATE } from '../file-names.js';
import { IdSchema, OutputFormatSchema, PathSchema } from './common.js';

const TimeOfDaySchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');

/** The settings, field by field, with their bounds. */
const settingsShape = {
  maxConcurrent: z.number().int().min(1).max(8),
  maxPerStorageDomain: z.number().int().min(1).max(8).nullable(),
  connectionsPerTransfer: z.number().int().min(1).max(8),
  bandwidthLimit: z.number().int().min(64 * 1024).nullable(),
  scheduleWindow: z.strictObject({ start: TimeOfDaySchema, end: TimeOfDaySchema }).nullable(),
  maxRetries: z.number().int().min(0).max(10),
  preferProxy: z.boolean(),
  verify: z.boolean(),
  inactivityTimeout: z.number().int().min(0).max(24 * 3600),
  downloadFolder: PathSchema.nullable(),
  downloadNameTemplate: z.string().trim().min(1).max(255),
  downloadFormat: OutputFormatSchema,
  existingFilePolicy: z.enum(['rename', 'overwrite', 'skip']),
  lastStorageDomain: z.record(IdSchema, IdSchema),
  theme: z.enum(['system', 'light', 'dark']),
  language: z.enum(['system', 'en', 'ja']),
  notifications: z.boolean(),
  preventSleep: z.boolean(),
  confirmQuit: z.boolean(),
};

export const SettingsSchema: z.ZodType<Settings> = z.object(settingsShape);

/** Any subset; unknown keys are refused. */
export const SettingsPatchSchema: z.ZodType<SettingsPatch> = z.strictObject(settingsShape).partial();

/** Defaults for a first start (and for fields a stored file lacks). */
export const DEFAULT_SETTINGS: Settings = {
  maxConcurrent: 2,
  maxPerStorageDomain: null,
  verify: true,
  connectionsPerTransfer: 4,
  bandwidthLimit: null,
  scheduleWindow: null,
  maxRetries: 3,
  preferProxy: false,
  inactivityTimeout: 60,
  downloadFolder: null,
  downloadNameTemplate: DEFAULT_NAME_TEMPLATE,
  downloadFormat: 'raw',
  existingFilePolicy: 'rename',
  lastStorageDomain: {},
  theme: 'system',
  language: 'system',
  notifications: true,
  preventSleep: true,
  confirmQuit: true,
};

export const OpenFilesRequestSchema: z.ZodType<OpenFilesRequest> = z.strictObject({ title: z.string().max(200).optional() });
export const OpenFilesResultSchema: z.ZodType<OpenFilesResult> = z.object({ paths: z.array(z.string()) });
export const ChooseFolderRequestSchema: z.ZodType<ChooseFolderRequest> = z.strictObject({ title: z.string().max(200).optional(), defaultPath: PathSchema.optional() });
export const ChooseFolderResultSchema: z.ZodType<ChooseFolderResult> = z.object({ path: z.string().nullable() });

export const AppInfoSchema: z.ZodType<AppInfo> = z.object({
  name: z.string(),
  version: z.string(),
  host: z.enum(['electron', 'web']),
  platform: z.string(),
  demoAvailable: z.boolean(),
  nativeDialogs: z.boolean(),
  canReveal: z.boolean(),
});
