/**
 * `npm run icons`: draws the DiskFerry icon (a disk platter crossed by an up/down arrow on a rounded
 * square) as PNGs in build/icons/ at the sizes electron-builder uses. Pure Node: a tiny PNG encoder
 * (zlib + CRC32), no downloads and no image libraries.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
const OUT = join(process.cwd(), 'build', 'icons');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Encodes RGBA pixels as a PNG. */
function encodePng(size: number, rgba: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

type Rgba = readonly [number, number, number, number];
const BG: Rgba = [24, 92, 168, 255];
const DISK: Rgba = [232, 240, 250, 255];
const HUB: Rgba = [24, 92, 168, 255];
const ARROW: Rgba = [255, 183, 3, 255];

/** The colour at (x, y) in unit coordinates (0..1), before anti-aliasing. */
function shade(x: number, y: number): Rgba | null {
  const r = 0.2;
  const dx = Math.max(r - x, 0, x - (1 - r));
  const dy = Math.max(r - y, 0, y - (1 - r));
  if (dx * dx + dy * dy > r * r) return null;
  const cx = x - 0.44;
  const cy = y - 0.5;
  const d = Math.hypot(cx, cy);
  // The arrow on the right: a shaft with heads up and down (both directions of a transfer).
  const ax = x - 0.8;
  const inShaft = Math.abs(ax) < 0.035 && y > 0.28 && y < 0.72;
  const head = (tipY: number, dir: number) => {
    const t = (y - tipY) * dir;
    return t >= 0 && t < 0.12 && Math.abs(ax) < t * 0.9;
  };
  if (inShaft || head(0.2, 1) || head(0.8, -1)) return ARROW;
  if (d < 0.07) return HUB;
  if (d < 0.3) return DISK;
  return BG;
}

/** Renders the icon at `size` with 4×4 supersampling. */
function render(size: number): Buffer {
  const out = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const c = shade((px + (sx + 0.5) / n) / size, (py + (sy + 0.5) / n) / size);
          if (!c) continue;
          r += c[0] * c[3];
          g += c[1] * c[3];
          b += c[2] * c[3];
          a += c[3];
        }
      }
      const o = (py * size + px) * 4;
      out[o] = a ? Math.round(r / a) : 0;
      out[o + 1] = a ? Math.round(g / a) : 0;
      out[o + 2] = a ? Math.round(b / a) : 0;
      out[o + 3] = Math.round(a / (n * n));
    }
  }
  return out;
}

await mkdir(OUT, { recursive: true });
for (const size of SIZES) await writeFile(join(OUT, `${size}x${size}.png`), encodePng(size, render(size)));
await writeFile(join(process.cwd(), 'build', 'icon.png'), encodePng(1024, render(1024)));
process.stdout.write(`wrote ${SIZES.length + 1} icons to build/\n`);
