/** Schemas and types of the settings, dialogs and app payloads (`settings:*`, `dialogs:*`, `app:*`). */
import { z } from 'zod';
import { DEFAULT_NAME_TEMPLATE } from '../file-names.js';
import { SIDEBAR_WIDTH } from '../window-layout.js';
import { ExistingFilePolicySchema, IdSchema, OutputFormatSchema, PathSchema, type Infer } from './common.js';

const TimeOfDaySchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');

/** A daily time window, local time `HH:MM`; end before start spans midnight. */
export const ScheduleWindowSchema = z.strictObject({ start: TimeOfDaySchema, end: TimeOfDaySchema });
export type ScheduleWindow = Infer<typeof ScheduleWindowSchema>;

/** The settings, field by field, with their bounds. */
const settingsShape = {
  /** Transfers that run at once (1–8). */
  maxConcurrent: z.number().int().min(1).max(8),
  /** Transfers that run at once on one storage domain (1–8); null = only `maxConcurrent`. */
  maxPerStorageDomain: z.number().int().min(1).max(8).nullable(),
  /** Data connections per transfer (1–8, capped by the server). */
  connectionsPerTransfer: z.number().int().min(1).max(8),
  /** Total bandwidth limit of all transfers together, bytes per second; null = none. */
  bandwidthLimit: z.number().int().min(64 * 1024).nullable(),
  /** Transfers started with `start: 'window'` wait for it (running ones are held at its end); null = no window. */
  scheduleWindow: ScheduleWindowSchema.nullable(),
  /** Retries after a retryable failure (0–10). */
  maxRetries: z.number().int().min(0).max(10),
  /** Go through the engine's imageio proxy first. */
  preferProxy: z.boolean(),
  /** Compare a checksum of the data with the data server's before finalize (blkhash; needs imageio 2). */
  verify: z.boolean(),
  /** Engine inactivity timeout for our transfers, seconds (0 disables). */
  inactivityTimeout: z.number().int().min(0).max(24 * 3600),
  downloadFolder: PathSchema.nullable(),
  downloadNameTemplate: z.string().trim().min(1).max(255),
  downloadFormat: OutputFormatSchema,
  existingFilePolicy: ExistingFilePolicySchema,
  /** Remembered upload target per engine profile id. */
  lastStorageDomain: z.record(IdSchema, IdSchema),
  /** The backup folder per engine profile id (an absolute path): where "Back up…" writes, and what the VM list and the Backups… history read. */
  backupFolder: z.record(IdSchema, PathSchema),
  theme: z.enum(['system', 'light', 'dark']),
  language: z.enum(['system', 'en', 'ja']),
  /** Desktop notification when a transfer ends. */
  notifications: z.boolean(),
  /** Keep the computer awake while transfers run. */
  preventSleep: z.boolean(),
  /** Ask before quitting while transfers run. */
  confirmQuit: z.boolean(),
  /** Width of the window's left pane in CSS pixels, as the user dragged the splitter. */
  sidebarWidth: z.number().int().min(SIDEBAR_WIDTH.min).max(SIDEBAR_WIDTH.max),
};

/** User settings. `settings:set` takes any subset and answers the whole new settings. */
export const SettingsSchema = z.object(settingsShape);
export type Settings = Infer<typeof SettingsSchema>;

/** `settings:set` payload: any subset; unknown keys are refused. */
export const SettingsPatchSchema = z.strictObject(settingsShape).partial();
export type SettingsPatch = Infer<typeof SettingsPatchSchema>;

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
  backupFolder: {},
  theme: 'system',
  language: 'system',
  notifications: true,
  preventSleep: true,
  confirmQuit: true,
  sidebarWidth: SIDEBAR_WIDTH.default,
};

/** `dialogs:openFiles`. */
export const OpenFilesRequestSchema = z.strictObject({ title: z.string().max(200).optional() });
export type OpenFilesRequest = Infer<typeof OpenFilesRequestSchema>;

/** `dialogs:openFiles` answer; `paths` is empty when the user cancelled. */
export const OpenFilesResultSchema = z.object({ paths: z.array(z.string()) });
export type OpenFilesResult = Infer<typeof OpenFilesResultSchema>;

/** `dialogs:chooseFolder`. */
export const ChooseFolderRequestSchema = z.strictObject({ title: z.string().max(200).optional(), defaultPath: PathSchema.optional() });
export type ChooseFolderRequest = Infer<typeof ChooseFolderRequestSchema>;

/** `dialogs:chooseFolder` answer; null when the user cancelled. */
export const ChooseFolderResultSchema = z.object({ path: z.string().nullable() });
export type ChooseFolderResult = Infer<typeof ChooseFolderResultSchema>;

/** Where the window runs. */
export const HostKindSchema = z.enum(['electron', 'web']);
export type HostKind = Infer<typeof HostKindSchema>;

/** `app:info` answer. */
export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  host: HostKindSchema,
  /** `linux`, `darwin`, `win32`. */
  platform: z.string(),
  /** `engines:demo` works (running from a checkout, with the simulator). */
  demoAvailable: z.boolean(),
  /**
   * Native dialogs exist. In the web host they do not: `dialogs:*` answer "cancelled" and the window
   * asks for typed paths instead; dropped files have no path either.
   */
  nativeDialogs: z.boolean(),
  /** `transfers:reveal` opens the file manager (else it only returns the path). */
  canReveal: z.boolean(),
});
export type AppInfo = Infer<typeof AppInfoSchema>;
