// Draws a cross-attention map (text token 0 over the image patches) on the canvas that lies over the
// picture. The model saw an S x S window of the resized picture (preprocess geometry), so the patch grid is
// placed on that window, and what the model never saw is dimmed.
import type { HfImageProcessor, ImagePreprocess } from '../common/config';
import { geometry } from '../preprocess/image';
import type { AttentionMap } from '../tasks/types';

/** Canvas pixels along the picture's longer side (the canvas is scaled with the picture). */
const CANVAS_LONG_SIDE = 640;
/** Patch opacity from the weakest to the strongest patch: dark and faint to bright and strong. */
const ALPHA_MIN = 0.02,
  ALPHA_MAX = 0.75;

/** Colour stops of a dark-to-bright ramp (magma-like), for t in [0, 1]. */
const RAMP: Array<[number, number, number]> = [
  [0, 0, 4],
  [40, 11, 84],
  [101, 21, 110],
  [159, 42, 99],
  [212, 72, 66],
  [245, 125, 21],
  [250, 193, 39],
  [252, 255, 164],
];

function rampColour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [RAMP[i], RAMP[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/** CSS gradient of the ramp, for the legend. */
export function rampGradient(): string {
  return `linear-gradient(to right, ${RAMP.map(([r, g, b], i) => `rgb(${r} ${g} ${b}) ${(i / (RAMP.length - 1)) * 100}%`).join(', ')})`;
}

export interface HeatmapTarget {
  canvas: HTMLCanvasElement;
  /** Size of the picture as picked. */
  width: number;
  height: number;
  /** Model input side S and how the picture becomes S x S. */
  imageSize: number;
  mode: ImagePreprocess;
  /** The model folder's preprocessor_config.json (hf mode), when it has one. */
  processor?: HfImageProcessor;
}

export function drawHeatmap(target: HeatmapTarget, map: AttentionMap): void {
  const { canvas, width, height } = target;
  const scale = CANVAS_LONG_SIDE / Math.max(width, height);
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context for the heatmap');

  // The S x S window in picture pixels: resized picture coordinates mapped back by the resize factors.
  const S = target.imageSize;
  const g = geometry(width, height, { size: S, mode: target.mode, processor: target.processor });
  const sx = width / g.resizedWidth,
    sy = height / g.resizedHeight;
  const win = { x: g.left * sx * scale, y: g.top * sy * scale, w: S * sx * scale, h: S * sy * scale };

  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = 'rgba(15, 18, 30, 0.55)';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.clearRect(win.x, win.y, win.w, win.h);

  const grid = document.createElement('canvas');
  grid.width = map.gridWidth;
  grid.height = map.gridHeight;
  const gctx = grid.getContext('2d')!;
  const cells = gctx.createImageData(map.gridWidth, map.gridHeight);
  let max = 0;
  for (const w of map.weights) max = Math.max(max, w);
  for (let i = 0; i < map.weights.length; i++) {
    const t = max > 0 ? map.weights[i] / max : 0;
    const [r, gg, b] = rampColour(t);
    cells.data.set([r, gg, b, Math.round(255 * (ALPHA_MIN + (ALPHA_MAX - ALPHA_MIN) * t))], i * 4);
  }
  gctx.putImageData(cells, 0, 0);
  // One crisp cell per patch, as the model sees it, with faint lines between patches.
  ctx.imageSmoothingEnabled = false;
  ctx.save();
  ctx.beginPath();
  ctx.rect(win.x, win.y, win.w, win.h);
  ctx.clip();
  ctx.drawImage(grid, win.x, win.y, win.w, win.h);
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.35)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 1; i < map.gridWidth; i++) {
    const x = win.x + (win.w * i) / map.gridWidth;
    ctx.moveTo(x, win.y);
    ctx.lineTo(x, win.y + win.h);
  }
  for (let j = 1; j < map.gridHeight; j++) {
    const y = win.y + (win.h * j) / map.gridHeight;
    ctx.moveTo(win.x, y);
    ctx.lineTo(win.x + win.w, y);
  }
  ctx.stroke();
  ctx.restore();
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.85)';
  ctx.lineWidth = 2;
  ctx.strokeRect(win.x + 1, win.y + 1, win.w - 2, win.h - 2);

  canvas.hidden = false;
  canvas.dataset.layer = String(map.layer);
}
