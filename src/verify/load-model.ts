// Node helpers of fixture verification, shared with `bridgetower run`: load a model from any weight source
// by path, optionally through a temporary web-format conversion, and read safetensors files whole.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../errors';
import type { OpenOptions } from '../checkpoint/open';
import { readSafetensors } from '../checkpoint/safetensors';
import { NodeDirSink, openPathWeights } from '../checkpoint/source-node';
import type { HubOptions } from '../hub/load';
import { openModelWeights } from '../hub/open-path';
import type { HostTensor } from '../common/tensor';
import { type WebDType } from '../checkpoint/web-format';
import { writeWebFormat } from '../checkpoint/web-format-write';
import type { Gpu } from '../gpu/runtime';
import { BridgeTowerModel, type ModelOptions } from '../model/bridgetower';

/**
 * Load a model onto the GPU from `path`. With `convertTo`, the weights first go through the web format in
 * that dtype (written to a temporary directory, removed once uploaded), exactly as a browser would get them.
 */
export async function loadModel(
  gpu: Gpu,
  path: string,
  opts: OpenOptions & HubOptions & ModelOptions & { convertTo?: WebDType } = {},
): Promise<BridgeTowerModel> {
  const { convertTo, compute, ...open } = opts;
  const weights = await openModelWeights(path, open);
  if (!convertTo) {
    try {
      return await BridgeTowerModel.load(gpu, weights, { compute });
    } finally {
      await weights.close();
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'bridgetower-web-'));
  try {
    try {
      await writeWebFormat(weights, new NodeDirSink(dir), { dtype: convertTo });
    } finally {
      await weights.close();
    }
    const web = await openPathWeights(dir);
    try {
      return await BridgeTowerModel.load(gpu, web, { compute });
    } finally {
      await web.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function readSafetensorsFile(path: string): Promise<Map<string, HostTensor>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new CheckpointError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return readSafetensors(bytes, path);
}
