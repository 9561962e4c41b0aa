// docs/API.md, "Checkpoints": save an optimizer's state with the parameters, stop, restore
// and continue bit-identically — including run-time hyperparameter changes and per-replica
// step counts of masked steps. The test suite runs it (test/examples-api.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as d from '../src/index.js';

export async function checkpoints(): Promise<{ straight: Float32Array; resumed: Float32Array; info: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'descent-example-'));
  const path = join(dir, 'ckpt.safetensors');
  const net = new d.MLP([10, 16, 3]);
  const x = d.randomNormal([4, 32, 10], { seed: 1 });            // 4 replicas, each its own batch
  const y = d.tensor(Int32Array.from({ length: 4 * 32 }, (_, i) => i % 3), [4, 32]);
  const loss = (p: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y, { reduction: 'replicaMean' });
  const options = { lr: 1e-2, schedule: { kind: 'poly', power: 0.5 } } as const;
  const train = (opt: d.Optimizer, params: d.Tensor, steps: number) => {
    for (let k = 0; k < steps; k++) d.tidy(() => opt.step(d.grad(loss)(params), { active: k % 2 === 0 ? [0, 1, 2, 3] : [1, 3] }));
  };

  // Run A: 10 steps, a run-time change, checkpoint, 10 more steps.
  const params = net.init({ seed: 0, replicas: 4 });
  const opt = new d.Adam(params, options);
  train(opt, params, 10);
  opt.setHyper('lr', 5e-3, { replica: 2 });
  await d.saveCheckpoint(path, opt, { params }, { step: 10 });   // + ckpt.json beside it, for people
  train(opt, params, 10);
  const straight = Float32Array.from(await params.data());

  // Run B: a fresh process would do this — rebuild from the file and continue.
  const params2 = d.zeros([4, net.size]);
  const opt2 = d.restoreOptimizer(path, params2);                   // kind, options and state from the file
  const info = d.loadCheckpoint(path, opt2, { params: params2 });  // and the parameters
  train(opt2, params2, 10);
  const resumed = Float32Array.from(await params2.data());

  opt.dispose();
  opt2.dispose();
  d.dispose([params, params2, x, y]);
  rmSync(dir, { recursive: true, force: true });
  return { straight, resumed, info };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { straight, resumed, info } = await checkpoints();
  console.log({ info, identical: straight.every((v, i) => Object.is(v, resumed[i])) });
}
