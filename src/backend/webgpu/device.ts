// Adapter and device acquisition through Dawn (the `webgpu` npm package).
//
// Contract. The Dawn instance returned by `create()` is created once per process and held
// in this module for the life of the process: dawn.node aborts the process if that object
// is garbage-collected while a device created from it is alive (and optimised JavaScript
// can drop a local reference early). `webgpu` is imported lazily, so a program that never
// asks for the GPU never loads dawn.node. A device requests the adapter's own limits for
// storage buffers and workgroups (the defaults are much smaller) and the `subgroups`
// feature where the adapter has it. Nothing here keeps the event loop alive: a process
// exits by itself when its work is done, with or without device.destroy().

import { loadNative } from '../cpu/load.js';
import type { NativeAddon } from '../cpu/native.js';
import { NoAdapterError } from './errors.js';

/** The `webgpu` module's exports that descent uses. */
interface DawnModule {
  create(options: string[]): GPU;
}

let instance: GPU | null = null;
let instanceError: string | null = null;
let adapterPromise: Promise<GPUAdapter | null> | null = null;

async function dawn(): Promise<GPU | null> {
  if (instance) return instance;
  if (instanceError) return null;
  try {
    const mod = (await import('webgpu')) as unknown as DawnModule;
    instance = mod.create([]);
  } catch (e) {
    instanceError = `the 'webgpu' package failed to load: ${(e as Error).message.split('\n')[0]}`;
    return null;
  }
  return instance;
}

/** The native addon's stderr switch, or null when the addon does not load. */
function stderrMuter(): Pick<NativeAddon, 'muteStderr' | 'restoreStderr'> | null {
  try {
    return loadNative();
  } catch {
    return null;
  }
}

/** The process's adapter (requested once), or null when there is none. */
export function getAdapter(): Promise<GPUAdapter | null> {
  adapterPromise ??= (async () => {
    const gpu = await dawn();
    if (!gpu) return null;
    // NOTE: Dawn enumerates the Vulkan devices on the first request and prints driver-limit
    // warnings ("maxDynamic… artificially reduced") to stderr on lavapipe; they are not the
    // user's concern, so stderr is muted around that call (DESCENT_DEBUG keeps them).
    const mute = process.env.DESCENT_DEBUG ? null : stderrMuter();
    const muted = mute?.muteStderr() ?? false;
    try {
      return await gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch (e) {
      instanceError = `requestAdapter failed: ${(e as Error).message}`;
      return null;
    } finally {
      if (muted) mute!.restoreStderr();
    }
  })();
  return adapterPromise;
}

/** Why there is no adapter (for error messages). */
export function noAdapterReason(): string {
  return instanceError ?? 'requestAdapter() returned null: no GPU, or no Vulkan driver';
}

/** Whether a WebGPU adapter exists on this machine (loads dawn.node on first call). */
export async function hasAdapter(): Promise<boolean> {
  return (await getAdapter()) !== null;
}

/** What `descent info` and the benches print about an adapter. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  subgroupMinSize: number;
  subgroupMaxSize: number;
  features: string[];
  limits: Record<string, number>;
}

export function describeAdapter(adapter: GPUAdapter): AdapterDescription {
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number; isFallbackAdapter?: boolean };
  const limits: Record<string, number> = {};
  // GPUSupportedLimits exposes its fields as prototype getters, so walk with for-in.
  for (const key in adapter.limits) limits[key] = (adapter.limits as unknown as Record<string, number>)[key]!;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? false,
    subgroupMinSize: info.subgroupMinSize ?? 0,
    subgroupMaxSize: info.subgroupMaxSize ?? 0,
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

/** The adapter's description, or null when there is no adapter. */
export async function adapterInfo(): Promise<AdapterDescription | null> {
  const adapter = await getAdapter();
  return adapter ? describeAdapter(adapter) : null;
}

/**
 * A device with the adapter's storage and workgroup limits, and subgroups where available.
 * Each device gets an adapter of its own (an adapter yields one device, then expires).
 */
export async function openDevice(): Promise<{ adapter: GPUAdapter; device: GPUDevice }> {
  if (!(await getAdapter())) throw new NoAdapterError(noAdapterReason());
  const adapter = await instance!.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new NoAdapterError(noAdapterReason());
  const l = adapter.limits;
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [];
  const device = await adapter.requestDevice({
    label: 'descent',
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    },
  });
  return { adapter, device };
}

/** What `backend: 'auto'` should pick, and why. */
export interface AutoChoice {
  backend: 'webgpu' | 'cpu';
  reason: string;
}

/**
 * `auto` picks webgpu when a hardware adapter exists. A software adapter (lavapipe, which
 * CI installs so that the webgpu backend can be tested) runs far slower than the native
 * CPU kernels, so then `auto` picks cpu; ask for 'webgpu' by name to use it anyway.
 */
export async function autoChoice(): Promise<AutoChoice> {
  const adapter = await getAdapter();
  if (!adapter) return { backend: 'cpu', reason: `no WebGPU adapter (${noAdapterReason()})` };
  const d = describeAdapter(adapter);
  if (d.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader/i.test(`${d.device} ${d.description}`)) {
    return { backend: 'cpu', reason: `the only WebGPU adapter is a software one (${d.description}); initBackend('webgpu') uses it anyway` };
  }
  return { backend: 'webgpu', reason: `WebGPU adapter ${d.vendor} ${d.architecture} ${d.description}`.replace(/\s+/g, ' ').trim() };
}
