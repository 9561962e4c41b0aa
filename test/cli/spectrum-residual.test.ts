// `descent spectrum --matrix residual`: the spectrum of R = H − G (the Hessian minus the
// Gauss-Newton matrix; Sagun et al. 2017), through the curvature library's operator, against
// the dense H − G assembled in float64 from the same model, data and seed.

import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as d from '../../src/index.js';
import { parseSpectrumArgs } from '../../src/cli/spectrum.js';
import { runSpectrum } from '../../src/cli/spectrum-job.js';
import { symEig } from '../../src/linalg/dense.js';
import { curvatureOperator, denseMatrix } from '../../src/algorithms/curvature/index.js';
import { writeSafetensors } from '../../src/io/safetensors.js';
import { U } from '../helpers/close.js';

test('parseSpectrumArgs · --matrix residual; not with --redis (workers serve hessian and ggn)', (t) => {
  const o = parseSpectrumArgs(['--matrix', 'residual']);
  t.like(o, { matrix: 'residual' });
  t.throws(() => parseSpectrumArgs(['--matrix', 'residual', '--redis', 'redis://localhost:6379', '--shards', '2']), { message: /--matrix residual is not served by descent workers/ });
});

test('runSpectrum --matrix residual · top eigenvalues of a small MLP equal the dense float64 H − G', async (t) => {
  // MLP 5-6-3 (tanh): 5·6 + 6 + 6·3 + 3 = 57 parameters, all of them (the residual of the last
  // layer alone is zero: the outputs are linear in its weights). 48 rows of a Gaussian mixture.
  const out = mkdtempSync(join(tmpdir(), 'descent-spectrum-residual-'));
  const mix = d.gaussianMixture({ n: 48, classes: 3, features: 5, seed: 4, separation: 1.5 });
  const file = join(out, 'data.safetensors');
  writeSafetensors(file, { x: { data: Float32Array.from(mix.x), shape: [48, 5] }, y: { data: Float32Array.from(mix.y), shape: [48] } });
  const o = parseSpectrumArgs(['--model', '5-6-3:tanh', '--data', file, '--samples', 'all', '--iterations', '40', '--probes', '2',
    '--top-k', '3', '--trace-probes', '4', '--matrix', 'residual', '--backend', 'reference', '--seed', '2', '--out', join(out, 'job'), '--grid', '100', '--quiet']);
  if (o === 'help') throw new Error('unexpected help');
  const { json } = await runSpectrum(o);
  const j = json as Record<string, any>;
  const n = 57;
  t.is(j.problem.parameters, n);
  t.is(j.problem.matrix, 'residual');
  t.regex(readFileSync(join(out, 'job', 'density.svg'), 'utf8'), /Residual \(H − G\) spectral density/);
  // The same model (float32 initialisation, seed 2) and rows, in float64.
  const net = new d.MLP([5, 6, 3], { activation: 'tanh' });
  const p32 = net.init({ seed: 2, backend: 'reference' });
  const params = d.tensor(Float64Array.from(await p32.data()), p32.shape, { dtype: 'float64', backend: 'reference' });
  p32.dispose();
  const x = d.tensor(Float64Array.from(Float32Array.from(mix.x)), [48, 5], { dtype: 'float64', backend: 'reference' });
  const y = d.tensor(Int32Array.from(mix.y), [48], { dtype: 'int32', backend: 'reference' });
  const dense = async (kind: 'hessian' | 'ggn' | 'residual') => {
    const op = curvatureOperator(kind, net, d.softmaxCrossEntropy, params, { x, y });
    const m = await denseMatrix(op, n, { dtype: 'float64', backend: 'reference' });
    op.dispose();
    return m;
  };
  const [H, G, R] = [await dense('hessian'), await dense('ggn'), await dense('residual')];
  let err = 0;
  for (let i = 0; i < n * n; i++) err = Math.max(err, Math.abs(R[i]! - (H[i]! - G[i]!)));
  const spec = (m: Float64Array) => { const v = symEig(m, n).values; return Math.max(Math.abs(v[0]!), Math.abs(v[n - 1]!)); };
  const hn = spec(H), gn = spec(G);
  t.true(err <= n * U.float64 * (hn + gn), `residual operator vs H − G: ${err}`);
  const values = symEig(R, n).values;
  t.true(Math.abs(values[n - 1]!) > 1e-3 * hn, `λ_max(R) = ${values[n - 1]} is not negligible against ‖H‖ = ${hn}`);
  // The job runs in float32: each product H·v and G·v carries about √n·u·‖·‖ of rounding
  // (the bound of test/cli/spectrum.test.ts, for both terms).
  const bound = 4 * Math.sqrt(n) * U.float32 * (hn + gn);
  const top = j.eigenvalues.top as number[];
  t.is(top.length, 3);
  t.log(`top ${top.join(', ')}; dense ${[1, 2, 3].map((i) => values[n - i]).join(', ')}; bound ${bound}`);
  top.forEach((v, i) => t.true(Math.abs(v - values[n - 1 - i]!) <= bound, `θ${i} = ${v} vs dense ${values[n - 1 - i]} (bound ${bound})`));
  params.dispose(); x.dispose(); y.dispose();
});
