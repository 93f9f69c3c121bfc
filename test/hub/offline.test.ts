// When the hub cannot be reached, the error says what else loads the model (another endpoint, a local folder,
// the cached copy, which it names when there is one); a model path or folder that does not exist says "not
// found". No GPU: the weights are opened, not uploaded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWeights } from '../../src/checkpoint/open';
import { NodeDirectory } from '../../src/checkpoint/source-node';
import { CheckpointError } from '../../src/errors';
import { HubError } from '../../src/hub/hub-error';
import { openHubWeights } from '../../src/hub/load';
import { nodeHubRuntime, openModelWeights } from '../../src/hub/open-path';
import { hfLayout } from '../../tools/hf-layout';
import { startHubServer, type HubServer } from './hub-server';

const REPO = 'demo/bridgetower-demo';
let server: HubServer;
/** A port nothing listens on (a closed server's): connections are refused at once, as when offline. */
let OFFLINE: string;
const tmp = mkdtempSync(join(tmpdir(), 'bt-offline-'));

beforeAll(async () => {
  server = await startHubServer({ [REPO]: { files: await hfLayout('weights/demo') } });
  const closed = await startHubServer({});
  OFFLINE = closed.url;
  await closed.close();
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const load = (repo: string, hubEndpoint: string, cacheDir: string) =>
  openHubWeights({ repo }, { hubEndpoint, cacheDir }, nodeHubRuntime);

describe('the hub out of reach', () => {
  it('names the next steps, and that the cache holds no copy', async () => {
    const cache = join(tmp, 'empty-cache');
    const e = await load(REPO, OFFLINE, cache).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HubError);
    expect((e as HubError).kind).toBe('network');
    expect((e as Error).message).toBe(
      `${REPO}@main/config.json: cannot reach ${OFFLINE} (ECONNREFUSED); to load it, point HF_ENDPOINT (Node, CLI) ` +
        'or the hubEndpoint option at a reachable hub or mirror, or load a local folder of the model; the cache ' +
        `(${join(cache, 'hub')}) holds no copy of ${REPO}`,
    );
  });

  it('names the cached copy of the repo, which loads by its path', async () => {
    const cache = join(tmp, 'cache');
    await (await load(REPO, server.url, cache)).close();
    const e = await load(REPO, OFFLINE, cache).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HubError);
    const copy = /, or the cached copy: load (\S+)$/.exec((e as Error).message)?.[1];
    expect(copy).toMatch(new RegExp(`^${join(cache, 'hub')}/demo\\+bridgetower-demo\\+main\\+f32\\+[0-9a-f]{8}$`));
    const weights = await openModelWeights(copy!);
    expect(weights.config.text.vocabSize).toBeGreaterThan(0);
    await weights.close();
    // Another repo's copy is not offered.
    const other = await load('demo/other', OFFLINE, cache).catch((x: unknown) => x);
    expect((other as Error).message).toMatch(/; the cache \(.*\) holds no copy of demo\/other$/);
  });
});

describe('a model that is not there', () => {
  it('a path says not found', async () => {
    const path = join(tmp, 'no-such-model');
    await expect(openModelWeights(path)).rejects.toThrow(CheckpointError);
    await expect(openModelWeights(path)).rejects.toThrow(`${path}: not found (no such file or directory)`);
  });

  it('a folder (as BridgeTower.load opens a file: URL) says not found', async () => {
    const dir = join(tmp, 'no-such-folder');
    await expect(openWeights(new NodeDirectory(dir))).rejects.toThrow(`${dir}: not found (no such directory)`);
  });

  it('a folder without a model still says what it lacks', async () => {
    await expect(openWeights(new NodeDirectory(tmp))).rejects.toThrow(
      `${tmp}: no manifest.json, model.safetensors(.index.json) or pytorch_model.bin(.index.json) in this directory`,
    );
  });
});
