/**
 * A stand-in Electron distribution for electron-builder's `electronDist`: the layout of the real
 * zip for one platform, with an executable (or, on macOS, the Electron Framework binary) that holds
 * a fuse wire where @electron/fuses looks for it — the sentinel, the wire version byte 1, a fuse
 * count and one ASCII `0`/`1` per fuse, set as Electron ships them. Nothing in it runs: it lets
 * electron-builder lay out, pack and flip fuses exactly as it does with the real runtime.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SENTINEL } from '@electron/fuses/dist/constants.js';
import { portableExecutable } from './stand-in-pe.js';

/** The platforms electron-builder can lay out from Linux. */
export type TargetPlatform = 'linux' | 'win' | 'mac';

/**
 * The fuses @electron/fuses 1.8 (the version electron-builder 26 uses) knows, in wire order and in
 * the states Electron ships them (electron/build/fuses/fuses.json5): RunAsNode on,
 * EnableCookieEncryption off, EnableNodeOptionsEnvironmentVariable on, EnableNodeCliInspectArguments
 * on, EnableEmbeddedAsarIntegrityValidation off, OnlyLoadAppFromAsar off,
 * LoadBrowserProcessSpecificV8Snapshot off, GrantFileProtocolExtraPrivileges on. Newer Electrons have
 * more fuses after these; electron-builder cannot set them, so the stand-in leaves them out.
 */
export const SHIPPED_FUSES = '10110001';

/** The bytes a fuse-bearing binary ends with: sentinel, wire version 1, count, states. */
export function fuseWire(states: string = SHIPPED_FUSES): Buffer {
  return Buffer.concat([Buffer.from(SENTINEL, 'ascii'), Buffer.from([1, states.length]), Buffer.from(states, 'ascii')]);
}

async function put(path: string, data: string | Buffer, mode?: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  if (mode !== undefined) await chmod(path, mode);
}

/** The executable: a script that refuses to run, followed by the fuse wire. */
function standInBinary(name: string): Buffer {
  return Buffer.concat([Buffer.from(`#!/bin/sh\necho "${name}: a stand-in without the Electron runtime" >&2\nexit 1\n# `, 'utf8'), fuseWire()]);
}

/** Writes the stand-in for `platform` into `dir` (empty or missing) for Electron `version`. */
export async function makeStandIn(platform: TargetPlatform, dir: string, version: string): Promise<void> {
  const common = async (root: string) => {
    await put(join(root, 'LICENSE'), 'Stand-in for the MIT-licensed Electron distribution.\n');
    await put(join(root, 'LICENSES.chromium.html'), '<!doctype html><title>stand-in</title>\n');
    await put(join(root, 'version'), version);
  };
  if (platform === 'linux') {
    await common(dir);
    await put(join(dir, 'electron'), standInBinary('electron'), 0o755);
    await put(join(dir, 'chrome-sandbox'), '', 0o755);
    await put(join(dir, 'chrome_crashpad_handler'), '', 0o755);
    await put(join(dir, 'resources.pak'), '');
    await put(join(dir, 'icudtl.dat'), '');
    await put(join(dir, 'locales', 'en-US.pak'), '');
    await mkdir(join(dir, 'resources'), { recursive: true });
    return;
  }
  if (platform === 'win') {
    await common(dir);
    // electron-builder edits the executable's resources (version info, asar integrity) with
    // resedit, so the stand-in is a real, minimal PE image that carries the fuse wire.
    await put(join(dir, 'electron.exe'), portableExecutable(fuseWire(), version));
    await put(join(dir, 'ffmpeg.dll'), '');
    await put(join(dir, 'resources.pak'), '');
    await put(join(dir, 'icudtl.dat'), '');
    await put(join(dir, 'locales', 'en-US.pak'), '');
    await mkdir(join(dir, 'resources'), { recursive: true });
    return;
  }
  await common(dir);
  const contents = join(dir, 'Electron.app', 'Contents');
  await put(join(contents, 'MacOS', 'Electron'), standInBinary('Electron'), 0o755);
  await put(join(contents, 'Info.plist'), plist({ CFBundleExecutable: 'Electron', CFBundleIdentifier: 'com.github.Electron', CFBundleName: 'Electron', CFBundleDisplayName: 'Electron', CFBundleShortVersionString: version, CFBundleVersion: version, CFBundleIconFile: 'electron.icns', CFBundlePackageType: 'APPL' }));
  await put(join(contents, 'Resources', 'electron.icns'), '');
  await put(join(contents, 'Resources', 'en.lproj', 'locale.pak'), '');
  const frameworks = join(contents, 'Frameworks');
  await put(join(frameworks, 'Electron Framework.framework', 'Electron Framework'), Buffer.concat([Buffer.from('stand-in framework\n'), fuseWire()]));
  await put(join(frameworks, 'Electron Framework.framework', 'Resources', 'Info.plist'), plist({ CFBundleIdentifier: 'com.github.Electron.framework', CFBundleName: 'Electron Framework' }));
  await put(join(frameworks, 'Electron Framework.framework', 'Resources', 'en.lproj', 'locale.pak'), '');
  for (const suffix of ['', ' (GPU)', ' (Plugin)', ' (Renderer)']) {
    const helper = join(frameworks, `Electron Helper${suffix}.app`, 'Contents');
    await put(join(helper, 'MacOS', `Electron Helper${suffix}`), `#!/bin/sh\nexit 1\n`, 0o755);
    await put(join(helper, 'Info.plist'), plist({ CFBundleExecutable: `Electron Helper${suffix}`, CFBundleIdentifier: 'com.github.Electron.helper', CFBundleName: `Electron Helper${suffix}`, CFBundleDisplayName: `Electron Helper${suffix}`, CFBundlePackageType: 'APPL' }));
  }
}

/**
 * Settings the check overrides because electron-builder would download a tool for them
 * (electron-builder-binaries on GitHub), which these machines cannot: Windows resource editing
 * (icon, version strings; rcedit) and signing, and the conversion of build/icon.png to .icns, for
 * which an .icns is made here from the 512 px PNG. docs/packaging.md lists what this leaves unchecked.
 */
export async function platformOverrides(platform: TargetPlatform, projectDir: string, dir: string): Promise<string[]> {
  if (platform === 'win') return ['win.signAndEditExecutable=false'];
  if (platform === 'mac') {
    const icns = join(dir, 'icon.icns');
    await put(icns, icnsOf(await readFile(join(projectDir, 'build', 'icons', '512x512.png'))));
    return [`mac.icon=${icns}`];
  }
  return [];
}

/** An Apple icon file holding one 512 px PNG (type ic09). */
function icnsOf(png: Buffer): Buffer {
  const entry = Buffer.alloc(8);
  entry.write('ic09', 0, 'ascii');
  entry.writeUInt32BE(png.length + 8, 4);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(png.length + 16, 4);
  return Buffer.concat([head, entry, png]);
}

/** An XML property list of string values. */
function plist(values: Record<string, string>): string {
  const body = Object.entries(values)
    .map(([k, v]) => `  <key>${k}</key>\n  <string>${v}</string>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n${body}\n</dict>\n</plist>\n`;
}
