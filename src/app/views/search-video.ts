// Video for the Search view: frames sampled with the browser's own decoder (a <video> element seeked to the middle
// of every N-second interval and drawn to a canvas), each paired with the WebVTT transcript cues that overlap
// its interval. An entry stands for its interval: clicking it plays the video from the interval's start.
import { ImageError } from '../../errors';

export interface VideoFrame {
  /** `<video name>#t=<start>` */
  id: string;
  blob: Blob;
  start: number;
  end: number;
  /** The transcript around the frame (cues overlapping [start, end)), when there is one. */
  text?: string;
}

export interface Cue {
  start: number;
  end: number;
  text: string;
}

/** Longest transcript we read, and the most cues: a WebVTT file is untrusted input. */
const MAX_VTT_CHARS = 4 * 1024 * 1024;
const MAX_CUES = 100_000;
/** Most frames one video gives, whatever the interval. */
const MAX_FRAMES = 5000;

const TIME = /^(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d{1,3})?)$/;

function seconds(stamp: string): number | undefined {
  const m = TIME.exec(stamp.trim());
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** The cues of a WebVTT file (timing line `start --> end [settings]`, then text lines up to a blank line). */
export function parseVtt(text: string, name: string): Cue[] {
  if (text.length > MAX_VTT_CHARS) throw new ImageError(`${name}: a transcript over ${MAX_VTT_CHARS} characters`);
  if (!/^\uFEFF?WEBVTT/.test(text)) throw new ImageError(`${name}: not a WebVTT file (it does not start with WEBVTT)`);
  const cues: Cue[] = [];
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => l.includes('-->'));
    if (at < 0) continue;
    const [a, b] = lines[at].split('-->');
    const start = seconds(a),
      end = seconds(b.trim().split(/\s+/)[0]);
    if (start === undefined || end === undefined || end < start) {
      throw new ImageError(`${name}: bad cue timing ${JSON.stringify(lines[at].slice(0, 80))}`);
    }
    const words = lines
      .slice(at + 1)
      .join(' ')
      .replace(/<[^>]*>/g, '')
      .trim();
    if (words) cues.push({ start, end, text: words });
    if (cues.length > MAX_CUES) throw new ImageError(`${name}: more than ${MAX_CUES} cues`);
  }
  return cues;
}

function once(target: HTMLMediaElement, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = () => {
      target.removeEventListener('error', bad);
      resolve();
    };
    const bad = () => {
      target.removeEventListener(event, ok);
      reject(new ImageError(`not a video this browser can play (${target.error?.message || 'decode error'})`));
    };
    target.addEventListener(event, ok, { once: true });
    target.addEventListener('error', bad, { once: true });
  });
}

/** One frame every `every` seconds (the middle of each interval), with the transcript around it. */
export async function sampleVideo(
  file: File,
  cues: readonly Cue[],
  every: number,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<VideoFrame[]> {
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  const url = URL.createObjectURL(file);
  try {
    video.src = url;
    await once(video, 'loadeddata').catch((e: Error) => {
      throw new ImageError(`${file.name}: ${e.message}`);
    });
    const duration = video.duration;
    if (!Number.isFinite(duration) || duration <= 0)
      throw new ImageError(`${file.name}: the browser reports no duration for this video, so it cannot be sampled`);
    const total = Math.min(MAX_FRAMES, Math.ceil(duration / every));
    const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
    const ctx = canvas.getContext('2d')!;
    const frames: VideoFrame[] = [];
    for (let k = 0; k < total; k++) {
      if (opts.signal?.aborted) throw new DOMException('cancelled', 'AbortError');
      const start = k * every,
        end = Math.min(duration, (k + 1) * every);
      const seeked = once(video, 'seeked');
      video.currentTime = (start + end) / 2;
      await seeked;
      ctx.drawImage(video, 0, 0);
      const text = cues
        .filter((c) => c.start < end && c.end > start)
        .map((c) => c.text)
        .join(' ');
      const frame: VideoFrame = {
        id: `${file.name}#t=${start}`,
        blob: await canvas.convertToBlob({ type: 'image/png' }),
        start,
        end,
      };
      if (text) frame.text = text;
      frames.push(frame);
      opts.onProgress?.(k + 1, total);
    }
    return frames;
  } finally {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  }
}
