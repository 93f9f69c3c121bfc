// WebGPU in Node through the `webgpu` package (Dawn). Only Node code imports this file.
import { existsSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { WebGPUUnavailableError } from '../errors';
import { Gpu, type GpuOptions } from './runtime';

/** Debian's chromium package ships SwiftShader's Vulkan ICD here. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let installed = false;

function dawnGpu(): GPU {
  if (!installed) {
    Object.assign(globalThis, globals);
    installed = true;
  }
  return create([]);
}

/**
 * A WebGPU entry point for Node. If no Vulkan driver gives an adapter and none was chosen with
 * VK_ICD_FILENAMES / VK_DRIVER_FILES, fall back to SwiftShader when it is installed.
 */
export async function nodeGpuEntry(): Promise<GPU> {
  let gpu = dawnGpu();
  if (await gpu.requestAdapter()) return gpu;
  const chosen = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  if (!chosen && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    gpu = dawnGpu();
    if (await gpu.requestAdapter()) return gpu;
  }
  throw new WebGPUUnavailableError(
    'no WebGPU adapter in Node: no Vulkan driver was usable' +
      (chosen ? ` (VK_ICD_FILENAMES/VK_DRIVER_FILES=${chosen})` : '') +
      '. Install libvulkan1 and a Vulkan driver; without a GPU, Debian\'s chromium package provides SwiftShader ' +
      `(${SWIFTSHADER_ICD}).`,
  );
}

/** Create our runtime on a Node WebGPU device. */
export async function createNodeGpu(options: Omit<GpuOptions, 'gpu'> = {}): Promise<Gpu> {
  return Gpu.create({ ...options, gpu: await nodeGpuEntry() });
}
