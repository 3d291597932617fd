// Draws the tray icons (one per state, plus macOS template images) and the app icon as
// PNGs under assets/. Run once after changing a shape: node bin/tsx-run.js scripts/make-icons.ts
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { PACKAGE_ROOT } from '../main/headless/renderer-build.ts';

type Rgba = readonly [number, number, number, number];
/** A picture in unit coordinates (0..1): the colour at a point, or undefined for transparent. */
type Shape = (x: number, y: number) => Rgba | undefined;

function png(size: number, shape: Shape): Buffer {
  const samples = 4;
  const rows: Buffer[] = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const c = shape((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size);
          if (!c) continue;
          const alpha = c[3] / 255;
          r += c[0] * alpha;
          g += c[1] * alpha;
          b += c[2] * alpha;
          a += alpha;
        }
      }
      const n = samples * samples;
      const o = 1 + px * 4;
      row[o] = a ? Math.round(r / a) : 0;
      row[o + 1] = a ? Math.round(g / a) : 0;
      row[o + 2] = a ? Math.round(b / a) : 0;
      row[o + 3] = Math.round((a / n) * 255);
    }
    rows.push(row);
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'ascii'), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const dist = (x: number, y: number) => Math.hypot(x - 0.5, y - 0.5);
const disc = (radius: number, color: Rgba): Shape => (x, y) => (dist(x, y) <= radius ? color : undefined);
const ring = (outer: number, inner: number, color: Rgba): Shape => (x, y) => (dist(x, y) <= outer && dist(x, y) >= inner ? color : undefined);
const box = (x0: number, y0: number, x1: number, y1: number, color: Rgba): Shape => (x, y) => (x >= x0 && x <= x1 && y >= y0 && y <= y1 ? color : undefined);
/** A stroke from (x0,y0) to (x1,y1) of the given half-width. */
const line = (x0: number, y0: number, x1: number, y1: number, half: number, color: Rgba): Shape => (x, y) => {
  const dx = x1 - x0, dy = y1 - y0;
  const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy)) <= half ? color : undefined;
};
/** Later shapes paint over earlier ones. */
const layers = (...shapes: Shape[]): Shape => (x, y) => {
  let out: Rgba | undefined;
  for (const s of shapes) out = s(x, y) ?? out;
  return out;
};
const cut = (base: Shape, hole: Shape): Shape => (x, y) => (hole(x, y) ? undefined : base(x, y));

const WHITE: Rgba = [255, 255, 255, 255];
const BLACK: Rgba = [0, 0, 0, 255];
const GREEN: Rgba = [34, 160, 84, 255];
const AMBER: Rgba = [230, 140, 20, 255];
const RED: Rgba = [200, 40, 30, 255];
const BLUE: Rgba = [36, 73, 184, 255];

const bang = (color: Rgba) => layers(box(0.44, 0.2, 0.56, 0.6, color), disc(0, color), (x, y) => (Math.hypot(x - 0.5, y - 0.74) <= 0.07 ? color : undefined));
const cross = (color: Rgba) => layers(line(0.32, 0.32, 0.68, 0.68, 0.065, color), line(0.68, 0.32, 0.32, 0.68, 0.065, color));

/** Colour icons: a calm dot when fine; "!" on amber when a sign-in is needed; "×" on red for an error. */
const TRAY: Record<'ok' | 'needs_reauth' | 'error', { color: Shape; template: Shape }> = {
  ok: { color: layers(disc(0.42, WHITE), disc(0.36, GREEN)), template: disc(0.36, BLACK) },
  needs_reauth: { color: layers(disc(0.46, WHITE), disc(0.42, AMBER), bang(WHITE)), template: cut(disc(0.46, BLACK), bang(BLACK)) },
  error: { color: layers(disc(0.46, WHITE), disc(0.42, RED), cross(WHITE)), template: cut(disc(0.46, BLACK), cross(BLACK)) },
};

const rounded = (radius: number, color: Rgba): Shape => (x, y) => {
  const cx = Math.max(radius, Math.min(1 - radius, x));
  const cy = Math.max(radius, Math.min(1 - radius, y));
  return Math.hypot(x - cx, y - cy) <= radius ? color : undefined;
};
const APP = layers(rounded(0.2, BLUE), ring(0.3, 0.2, WHITE), disc(0.09, WHITE));

export async function makeIcons(root = PACKAGE_ROOT): Promise<string[]> {
  const tray = join(root, 'assets', 'tray');
  await mkdir(tray, { recursive: true });
  const written: string[] = [];
  const put = async (file: string, data: Buffer) => {
    await writeFile(file, data);
    written.push(file);
  };
  for (const [state, icon] of Object.entries(TRAY)) {
    await put(join(tray, `${state}.png`), png(16, icon.color));
    await put(join(tray, `${state}@2x.png`), png(32, icon.color));
    await put(join(tray, `${state}Template.png`), png(16, icon.template));
    await put(join(tray, `${state}Template@2x.png`), png(32, icon.template));
  }
  await put(join(root, 'assets', 'icon.png'), png(512, APP));
  return written;
}

if (process.argv[1]?.endsWith('make-icons.ts')) {
  for (const file of await makeIcons()) console.log(file);
}
