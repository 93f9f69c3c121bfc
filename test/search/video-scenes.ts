// What second k of test/fixtures/search/shapes.webm shows (made by ./make-video.ts).
export const VIDEO_SCENES = [
  [{ shape: 'circle', color: 'red' }],
  [{ shape: 'triangle', color: 'green' }],
  [{ shape: 'square', color: 'yellow' }],
  [{ shape: 'square', color: 'blue' }],
  [{ shape: 'circle', color: 'purple' }],
  [{ shape: 'triangle', color: 'orange' }],
] as const;
