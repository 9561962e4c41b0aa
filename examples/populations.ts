// docs/API.md, "Populations": R replicas of one model in one arena [R, P], stepped in one
// launch. Same initialisation everywhere (sameInit), a per-replica learning-rate sweep, a loss
// whose per-replica gradients are each replica's own ('replicaMean'), inputs and labels
// shared by every replica (broadcast), run-time control (setHyper) and masked steps (active).
// The test suite runs it (test/examples-api.test.ts).
import * as d from '../src/index.js';

export async function populations(): Promise<{ lrs: number[]; losses: number[]; single: Float32Array; replica1: Float32Array; untouched: boolean }> {
  const data = d.loadDefaultDataset({ limit: 512 });
  const net = new d.MLP([784, 32, 10]);
  const lrs = [0.02, 0.05, 0.1, 0.2];
  const R = lrs.length;

  // Every replica starts from the single model's initialisation with this seed.
  const params = net.init({ seed: 7, replicas: R, sameInit: true });      // [R, P]
  const opt = new d.SGD(params, { lr: lrs, momentum: 0.9 });                // one lr per replica

  // x [B, 784] and labels [B] are shared: the model broadcasts x over the replicas, the loss
  // broadcasts the labels; 'replicaMean' sums each replica's mean loss, so replica r's gradient
  // is its own mean-loss gradient (plain 'mean' would divide it by R).
  const loss = (p: d.Tensor, x: d.Tensor, y: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y, { reduction: 'replicaMean' });
  const perReplica = (p: d.Tensor, x: d.Tensor, y: d.Tensor) => d.mean(d.softmaxCrossEntropy(net.apply(p, x), y, { reduction: 'none' }), 1);

  let first = true, snapshot: Float32Array | null = null;
  for (let epoch = 0; epoch < 3; epoch++) {
    if (epoch === 1) opt.setHyper('lr', 0.01, { replica: 3 });             // tame the largest step size
    for (const { x, y, indices } of d.batches(data, { batchSize: 128, seed: 3, epoch })) {
      // In the last epoch only replicas 0 and 1 take part (say, the clients that reported);
      // the others keep their parameters and momentum bit for bit.
      const active = epoch === 2 ? [0, 1] : undefined;
      if (epoch === 2 && first) { snapshot = Float32Array.from(await params.data()); first = false; }
      d.tidy(() => opt.step(d.grad(loss)(params, x, y), { active }));
      d.dispose([x, y, indices]);
    }
  }
  const untouched = snapshot !== null && (await params.data()).slice(2 * net.size).every((v, i) => Object.is(v, snapshot![2 * net.size + i]));

  const xs = d.tensor(data.x, [data.n, 784]), ys = d.tensor(data.y, [data.n]);
  const losses = Array.from(await perReplica(params, xs, ys).data());

  // Replica 1 against one model trained alone with replica 1's settings on the same batches
  // (the population runs batched matmuls, one model the fused linear op: equal up to float32
  // rounding).
  const alone = net.init({ seed: 7 });
  const one = new d.SGD(alone, { lr: lrs[1], momentum: 0.9 });
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const { x, y, indices } of d.batches(data, { batchSize: 128, seed: 3, epoch })) {
      d.tidy(() => one.step(d.grad((p: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y))(alone)));
      d.dispose([x, y, indices]);
    }
  }
  const single = Float32Array.from(await alone.data());
  const replica1 = Float32Array.from((await params.data()).slice(net.size, 2 * net.size));
  opt.dispose();
  one.dispose();
  d.dispose([params, alone, xs, ys]);
  return { lrs, losses, single, replica1, untouched };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await populations();
  console.log({ lrs: r.lrs, losses: r.losses, untouched: r.untouched, maxDiff: r.single.reduce((m, v, i) => Math.max(m, Math.abs(v - r.replica1[i]!)), 0) });
}
