import type { Settings, SettingsPatch } from '../../shared/ipc.js';
import { DEFAULT_SETTINGS, SettingsSchema } from '../../shared/schemas/index.js';
import type { Log } from '../engine/log.js';
import type { ChangeBus } from './change-bus.js';
import type { DocumentStore } from './ports.js';

/** User settings: defaults merged with what is stored, validated on the way in and out. */
export class SettingsService {
  private current: Settings = DEFAULT_SETTINGS;

  constructor(
    private readonly store: DocumentStore,
    private readonly bus: ChangeBus,
    private readonly log: Log,
  ) {}

  /** Reads the stored settings; a damaged document falls back to the defaults field by field. */
  async load(): Promise<void> {
    const stored = await this.store.read('settings');
    const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    if (stored && typeof stored === 'object') {
      for (const [key, value] of Object.entries(stored)) {
        if (!(key in DEFAULT_SETTINGS)) continue;
        const candidate = { ...merged, [key]: value };
        if (SettingsSchema.safeParse(candidate).success) merged[key] = value;
        else this.log.warn('ignoring an invalid stored setting', { key });
      }
    }
    this.current = SettingsSchema.parse(merged);
  }

  /** The settings now. */
  get(): Settings {
    return this.current;
  }

  /** Applies a (validated) patch, persists, announces. */
  async set(patch: SettingsPatch): Promise<Settings> {
    const next = SettingsSchema.parse({ ...this.current, ...patch });
    this.current = next;
    await this.store.write('settings', next);
    this.bus.changed('settings:changed', true);
    return next;
  }
}
