/**
 * The native layers load lazily and only where they belong: every declaration parses with koffi's
 * own parser on this machine (a typo in a Windows or macOS prototype fails here, not on a user's
 * computer), and the Windows and macOS ports on Linux load nothing and answer "cannot" instead of
 * throwing.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as Koffi from 'koffi';
import { LIBSYSTEM } from '../../../main/engine/os/darwin.js';
import { sparseFilesFor } from '../../../main/engine/os/index.js';
import { LIBC } from '../../../main/engine/os/linux.js';
import { KERNEL32 } from '../../../main/engine/os/win32-native.js';

const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
let unique = 0;

/** Parses a declaration under a name of its own (koffi keeps prototype names; the real ones stay free). */
function parse(decl: string): string {
  const name = `df_check_${++unique}`;
  return koffi.proto(decl.replace(/(\w+)\(/, `${name}(`)).name === name ? 'ok' : 'renamed';
}

describe('native declarations', () => {
  it.each([...Object.values(KERNEL32), LIBSYSTEM.fcntl, LIBSYSTEM.lseek, ...Object.values(LIBC)])('%s parses', (decl) => {
    expect(parse(decl)).toBe('ok');
  });

  it('declares statfs by symbol with types koffi knows', () => {
    expect(parse(`${LIBSYSTEM.statfs.result} statfs(${LIBSYSTEM.statfs.params.join(', ')})`)).toBe('ok');
    expect(() => parse('int broken(int fd, off_t offset)')).toThrow(/off_t/); // the parser does check
  });

  it.runIf(process.platform === 'linux')('the Windows and macOS ports load nothing on Linux and answer "cannot"', async () => {
    for (const platform of ['win32', 'darwin'] as const) {
      const port = sparseFilesFor(platform);
      expect(await port.volume('/tmp')).toEqual({ fileSystem: null, sparse: true, network: false });
      expect(port.punchHole({ path: '/tmp/x', fd: 1 }, 0, 4096)).toBe(false);
      expect(port.dataRanges({ path: '/tmp/x', fd: 1 }, 4096)).toBeNull();
    }
    expect(sparseFilesFor('win32').markSparse({ path: '/tmp/x', fd: 1 })).toBe(false);
    expect(sparseFilesFor('aix').dataRanges({ path: '/tmp/x', fd: 1 }, 4096)).toBeNull();
  });
});
