/**
 * The kernel32 calls the Windows ports make, bound through koffi on first use (never on another OS).
 * Each is the C function with its out-parameters returned instead of written: nothing else.
 */
import { lazyNative, requireKoffi } from './koffi.js';

/** A Windows HANDLE as an integer; INVALID_HANDLE_VALUE is -1. */
export type Handle = number | bigint;

/** The kernel32 layer. */
export interface Win32Native {
  /** CreateFileW; -1 (INVALID_HANDLE_VALUE) on failure, then lastError(). */
  createFile(path: string, access: number, share: number, disposition: number, flags: number): Handle;
  /** DeviceIoControl: whether it succeeded and lpBytesReturned (set on ERROR_MORE_DATA too). */
  deviceIoControl(handle: Handle, code: number, input: Buffer | null, output: Buffer | null): { readonly ok: boolean; readonly bytes: number };
  closeHandle(handle: Handle): boolean;
  /** GetVolumePathNameW: the root of the volume holding `path` ("C:\", "\\server\share\"); null on failure. */
  volumePathName(path: string): string | null;
  /** GetVolumeInformationW on a root: its file-system flags and name ("NTFS", "exFAT"); null on failure. */
  volumeInformation(root: string): { readonly flags: number; readonly fileSystem: string } | null;
  /** GetDriveTypeW. */
  driveType(root: string): number;
  /** SetThreadExecutionState: the previous state, 0 on failure. */
  setThreadExecutionState(flags: number): number;
  lastError(): number;
}

export const INVALID_HANDLE_VALUE = -1;
export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
/** FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE: what Node opens its files with, so both handles coexist. */
export const FILE_SHARE_ALL = 0x7;
export const OPEN_EXISTING = 3;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
export const FSCTL_SET_SPARSE = 0x000900c4;
export const FSCTL_SET_ZERO_DATA = 0x000980c8;
export const FSCTL_QUERY_ALLOCATED_RANGES = 0x000940cf;
export const FILE_SUPPORTS_SPARSE_FILES = 0x00000040;
export const DRIVE_REMOTE = 4;
export const ERROR_INVALID_FUNCTION = 1;
export const ERROR_MORE_DATA = 234;
export const ES_SYSTEM_REQUIRED = 0x00000001;
export const ES_CONTINUOUS = 0x80000000;

const MAX_PATH = 261;

/** The kernel32 functions as koffi declares them (checked by koffi's parser on every OS in the tests). */
export const KERNEL32 = {
  CreateFileW: 'intptr_t __stdcall CreateFileW(str16 name, uint32_t access, uint32_t share, void *sa, uint32_t disposition, uint32_t flags, intptr_t template)',
  DeviceIoControl:
    'bool __stdcall DeviceIoControl(intptr_t h, uint32_t code, void *inBuf, uint32_t inSize, void *outBuf, uint32_t outSize, _Out_ uint32_t *returned, void *overlapped)',
  CloseHandle: 'bool __stdcall CloseHandle(intptr_t h)',
  GetVolumePathNameW: 'bool __stdcall GetVolumePathNameW(str16 path, void *buf, uint32_t chars)',
  GetVolumeInformationW:
    'bool __stdcall GetVolumeInformationW(str16 root, void *name, uint32_t nameChars, void *serial, void *maxComponent, _Out_ uint32_t *flags, void *fsName, uint32_t fsNameChars)',
  GetDriveTypeW: 'uint32_t __stdcall GetDriveTypeW(str16 root)',
  SetThreadExecutionState: 'uint32_t __stdcall SetThreadExecutionState(uint32_t flags)',
  GetLastError: 'uint32_t __stdcall GetLastError()',
} as const;

/** kernel32 through koffi (loading fails, and the ports do without, on any other OS). */
export const loadWin32Native = lazyNative((): Win32Native => {
  const koffi = requireKoffi();
  const k32 = koffi.load('kernel32.dll');
  const f = (name: keyof typeof KERNEL32) => k32.func(KERNEL32[name]);
  const [CreateFileW, DeviceIoControl, CloseHandle, GetVolumePathNameW, GetVolumeInformationW, GetDriveTypeW, SetThreadExecutionState, GetLastError] = [
    f('CreateFileW'),
    f('DeviceIoControl'),
    f('CloseHandle'),
    f('GetVolumePathNameW'),
    f('GetVolumeInformationW'),
    f('GetDriveTypeW'),
    f('SetThreadExecutionState'),
    f('GetLastError'),
  ];
  const wide = (buf: Buffer) => {
    const text = buf.toString('utf16le');
    const nul = text.indexOf('\0');
    return nul < 0 ? text : text.slice(0, nul);
  };
  return {
    createFile: (path, access, share, disposition, flags) => CreateFileW(path, access, share, null, disposition, flags, 0) as Handle,
    deviceIoControl(handle, code, input, output) {
      const returned = [0];
      const ok = DeviceIoControl(handle, code, input, input?.length ?? 0, output, output?.length ?? 0, returned, null) as boolean;
      return { ok, bytes: returned[0] ?? 0 };
    },
    closeHandle: (handle) => CloseHandle(handle) as boolean,
    volumePathName(path) {
      const buf = Buffer.alloc(MAX_PATH * 2);
      return GetVolumePathNameW(path, buf, MAX_PATH) ? wide(buf) : null;
    },
    volumeInformation(root) {
      const flags = [0];
      const fsName = Buffer.alloc(MAX_PATH * 2);
      return GetVolumeInformationW(root, null, 0, null, null, flags, fsName, MAX_PATH) ? { flags: flags[0] ?? 0, fileSystem: wide(fsName) } : null;
    },
    driveType: (root) => GetDriveTypeW(root) as number,
    setThreadExecutionState: (flags) => SetThreadExecutionState(flags) as number,
    lastError: () => GetLastError() as number,
  };
});
