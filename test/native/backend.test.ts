// The cpu Backend object: its op table against the reference backend's for matmul through
// the TypeScript wiring (offsets, batch strides, bias, activations, float64 fallback), its
// host-memory methods, and the thread / ISA / info helpers. Bound for matmul:
// (k+1)·u·((|A|·|B|)_ij + |bias_j|) (Higham §3.1) times the activation's Lipschitz constant
// (gelu 1.13, others 1), plus 1 ulp for the activation's rounding.

import test from 'ava';
import { cpu, cpuInfo, createCpuBackend, getThreads, setThreads } from '../../src/backend/cpu/index.js';
import { HostStorage } from '../../src/backend/host.js';
import type { Act, HostArray, MatmulArgs, Storage } from '../../src/backend/ops.js';
import { referenceOps } from '../../src/backend/reference/index.js';
import { assertClose } from '../helpers/close.js';
import { randn } from '../helpers/gen.js';

const U = 2 ** -24;
const data = (s: Storage): HostArray => (s as HostStorage).data;

test('backend · createCpuBackend returns the cpu backend with host memory', async (t) => {
  const be = createCpuBackend();
  t.is(be, cpu);
  t.is(be.name, 'cpu');
  const s = be.upload(new Float32Array([1, 2, 3, 4]));
  t.deepEqual(Array.from(await be.read(s, 1, 2)), [2, 3]);
  t.deepEqual(Array.from(be.readSync!(s)), [1, 2, 3, 4]);
  be.free(s);
  t.throws(() => be.readSync!(s), { message: /freed/ });
  await be.sync();
});

test('backend · matmul through the op table: offsets, batch strides, bias and activations', (t) => {
  const batch = 3, m = 21, n = 35, k = 19;
  for (const act of ['none', 'relu', 'tanh', 'sigmoid', 'gelu'] as Act[]) {
    for (const [transA, transB, sa, sb] of [[false, false, m * k, k * n], [true, false, 0, k * n], [false, true, m * k, 0], [true, true, m * k, k * n]] as const) {
      const a = new HostStorage(randn(5 + batch * m * k, 1)), b = new HostStorage(randn(3 + batch * k * n, 2)), bias = new HostStorage(randn(n + 4, 3));
      const args: MatmulArgs = {
        a: { s: a, offset: 5 }, b: { s: b, offset: 3 }, batch, m, n, k, transA, transB, strideA: sa, strideB: sb,
        bias: { s: bias, offset: 4 }, act,
      };
      const want = data(referenceOps.matmul(args)), got = data(cpuOps().matmul(args));
      const absArgs = { ...args, a: { s: new HostStorage(data(a).map(Math.abs)), offset: 5 }, b: { s: new HostStorage(data(b).map(Math.abs)), offset: 3 }, bias: undefined, act: 'none' as const };
      const mag = data(referenceOps.matmul(absArgs)), bv = data(bias);
      const lip = act === 'gelu' ? 1.13 : 1;
      assertClose(t, got, want, (i) => lip * (k + 1) * U * (mag[i]! + Math.abs(bv[4 + (i % n)]!)) + (act === 'none' ? 0 : 2 * U * Math.abs(want[i]!)), `act=${act} transA=${transA} transB=${transB}`);
    }
  }
  // float64 operands take the reference path and stay float64.
  const a64 = new HostStorage(new Float64Array([1, 2, 3, 4])), b64 = new HostStorage(new Float64Array([1, 0, 0, 1]));
  const r = data(cpuOps().matmul({ a: { s: a64, offset: 0 }, b: { s: b64, offset: 0 }, batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, strideA: 0, strideB: 0, act: 'none' }));
  t.true(r instanceof Float64Array);
  t.deepEqual(Array.from(r), [1, 2, 3, 4]);
});

test('backend · threads, instruction set and info', (t) => {
  const before = getThreads();
  try {
    setThreads(1);
    t.is(getThreads(), 1);
    setThreads(2);
    t.is(cpuInfo().threads, 2);
    t.throws(() => setThreads(0), { instanceOf: RangeError, message: "setThreads: expected an integer in [1, 256] for 'n' but received 0" });
  } finally {
    setThreads(before);
  }
  const info = cpuInfo();
  t.true(info.isas.includes('ref'));
  t.true(info.isas.includes(info.isa));
  t.true(info.cores >= 1);
  t.regex(info.gemmKernel, /^(ref|avx2|avx512)-\d+x\d+$/);
});

function cpuOps() {
  return cpu.ops;
}
