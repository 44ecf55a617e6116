/**
 * The side effects the app core runs with. Each host builds real ones in its composition root:
 * Electron (main/index.ts: electron-store, safeStorage, dialogs, notifications, power and taskbar),
 * the web host (main/web-host/: JSON files, memory secrets, typed paths) and the tests.
 */
import type { HostKind } from '../../shared/ipc.js';
import type { Log } from '../engine/log.js';
import type { Timers } from '../engine/timers.js';
import type { ProxyResolver } from '../engine/net/proxy.js';

/** The documents the core persists. */
export type DocumentName = 'settings' | 'engines' | 'transfers';

/** Persistent JSON documents (electron-store in the app). A missing document reads as undefined. */
export interface DocumentStore {
  read(name: DocumentName): Promise<unknown>;
  write(name: DocumentName, value: unknown): Promise<void>;
}

/** Encrypts saved passwords (safeStorage in the app). Never stores plain text. */
export interface SecretCipher {
  /** False when the OS offers no keychain: passwords are then never saved. */
  isAvailable(): boolean;
  /** Returns an opaque string (base64) safe to persist. */
  encrypt(plain: string): Promise<string>;
  decrypt(cipher: string): Promise<string>;
}

/** Native dialogs; hosts without them answer "cancelled". */
export interface DialogPort {
  openFiles(options: { title?: string }): Promise<string[]>;
  chooseFolder(options: { title?: string; defaultPath?: string }): Promise<string | null>;
  /** Where to save a file (`defaultPath` a suggested name or path, `extensions` without dots); null when cancelled. */
  saveFile(options: { title: string; defaultPath: string; filterName: string; extensions: readonly string[] }): Promise<string | null>;
}

/** Desktop integration: reveal, notifications, sleep blocking, taskbar/dock progress. */
export interface DesktopPort {
  /** Shows the file in the file manager; false when the host cannot. */
  reveal(path: string): Promise<boolean>;
  notify(title: string, body: string): void;
  /** True while transfers run (keeps the computer awake when the setting says so). */
  setBusy(busy: boolean): void;
  /** Overall progress 0..1, or null to clear it. */
  setProgress(fraction: number | null): void;
}

/** Connection details of a running demo engine (the built-in simulator). */
export interface DemoEngine {
  readonly engineUrl: string;
  readonly username: string;
  readonly password: string;
  readonly caPem: string;
}

/** Starts the built-in simulator (the Electron app and the web host have one; the tests may not). */
export interface DemoEnginePort {
  start(): Promise<DemoEngine>;
}

/** Who the core runs in, for `app:info`. */
export interface HostInfo {
  readonly name: string;
  readonly version: string;
  readonly host: HostKind;
  readonly platform: string;
  readonly nativeDialogs: boolean;
  readonly canReveal: boolean;
  /** The OS locale (`ja-JP`, …), for texts the core shows itself (notifications). */
  readonly locale?: string;
}

/** Everything the core needs. */
export interface AppPorts {
  readonly store: DocumentStore;
  readonly secrets: SecretCipher;
  readonly dialogs: DialogPort;
  readonly desktop: DesktopPort;
  readonly demo: DemoEnginePort | null;
  /**
   * The proxy the operating system's settings give for a URL (Electron's session; the environment's
   * HTTPS_PROXY / NO_PROXY in the web host), used by profiles whose proxy is `system`. Direct when absent.
   */
  readonly systemProxy?: ProxyResolver;
  readonly host: HostInfo;
  readonly log: Log;
  readonly timers: Timers;
  readonly now: () => number;
  /** Random ids for profiles and transfers. */
  readonly newId: () => string;
  /** The folder of upload journals, so an interrupted upload resumes by range; none: not kept. */
  readonly uploadJournals?: string;
  /** The folder of pending snapshot records (snapshot backups); none: snapshot backups are refused. */
  readonly pendingSnapshots?: string;
}

/** A dialog port for hosts without native dialogs. */
export const noDialogs: DialogPort = {
  openFiles: () => Promise.resolve([]),
  chooseFolder: () => Promise.resolve(null),
  saveFile: () => Promise.resolve(null),
};
