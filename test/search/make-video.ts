// Writes test/fixtures/search/shapes.webm and shapes.vtt for the app's video search test: six seconds, one
// demo-world scene per second (the SCENES below, in order), VP8 at 128x128 with a key frame every second.
// Needs ffmpeg (Debian: apt-get install -y ffmpeg); run once, commit the two files:
//   npx tsx test/search/make-video.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, sceneOf, SIZE } from './shape-world';
import { VIDEO_SCENES } from './video-scenes';

const dir = mkdtempSync(join(tmpdir(), 'bt-video-'));
VIDEO_SCENES.forEach((objects, i) =>
  writeFileSync(join(dir, `f${i}.png`), encodePng(sceneOf(objects, 40 + i).rgb, SIZE, SIZE)),
);
execFileSync('ffmpeg', [
  '-y',
  '-loglevel',
  'error',
  '-framerate',
  '1',
  '-i',
  join(dir, 'f%d.png'),
  '-vf',
  'scale=128:128:flags=neighbor,fps=10',
  '-c:v',
  'libvpx',
  '-b:v',
  '300k',
  '-g',
  '10',
  '-pix_fmt',
  'yuv420p',
  'test/fixtures/search/shapes.webm',
]);
const stamp = (s: number) => `00:00:${String(s).padStart(2, '0')}.000`;
writeFileSync(
  'test/fixtures/search/shapes.vtt',
  `WEBVTT\n\n${VIDEO_SCENES.map((objects, i) => `${stamp(i)} --> ${stamp(i + 1)}\nNow we see ${objects.map((o) => `the ${o.color} ${o.shape}`).join(' and ')}.\n`).join('\n')}`,
);
