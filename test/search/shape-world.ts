// Pictures of the demo model's world (../shared/demo-model/README.md "The world"), drawn here so that the search
// tests know what each one shows: 64x64 RGB, a light tinted background with mild noise, 1 to 3 non-overlapping
// shapes (circle, square, triangle) in six colours and two sizes, slightly rotated, drawn at 4x and box-filtered.
// Each picture comes with the caption the demo model was trained on ("a red circle and a large blue square").
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/common/crc32';
import { mulberry32 as rng } from '../../src/common/random';

export const SIZE = 64;
const SHAPES = ['circle', 'square', 'triangle'] as const;
const COLORS: Record<string, [number, number, number]> = {
  red: [225, 40, 40],
  green: [45, 165, 60],
  blue: [40, 75, 215],
  yellow: [235, 210, 30],
  purple: [140, 50, 190],
  orange: [245, 135, 20],
};

export interface ShapeObject {
  shape: (typeof SHAPES)[number];
  color: string;
  size: 'small' | 'large';
  cx: number;
  cy: number;
  r: number;
  angle: number;
}

export interface Scene {
  objects: ShapeObject[];
  caption: string;
  /** RGB, SIZE x SIZE. */
  rgb: Uint8Array;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const an = (w: string) => (/^[aeiou]/.test(w) ? `an ${w}` : `a ${w}`);

export function caption(objects: readonly Pick<ShapeObject, 'shape' | 'color'>[]): string {
  const parts = objects.map((o) => an(`${o.color} ${o.shape}`));
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** A scene of `count` objects (random when not given), no two sharing colour and shape. */
export function scene(r: () => number, count = 1 + Math.floor(r() * 3)): Scene {
  const objects: ShapeObject[] = [];
  while (objects.length < count) {
    const size = r() < 0.5 ? 'small' : 'large';
    const o: ShapeObject = {
      shape: pick(r, SHAPES),
      color: pick(r, Object.keys(COLORS)),
      size,
      r: size === 'small' ? 5 + 1.5 * r() : 9.5 + 2 * r(),
      cx: 0,
      cy: 0,
      angle: (r() - 0.5) * 0.4,
    };
    o.cx = o.r + 2 + r() * (SIZE - 2 * o.r - 4);
    o.cy = o.r + 2 + r() * (SIZE - 2 * o.r - 4);
    const clash = objects.some(
      (p) => (p.shape === o.shape && p.color === o.color) || Math.hypot(p.cx - o.cx, p.cy - o.cy) < p.r + o.r + 2,
    );
    if (!clash) objects.push(o);
  }
  return { objects, caption: caption(objects), rgb: draw(objects, r) };
}

function inside(o: ShapeObject, x: number, y: number): boolean {
  const c = Math.cos(-o.angle),
    s = Math.sin(-o.angle);
  const dx = (x - o.cx) * c - (y - o.cy) * s,
    dy = (x - o.cx) * s + (y - o.cy) * c;
  if (o.shape === 'circle') return dx * dx + dy * dy <= o.r * o.r;
  if (o.shape === 'square') return Math.abs(dx) <= o.r && Math.abs(dy) <= o.r;
  // Equilateral triangle pointing up, vertices on the circle of radius r: apex at dy = -r, base at dy = r/2.
  if (dy < -o.r || dy > o.r / 2) return false;
  return Math.abs(dx) <= ((dy + o.r) / (1.5 * o.r)) * o.r * (Math.sqrt(3) / 2);
}

function draw(objects: readonly ShapeObject[], r: () => number): Uint8Array {
  const bg = [225 + r() * 25, 225 + r() * 25, 225 + r() * 25];
  const out = new Uint8Array(SIZE * SIZE * 3);
  const SS = 4;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const acc = [0, 0, 0];
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const px = x + (sx + 0.5) / SS,
            py = y + (sy + 0.5) / SS;
          const o = objects.find((ob) => inside(ob, px, py));
          const c = o ? COLORS[o.color] : bg;
          for (let k = 0; k < 3; k++) acc[k] += c[k];
        }
      }
      for (let k = 0; k < 3; k++) {
        const noise = (r() + r() + r() - 1.5) * 4;
        out[(y * SIZE + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(acc[k] / (SS * SS) + noise)));
      }
    }
  }
  return out;
}

/** A picture of exactly these objects (large ones, placed and tinted by `seed`). */
export function sceneOf(objects: ReadonlyArray<Pick<ShapeObject, 'shape' | 'color'>>, seed: number): Scene {
  const r = rng(seed);
  for (;;) {
    const s = scene(r, objects.length);
    s.objects.forEach((o, i) => Object.assign(o, objects[i], { size: 'large', r: 10 }));
    const apart = s.objects.every((o, i) =>
      s.objects.slice(i + 1).every((p) => Math.hypot(p.cx - o.cx, p.cy - o.cy) > p.r + o.r + 2),
    );
    const inside = s.objects.every((o) => o.cx > 12 && o.cx < SIZE - 12 && o.cy > 12 && o.cy < SIZE - 12);
    if (apart && inside) return { objects: s.objects, caption: caption(s.objects), rgb: draw(s.objects, r) };
  }
}

/** `n` scenes with distinct captions, from `seed`. */
export function scenes(n: number, seed: number): Scene[] {
  const r = rng(seed);
  const out: Scene[] = [];
  const seen = new Set<string>();
  while (out.length < n) {
    const s = scene(r);
    const key = [...s.objects.map((o) => `${o.color} ${o.shape}`)].sort().join();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}

/** An RGB picture as PNG bytes (8-bit, colour type 2, zlib-compressed rows with filter 0). */
export function encodePng(rgb: Uint8Array, width = SIZE, height = SIZE): Uint8Array {
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(new TextEncoder().encode(type), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
    return out;
  };
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10),
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
