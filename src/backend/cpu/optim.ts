// The cpu backend's optimizer ops: thin calls into the native addon's optimStep and
// optimSumSq (native/bind/optim.cc, kernels in native/optim/), which re-validate every
// argument. Storage is host memory; float32 arenas run natively, float64 ones take the
// reference implementation (src/backend/reference/optim.ts, which also states the maths).

import { arrayFor } from '../../dtype.js';
import { host, HostStorage } from '../host.js';
import type { Contig, OpSignatures, OptimArgs, OptimOp, Storage } from '../ops.js';
import { checkOptimArgs } from '../ops.js';
import { optim as referenceOptim } from '../reference/optim.js';
import { loadNative, NativeLoadError } from './load.js';
import type { NativeAddon } from './native.js';

declare module './native.js' {
  interface NativeAddon {
    /** One fused optimizer step (see native/bind/optim.cc for the argument contract). */
    optimStep(
      op: number, p: Float32Array, pOffset: number, g: Float32Array, gOffset: number,
      s0: Float32Array | null, s0Offset: number, s1: Float32Array | null, s1Offset: number,
      s2: Float32Array | null, s2Offset: number, replicas: number, size: number, bounds: Int32Array,
      hyper: Float32Array, norms: Float32Array | null, normsOffset: number, variant: number,
    ): void;
    /** Squared group norms of x [replicas, size] into out [replicas·G]. */
    optimSumSq(x: Float32Array, xOffset: number, replicas: number, size: number, bounds: Int32Array, out: Float32Array): void;
  }
}

/** Op codes of native/optim/step.h. */
const CODE: Record<OptimOp, number> = {
  sgdStep: 0, adamStep: 1, adagradStep: 2, adagradNormStep: 3, rmspropStep: 4, diffgradStep: 5, egStep: 6, optimisticStep: 7,
};

/** The addon, checked for the optimizer exports (an addon built before them lacks them). */
function addon(): NativeAddon {
  const a = loadNative();
  if (typeof a.optimStep !== 'function' || typeof a.optimSumSq !== 'function') {
    throw new NativeLoadError("the loaded native addon is an older build without optimStep/optimSumSq; rebuild it with 'npm run build:native'");
  }
  return a;
}

function f32(fn: string, arg: string, s: Storage): Float32Array {
  const d = host(s).data;
  if (!(d instanceof Float32Array)) throw new TypeError(`${fn}: expected float32 storage for '${arg}' but received ${s.dtype} (the cpu backend's optimizer steps are float32)`);
  return d;
}

function step(op: OptimOp) {
  return (a: OptimArgs): void => {
    checkOptimArgs(op, a);
    if (a.p.s.dtype === 'float64') return referenceOptim[op](a);
    if (a.state.length > 3) throw new RangeError(`${op}: expected at most 3 state buffers but received ${a.state.length}`);
    const st: (Contig | undefined)[] = [a.state[0], a.state[1], a.state[2]];
    const s = st.map((c, k) => (c ? f32(op, `state[${k}]`, c.s) : null));
    addon().optimStep(
      CODE[op], f32(op, 'p', a.p.s), a.p.offset, f32(op, 'g', a.g.s), a.g.offset,
      s[0] ?? null, st[0]?.offset ?? 0, s[1] ?? null, st[1]?.offset ?? 0, s[2] ?? null, st[2]?.offset ?? 0,
      a.replicas, a.size, a.bounds, a.hyper instanceof Float32Array ? a.hyper : Float32Array.from(a.hyper), a.norms ? f32(op, 'norms', a.norms.s) : null, a.norms?.offset ?? 0, a.variant,
    );
  };
}

export const optim: Pick<OpSignatures, 'optimSumSq' | OptimOp> = {
  optimSumSq(x: Contig, replicas: number, size: number, bounds: Int32Array): Storage {
    if (x.s.dtype === 'float64') return referenceOptim.optimSumSq(x, replicas, size, bounds);
    const out = arrayFor('float32', replicas * (bounds.length - 1)) as Float32Array;
    addon().optimSumSq(f32('optimSumSq', 'x', x.s), x.offset, replicas, size, bounds, out);
    return new HostStorage(out);
  },
  sgdStep: step('sgdStep'),
  adamStep: step('adamStep'),
  adagradStep: step('adagradStep'),
  adagradNormStep: step('adagradNormStep'),
  rmspropStep: step('rmspropStep'),
  diffgradStep: step('diffgradStep'),
  egStep: step('egStep'),
  optimisticStep: step('optimisticStep'),
};
