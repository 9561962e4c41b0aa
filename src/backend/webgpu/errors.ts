// Typed errors of the webgpu backend. Each says what happened, where (the kernel file and
// line, the op, the size asked for) and what to do instead (usually: `backend: 'cpu'`).

import { DescentError } from '../../errors.js';

const USE_CPU = "use { backend: 'cpu' } (initBackend('cpu')) to run without the GPU";

/** Base class of the errors the webgpu backend raises for GPU state (not for bad arguments). */
export class WebGPUError extends DescentError {}

/** No WebGPU adapter: no GPU, no Vulkan driver (lavapipe), or the `webgpu` package failed to load. */
export class NoAdapterError extends WebGPUError {
  constructor(detail: string) {
    super(`webgpu: no WebGPU adapter (${detail}). On Debian 12 run 'sudo bash scripts/setup-system.sh' to install the Vulkan loader and Mesa's lavapipe, or ${USE_CPU}`);
  }
}

/** The device was lost (driver reset, device.destroy(), out of resources); its tensors are gone. */
export class DeviceLostError extends WebGPUError {
  constructor(readonly reason: string, detail: string) {
    super(`webgpu: the GPU device was lost (${reason}${detail ? `: ${detail}` : ''}); its tensors and pending results are gone. Create a new backend, or ${USE_CPU}`);
  }
}

/** An allocation failed on the GPU. */
export class GPUOutOfMemoryError extends WebGPUError {
  constructor(bytes: number, what: string, detail = '') {
    super(`webgpu: out of GPU memory allocating ${bytes} bytes for ${what}${detail ? ` (${detail})` : ''}. Free tensors sooner (dispose(), tidy()), use smaller batches, or ${USE_CPU}`);
  }
}

/** A GPU validation or internal error that the backend did not expect (a bug in descent). */
export class GPUValidationError extends WebGPUError {
  constructor(where: string, detail: string) {
    super(`webgpu: ${where} failed on the GPU: ${detail}. This is a bug in descent's webgpu backend; please report it, and meanwhile ${USE_CPU}`);
  }
}

export interface CompileMessage {
  /** The file the diagnostic is in (an included file, or the kernel itself). */
  readonly file: string;
  readonly type: string;
  readonly lineNum: number;
  readonly linePos: number;
  readonly message: string;
}

/** A WGSL kernel failed to compile; the message lists `file:line:column type: text` for each diagnostic. */
export class KernelCompileError extends WebGPUError {
  constructor(readonly file: string, readonly messages: readonly CompileMessage[]) {
    super(`webgpu: kernel ${file} failed to compile:\n` +
      messages.map((m) => `  ${m.file}:${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join('\n'));
  }
}
