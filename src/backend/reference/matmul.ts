// Reference matrix product with fused bias and activation, accumulated in float64.

import { arrayFor } from '../../dtype.js';
import { host, HostStorage } from '../host.js';
import type { Act, MatmulArgs, OpSignatures, Storage } from '../ops.js';
import { UNARY_FN } from './elementwise.js';

/** The fused activations: the unary ops of the same name. */
export const ACT_FN: { [K in Act]: (x: number) => number } = {
  none: (x) => x,
  relu: UNARY_FN.relu,
  tanh: UNARY_FN.tanh,
  sigmoid: UNARY_FN.sigmoid,
  gelu: UNARY_FN.gelu,
};

export const matmul: Pick<OpSignatures, 'matmul'> = {
  /**
   * C[b,i,j] = act(Σ_p op(A)[b,i,p]·op(B)[b,p,j] + bias[j]), where op(A) = Aᵀ when transA
   * (A stored k×m), and A of batch b starts at a.offset + b·strideA (strideA = 0 shares A).
   */
  matmul({ a, b, batch, m, n, k, transA, transB, strideA, strideB, bias, act }: MatmulArgs): Storage {
    const A = host(a.s).data, B = host(b.s).data, f = ACT_FN[act];
    const bi = bias ? host(bias.s).data : null;
    const out = arrayFor(a.s.dtype, batch * m * n);
    for (let t = 0; t < batch; t++) {
      const oa = a.offset + t * strideA, ob = b.offset + t * strideB;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) {
            const av = A[oa + (transA ? p * m + i : i * k + p)]!;
            const bv = B[ob + (transB ? j * k + p : p * n + j)]!;
            acc += av * bv;
          }
          if (bi) acc += bi[bias!.offset + j]!;
          out[t * m * n + i * n + j] = f(acc);
        }
      }
    }
    return new HostStorage(out);
  },
};
