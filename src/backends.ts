// The backends every entry point registers: the native `cpu` backend as the default for
// tensors created without an explicit backend, and `webgpu`, whose module (and Dawn) loads
// only when asked for, so CPU-only users never pay for it. src/index.ts imports this; so do
// the command-line jobs, which need the backends but not the whole public API.

import { registerBackend, setAutoProbe } from './backend/backend.js';
import { createCpuBackend } from './backend/cpu/index.js';
import { loadNative } from './backend/cpu/load.js';
import { registerNativeTridiagEig } from './linalg/tridiag.js';

registerBackend('cpu', createCpuBackend, { isDefault: true });
// The one public tridiagEig (src/linalg/tridiag.ts) runs on the cpu addon's solver when the
// addon loads; the addon's own entry points stay internal.
registerNativeTridiagEig(() => {
  let addon: ReturnType<typeof loadNative>;
  try {
    addon = loadNative();
  } catch {
    return null;
  }
  // Without full vectors only rows 0 and k−1 are computed: O(k²), not O(k³).
  const convention = ({ values, vectors }: { values: Float64Array; vectors: Float64Array }, full: boolean) => {
    const k = values.length;
    if (!full) return { values, first: vectors.slice(0, k), last: vectors.slice(k, 2 * k) };
    return { values, first: vectors.slice(0, k), last: vectors.slice((k - 1) * k, k * k), vectors };
  };
  return {
    solve: async (diag, off, opts = {}) => convention(await addon.tridiagEig(diag, off, opts.vectors !== true), opts.vectors === true),
    solveSync: (diag, off, opts = {}) => convention(addon.tridiagEigSync(diag, off, opts.vectors !== true), opts.vectors === true),
  };
});
registerBackend('webgpu', async () => (await import('./backend/webgpu/index.js')).createWebGPUBackend());
// NOTE: `auto` skips software adapters (lavapipe): there the native SGEMM is ~10× faster.
setAutoProbe(async () => (await (await import('./backend/webgpu/index.js')).autoChoice()).backend);
