import { open } from 'node:fs/promises';

/** The calls a download target makes on an open file (a subset of node's FileHandle). */
export interface WritableFile {
  /** The descriptor, for the OS port's calls on it (holes); a file without one is written whole. */
  readonly fd?: number;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  writeFile(data: string | Uint8Array): Promise<void>;
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opening files for writing, as an injected port: the composition roots use the real file system
 * (`nodeFiles`); tests can put a file system in front of it that fails like a full disk.
 */
export interface FilePort {
  open(path: string, flags: 'w' | 'r+', mode?: number): Promise<WritableFile>;
}

/** The real file system. */
export const nodeFiles: FilePort = {
  open: (path, flags, mode) => open(path, flags, mode),
};
