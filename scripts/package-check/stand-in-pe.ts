/**
 * The Windows stand-in executable: an empty PE image (no code) with the version-information
 * resource Electron's electron.exe carries, and the fuse wire as the data after its sections.
 * electron-builder parses and rewrites it with resedit (version strings, icon, the asar integrity
 * resource), which keeps that trailing data, so @electron/fuses finds the wire afterwards.
 */
import { createRequire } from 'node:module';

/**
 * The part of resedit used here. Its own declarations reference the DOM library, which would leak
 * browser globals into the type check of all Node code, so it is required untyped.
 */
interface PeImage {
  setExtraData(bin: Uint8Array): void;
  generate(): ArrayBuffer;
}
interface ResourceSet {
  entries: unknown[];
  outputResource(exe: PeImage): void;
}
interface VersionInfo {
  lang: number;
  setStringValues(language: { lang: number; codepage: number }, values: Record<string, string>, addToAvailableLanguage?: boolean): void;
  setFileVersion(version: string): void;
  setProductVersion(version: string): void;
  outputToResourceEntries(entries: unknown[]): void;
}
const { NtExecutable, NtExecutableResource, Resource } = createRequire(import.meta.url)('resedit') as {
  NtExecutable: { createEmpty(is32Bit: boolean, isDll: boolean): PeImage };
  NtExecutableResource: { from(exe: PeImage): ResourceSet };
  Resource: { VersionInfo: { createEmpty(): VersionInfo } };
};

/** A PE image carrying `wire` and the version info of Electron `version`. */
export function portableExecutable(wire: Buffer, version: string): Buffer {
  const exe = NtExecutable.createEmpty(false, false);
  const res = NtExecutableResource.from(exe);
  const info = Resource.VersionInfo.createEmpty();
  info.lang = 1033;
  const language = { lang: 1033, codepage: 1200 };
  info.setStringValues(language, { CompanyName: 'GitHub, Inc.', FileDescription: 'Electron', ProductName: 'Electron', OriginalFilename: 'electron.exe', FileVersion: version, ProductVersion: version }, true);
  info.setFileVersion(version);
  info.setProductVersion(version);
  info.outputToResourceEntries(res.entries);
  res.outputResource(exe);
  exe.setExtraData(wire);
  return Buffer.from(exe.generate());
}
