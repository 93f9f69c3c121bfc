// `bridgetower index` and `bridgetower search` as users run them (the built dist/cli.mjs: `npm run build`) on a
// folder of demo-world pictures: an unreadable file is counted and skipped, a second run resumes, a caption finds
// its picture, and the exports read back to the index's own vectors and entries.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readIndexFile } from '../../src/search/index-file';
import { encodePng, scenes } from './shape-world';

const CLI = 'dist/cli.mjs';
const tmp = mkdtempSync(join(tmpdir(), 'bt-search-cli-'));
const at = (p: string) => join(tmp, p);
const pictures = scenes(12, 7);
const name = (i: number) => `pic-${String(i).padStart(2, '0')}.png`;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 280_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  mkdirSync(at('photos/more'), { recursive: true });
  pictures.forEach((p, i) => writeFileSync(at(`photos/${i < 6 ? '' : 'more/'}${name(i)}`), encodePng(p.rgb)));
  writeFileSync(at('photos/broken.jpg'), 'not a picture');
  writeFileSync(at('photos/notes.txt'), 'not looked at');
});

describe('bridgetower index / search', () => {
  it('indexes a folder, skipping and counting an unreadable file, and resumes', async () => {
    const first = await cli(['index', ...[0, 1, 2].map((i) => at(`photos/${name(i)}`)), '--out', at('p.btindex')]);
    expect(first.stdout).toMatch(/p\.btindex: 3 pictures; 3 added in .* 0 already indexed, 0 unreadable/);
    const second = await cli(['index', at('photos'), '--out', at('p.btindex'), '--batch', '4', '--json']);
    expect(second.code).toBe(0);
    const summary = JSON.parse(second.stdout);
    expect([summary.added, summary.skipped, summary.entries]).toEqual([9, 3, 12]);
    expect(summary.failed).toEqual([{ id: 'photos/broken.jpg', reason: expect.stringMatching(/not a PNG, JPEG/) }]);
  }, 600_000);

  it('finds a caption’s picture, by ITC alone and after ITM re-ranking', async () => {
    const { stdout } = await cli(['search', at('p.btindex'), pictures[8].caption, '--rerank', '0', '--json']);
    const result = JSON.parse(stdout);
    expect(result.hits[0].id).toBe(`photos/more/${name(8)}`);
    expect(result.hits).toHaveLength(10);
    const reranked = JSON.parse(
      (await cli(['search', at('p.btindex'), pictures[8].caption, '--rerank', '4', '--top-k', '3', '--json'])).stdout,
    );
    expect(reranked.reranker).toBe('itm');
    expect(reranked.hits.map((h: { rerank?: number }) => typeof h.rerank)).toEqual(['number', 'number', 'number']);
    const byImage = JSON.parse(
      (await cli(['search', at('p.btindex'), '--image', at(`photos/${name(4)}`), '--top-k', '1', '--json'])).stdout,
    );
    expect(byImage.hits[0].id).toBe(`photos/${name(4)}`);
  }, 600_000);

  it('exports .npy and JSON Lines that read back to the index', async () => {
    const index = readIndexFile(new Uint8Array(readFileSync(at('p.btindex'))), 'p.btindex');
    expect((await cli(['search', at('p.btindex'), '--export', at('v.npy')])).code).toBe(0);
    const npy = readFileSync(at('v.npy'));
    expect(npy.subarray(0, 8)).toEqual(Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]));
    const headerLength = npy.readUInt16LE(8);
    expect((10 + headerLength) % 64).toBe(0);
    expect(npy.subarray(10, 10 + headerLength).toString()).toMatch(
      /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(12, 32\), \} *\n$/,
    );
    const body = npy.subarray(10 + headerLength);
    expect(new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength))).toEqual(
      index.vectors,
    );
    const entries = readFileSync(at('v.entries.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries).toEqual(index.entries);

    expect((await cli(['search', at('p.btindex'), '--export', at('all.jsonl')])).code).toBe(0);
    const lines = readFileSync(at('all.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(index.entries.map((e) => e.id));
    expect(Float32Array.from(lines.flatMap((l) => l.vector))).toEqual(index.vectors);
  }, 600_000);

  it('refuses an index made by another model, and a file that is not one, in one line', async () => {
    const other = await cli(['search', at('p.btindex'), 'a red circle', '--model', 'test/fixtures/hf-itc']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^bridgetower: .*p\.btindex was made by another model .* differ in dimension/m);
    const notIndex = await cli(['search', at('photos/pic-00.png'), 'a red circle']);
    expect(notIndex.code).toBe(1);
    expect(notIndex.stderr).toMatch(/pic-00\.png: not a search index/);
  }, 600_000);
});
