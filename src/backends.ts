// The backends every entry point registers: the native `cpu` backend as the default for
// tensors created without an explicit backend, and `webgpu`, whose module (and Dawn) loads
// only when asked for, so CPU-only users never pay for it. src/index.ts imports this; so do
// the command-line jobs, which need the backends but not the whole public API.

import { registerBackend, setAutoProbe } from './backend/backend.js';
import { createCpuBackend } from './backend/cpu/index.js';

registerBackend('cpu', createCpuBackend, { isDefault: true });
registerBackend('webgpu', async () => (await import('./backend/webgpu/index.js')).createWebGPUBackend());
// NOTE: `auto` skips software adapters (lavapipe): there the native SGEMM is ~10× faster.
setAutoProbe(async () => (await (await import('./backend/webgpu/index.js')).autoChoice()).backend);
