// WebGPU in Node through the `webgpu` package (Dawn). Only Node code imports this file.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  // SwiftShader's Wayland probe complains on stderr when XDG_RUNTIME_DIR is unset.
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `bridgetower-xdg-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  const chosen = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  // Without any GPU device node, go straight to SwiftShader (Mesa's CPU driver lavapipe lacks what Dawn needs).
  if (!chosen && !hasGpuDevice() && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  let gpu = dawnGpu();
  if (await gpu.requestAdapter()) return gpu;
  if (!chosen && process.env.VK_ICD_FILENAMES !== SWIFTSHADER_ICD && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    gpu = dawnGpu();
    if (await gpu.requestAdapter()) return gpu;
  }
  throw new WebGPUUnavailableError(
    'no WebGPU adapter in Node: no Vulkan driver was usable' +
      (chosen ? ` (VK_ICD_FILENAMES/VK_DRIVER_FILES=${chosen})` : '') +
      ". Install libvulkan1 and a Vulkan driver; without a GPU, Debian's chromium package provides SwiftShader " +
      `(${SWIFTSHADER_ICD}).`,
  );
}

function hasGpuDevice(): boolean {
  try {
    return (
      readdirSync('/dev').some((d) => d.startsWith('nvidia')) ||
      readdirSync('/dev/dri').some((d) => d.startsWith('renderD'))
    );
  } catch {
    return false;
  }
}

/** Create our runtime on a Node WebGPU device. */
export async function createNodeGpu(options: Omit<GpuOptions, 'gpu'> = {}): Promise<Gpu> {
  return Gpu.create({ ...options, gpu: await nodeGpuEntry() });
}
