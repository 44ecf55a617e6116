import type { ImageProbe } from './probe.js';
import { Qcow2FileSource } from './qcow2-source.js';
import { RawFileSource, type LocalImageSource } from './raw-source.js';

/**
 * Opens a probed image for reading. A qcow2 is read as its guest data unless `asIs` asks for the
 * container bytes (what an engine without `format: raw` transfers stores into a cow disk).
 */
export async function openLocalSource(probe: ImageProbe, options: { asIs?: boolean } = {}): Promise<LocalImageSource> {
  if (probe.format === 'qcow2' && !(options.asIs ?? false)) return Qcow2FileSource.open(probe.path);
  return RawFileSource.open(probe.path);
}
