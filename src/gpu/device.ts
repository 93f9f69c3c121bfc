// Getting a GPUDevice with the adapter's real limits and the optional features we can use.
import { LimitError, WebGPUUnavailableError } from '../errors';

export interface GpuCaps {
  /** `shader-f16` granted: f16 arithmetic in WGSL is available (f16 storage works without it). */
  f16: boolean;
  timestampQuery: boolean;
  subgroups: boolean;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupsPerDimension: number;
  minStorageBufferOffsetAlignment: number;
  minUniformBufferOffsetAlignment: number;
  /** vendor / architecture / device / description, as the adapter reports them. */
  adapter: { vendor: string; architecture: string; device: string; description: string };
  /** A CPU implementation (SwiftShader, llvmpipe...): kernels prefer variants without workgroup barriers. */
  cpuAdapter: boolean;
}

export interface DeviceRequest {
  /**
   * The GPU entry point: navigator.gpu in a browser, the `webgpu` package's in Node (see node.ts).
   * @default navigator.gpu
   */
  gpu?: GPU;
  /**
   * 'adapter' asks for the adapter's largest limits; 'default' keeps WebGPU's defaults (128 MiB bindings).
   * @default 'adapter'
   */
  limits?: 'adapter' | 'default';
  /** @default 'high-performance' */
  powerPreference?: GPUPowerPreference;
  /**
   * Skip optional features even when offered (e.g. to test the plain f32 path).
   * @default none
   */
  disableFeatures?: GPUFeatureName[];
}

export interface AcquiredDevice {
  adapter: GPUAdapter;
  device: GPUDevice;
  caps: GpuCaps;
}

const HOW_TO_GET_WEBGPU =
  'Use a browser with WebGPU (Chrome/Edge 113+, Safari 26+, Firefox 141+ on Windows) or, in Node, the `webgpu` package. ' +
  "On Linux without a GPU, Debian's `chromium` package ships SwiftShader: run Chromium with " +
  '--enable-unsafe-webgpu --use-webgpu-adapter=swiftshader, or in Node set ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (and install libvulkan1).';

const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'timestamp-query', 'subgroups'];

const LIMIT_NAMES = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export async function requestGpuDevice(req: DeviceRequest = {}): Promise<AcquiredDevice> {
  const gpu = req.gpu ?? (typeof navigator !== 'undefined' ? navigator.gpu : undefined);
  if (!gpu) throw new WebGPUUnavailableError(`WebGPU is not available here (no navigator.gpu). ${HOW_TO_GET_WEBGPU}`);
  const adapter = await gpu.requestAdapter({ powerPreference: req.powerPreference ?? 'high-performance' });
  if (!adapter) throw new WebGPUUnavailableError(`no WebGPU adapter was found. ${HOW_TO_GET_WEBGPU}`);

  const disabled = new Set(req.disableFeatures ?? []);
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f) && !disabled.has(f));
  const requiredLimits: Record<string, number> = {};
  if ((req.limits ?? 'adapter') === 'adapter') {
    for (const name of LIMIT_NAMES) requiredLimits[name] = adapter.limits[name];
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (e) {
    throw new WebGPUUnavailableError(`the WebGPU adapter refused a device: ${(e as Error).message}`);
  }
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const text =
    `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  const l = device.limits;
  const caps: GpuCaps = {
    f16: device.features.has('shader-f16'),
    timestampQuery: device.features.has('timestamp-query'),
    subgroups: device.features.has('subgroups'),
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    minStorageBufferOffsetAlignment: l.minStorageBufferOffsetAlignment,
    minUniformBufferOffsetAlignment: l.minUniformBufferOffsetAlignment,
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
    },
    cpuAdapter:
      /swiftshader|llvmpipe|lavapipe|warp|software|cpu/.test(text) ||
      (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true,
  };
  if (caps.maxComputeInvocationsPerWorkgroup < 256 || caps.maxComputeWorkgroupStorageSize < 16384) {
    throw new LimitError(
      `this WebGPU device allows ${caps.maxComputeInvocationsPerWorkgroup} invocations and ${caps.maxComputeWorkgroupStorageSize} bytes of ` +
        'workgroup storage per workgroup; BridgeTower kernels need at least 256 and 16384 (the WebGPU defaults)',
    );
  }
  return { adapter, device, caps };
}

export function describeAdapter(caps: GpuCaps): string {
  const a = caps.adapter;
  return [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unknown adapter';
}
