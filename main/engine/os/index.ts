/** The sparse-file port of the OS DiskFerry runs on. */
import { darwinSparseFiles } from './darwin.js';
import { freebsdSparseFiles, linuxSparseFiles } from './linux.js';
import { noSparseFiles, type SparseFiles } from './sparse-files.js';
import { win32SparseFiles } from './win32.js';

/** The port for `platform`; nothing native is loaded until a call needs it. */
export function sparseFilesFor(platform: NodeJS.Platform = process.platform): SparseFiles {
  switch (platform) {
    case 'linux':
      return linuxSparseFiles();
    case 'darwin':
      return darwinSparseFiles();
    case 'win32':
      return win32SparseFiles();
    case 'freebsd':
      return freebsdSparseFiles();
    default:
      return noSparseFiles;
  }
}
