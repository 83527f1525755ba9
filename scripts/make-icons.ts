/**
 * Draws the app's icons (public/icons/*.png): a blue tile with a play mark above three scene
 * bars. Written as PNGs by hand (zlib + CRC), so no image tool is needed. Run after changing the
 * design: `tsx scripts/make-icons.ts`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

type Rgba = [number, number, number, number];
const BLUE: Rgba = [29, 78, 216, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const LIGHT: Rgba = [191, 219, 254, 255];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
function png(size: number, pixels: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    rows[y * (size * 4 + 1)] = 0;
    Buffer.from(pixels.buffer, y * size * 4, size * 4).copy(rows, y * (size * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The colour at (x, y) in unit coordinates (0..1), or null for transparent. */
function shape(x: number, y: number, maskable: boolean): Rgba | null {
  // Maskable icons fill the whole square; the mark stays inside the central safe zone.
  const scale = maskable ? 0.7 : 1;
  const u = (x - 0.5) / scale + 0.5;
  const v = (y - 0.5) / scale + 0.5;
  if (!maskable) {
    const r = 0.18;
    const dx = Math.max(Math.abs(x - 0.5) - (0.5 - r), 0);
    const dy = Math.max(Math.abs(y - 0.5) - (0.5 - r), 0);
    if (dx * dx + dy * dy > r * r) return null;
  }
  // Play triangle.
  const tx = u - 0.36;
  const ty = v - 0.4;
  if (tx >= 0 && tx <= 0.32 && Math.abs(ty) <= 0.2 * (1 - tx / 0.32)) return WHITE;
  // Three scene bars.
  for (let i = 0; i < 3; i++) {
    const left = 0.24 + i * 0.19;
    if (u >= left && u <= left + 0.15 && v >= 0.7 && v <= 0.78) return LIGHT;
  }
  return BLUE;
}

function draw(size: number, maskable: boolean): Buffer {
  const samples = 4;
  const pixels = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const c = shape(
            (x + (sx + 0.5) / samples) / size,
            (y + (sy + 0.5) / samples) / size,
            maskable,
          );
          if (!c) continue;
          for (let k = 0; k < 3; k++) sum[k]! += c[k]! * c[3];
          sum[3]! += c[3];
        }
      }
      const alpha = sum[3]! / (samples * samples);
      const i = (y * size + x) * 4;
      for (let k = 0; k < 3; k++) pixels[i + k] = sum[3]! === 0 ? 0 : Math.round(sum[k]! / sum[3]!);
      pixels[i + 3] = Math.round(alpha);
    }
  }
  return png(size, pixels);
}

const out = path.join(process.cwd(), 'public', 'icons');
writeFileSync(path.join(out, 'icon-192.png'), draw(192, false));
writeFileSync(path.join(out, 'icon-512.png'), draw(512, false));
writeFileSync(path.join(out, 'maskable-512.png'), draw(512, true));
writeFileSync(path.join(out, 'apple-touch-icon.png'), draw(180, true));
console.log('wrote public/icons/*.png');
