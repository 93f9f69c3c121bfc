// The parts of the browser loader that Node can run: Blob/File/URL bytes through our decoders.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AbortedError, ImageError } from '../../src/errors';
import { decodeImage } from '../../src/preprocess/decode';
import { loadBrowserImage } from '../../src/preprocess/image-browser';

const bytes = (p: string) => new Uint8Array(readFileSync(new URL(`../fixtures/${p}`, import.meta.url)));

describe('loadBrowserImage', () => {
  it('decodes PNG and JPEG from a Blob, a File and a data: URL exactly as decodeImage does', async () => {
    const png = bytes('images/palette4-adam7.png');
    const ref = await decodeImage(png);
    expect(await loadBrowserImage(new Blob([png]))).toEqual(ref);
    const jpeg = bytes('images/progressive.jpg');
    expect(await loadBrowserImage(new File([jpeg], 'p.jpg'))).toEqual(await decodeImage(jpeg));
    const url = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    expect(await loadBrowserImage(url)).toEqual(ref);
    expect(await loadBrowserImage(new URL(url))).toEqual(ref);
  });

  it('names the file when the bytes are not an image', async () => {
    await expect(loadBrowserImage(new File([new TextEncoder().encode('hello')], 'notes.txt'))).rejects.toThrow(
      /notes\.txt: not a PNG, JPEG or WebP image/,
    );
    const truncated = bytes('images/baseline420.jpg').subarray(0, 700);
    await expect(loadBrowserImage(new File([truncated], 'cut.jpg'))).rejects.toThrow(ImageError);
  });

  it('reports an aborted fetch as AbortedError', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(loadBrowserImage('data:image/png;base64,AAAA', controller.signal)).rejects.toThrow(AbortedError);
  });
});
