// Draws build/icon.png, the 512×512 app icon electron-builder turns into each platform's
// icon: a shelf of books on a rounded tile. Plain Node (zlib only), so anyone can redraw it:
//   node scripts/make-icon.mjs
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const size = 512;
const samples = 4; // per axis, for smooth edges

/** Rounded rectangle: x, y, width, height, corner radius, colour [r, g, b]. */
const tile = { x: 32, y: 32, w: 448, h: 448, r: 96, color: [0x1f, 0x5f, 0x5b] };
const shapes = [
  tile,
  // books standing on the shelf, the last one leaning on its neighbour
  { x: 128, y: 132, w: 56, h: 228, r: 8, color: [0xf4, 0xe9, 0xd2] },
  { x: 196, y: 164, w: 48, h: 196, r: 8, color: [0xe8, 0xb0, 0x4b] },
  { x: 256, y: 120, w: 60, h: 240, r: 8, color: [0xf4, 0xe9, 0xd2] },
  { x: 352, y: 148, w: 48, h: 212, r: 8, color: [0xd9, 0x6c, 0x4f], lean: -0.17 },
  // the shelf
  { x: 104, y: 360, w: 304, h: 28, r: 6, color: [0xf4, 0xe9, 0xd2] },
];

function inside(shape, px, py) {
  let x = px;
  let y = py;
  if (shape.lean) {
    // rotate the point back around the shape's bottom-left corner
    const ox = shape.x;
    const oy = shape.y + shape.h;
    const c = Math.cos(shape.lean);
    const s = Math.sin(shape.lean);
    x = ox + (px - ox) * c + (py - oy) * s;
    y = oy - (px - ox) * s + (py - oy) * c;
  }
  if (x < shape.x || x > shape.x + shape.w || y < shape.y || y > shape.y + shape.h) return false;
  const cx = Math.min(Math.max(x, shape.x + shape.r), shape.x + shape.w - shape.r);
  const cy = Math.min(Math.max(y, shape.y + shape.r), shape.y + shape.h - shape.r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= shape.r ** 2;
}

function pixel(px, py) {
  let r = 0;
  let g = 0;
  let b = 0;
  let a = 0;
  for (let sy = 0; sy < samples; sy++) {
    for (let sx = 0; sx < samples; sx++) {
      const x = px + (sx + 0.5) / samples;
      const y = py + (sy + 0.5) / samples;
      let color;
      for (const shape of shapes) if (inside(shape, x, y)) color = shape.color;
      if (color) {
        r += color[0];
        g += color[1];
        b += color[2];
        a += 1;
      }
    }
  }
  if (a === 0) return [0, 0, 0, 0];
  return [r / a, g / a, b / a, (255 * a) / samples ** 2].map(Math.round);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

// 8-bit RGBA rows, each led by filter byte 0 (none)
const raw = Buffer.alloc(size * (1 + size * 4));
for (let y = 0; y < size; y++) {
  const row = y * (1 + size * 4);
  for (let x = 0; x < size; x++) {
    const [r, g, b, a] = pixel(x, y);
    raw.set([r, g, b, a], row + 1 + x * 4);
  }
}

const header = Buffer.alloc(13);
header.writeUInt32BE(size, 0);
header.writeUInt32BE(size, 4);
header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA, no interlace
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'icon.png');
writeFileSync(target, png);
console.log(`wrote ${target} (${size}×${size}, ${png.length} bytes)`);
