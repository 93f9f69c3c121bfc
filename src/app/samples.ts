// Pictures from the demo model's held-out eval set (../shared/demo-model/eval, byte-identical copies), with
// questions and captions about each one that the demo model gets right (chosen by tools/app-suggestions.ts),
// offered as examples when the demo is loaded.
import samples from './samples/samples.json';

const urls = import.meta.glob<string>('./samples/*.png', { eager: true, query: '?url', import: 'default' });

export interface Sample {
  file: string;
  url: string;
  questions: string[];
  captions: string[];
}

export const SAMPLES: Sample[] = samples.map((s) => {
  const url = urls[`./samples/${s.file}`];
  if (!url) throw new Error(`samples.json names ${s.file}, which is not in src/app/samples/`);
  return { ...s, url };
});

export async function sampleBlob(s: Sample): Promise<Blob> {
  const res = await fetch(s.url);
  if (!res.ok) throw new Error(`${s.url}: HTTP ${res.status}`);
  return res.blob();
}
