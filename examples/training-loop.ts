// docs/API.md, "A training loop": minibatches as tensors, a loss and its gradient, a fused
// optimizer step with a schedule, evaluation. The test suite runs it (test/examples-api.test.ts).
import * as d from '../src/index.js';

export async function trainingLoop(epochs = 3): Promise<{ losses: number[]; accuracy: number; steps: number }> {
  // 1000 Fashion-MNIST images shipped with descent: 800 to train on, 200 to test.
  const all = d.loadDefaultDataset({ limit: 1000 });
  const train = d.takeRows(all, d.subsetIndices(1000, 800));
  const test = d.takeRows(all, Array.from({ length: 200 }, (_, i) => 800 + i));

  const net = new d.MLP([784, 64, 10]);                 // relu hidden layer, He init
  const params = net.init({ seed: 0 });                 // one flat arena [P]
  const opt = new d.Adam(params, { lr: 3e-3, schedule: { kind: 'inverseTime', gamma: 0.01 } });
  const lossOf = (p: d.Tensor, x: d.Tensor, y: d.Tensor) => d.softmaxCrossEntropy(net.apply(p, x), y);

  const losses: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    let sum = 0, count = 0;
    for (const { x, y, indices } of d.batches(train, { batchSize: 64, seed: 1, epoch })) {
      // tidy frees every intermediate tensor; the step writes into `params` in place.
      const value = d.tidy(() => {
        const { value, grad } = d.valueAndGrad(lossOf)(params, x, y);
        opt.step(grad);
        return d.keep(value);
      });
      sum += (await value.item()) * x.shape[0]!;
      count += x.shape[0]!;
      d.dispose([value, x, y, indices]);
    }
    losses.push(sum / count);
  }

  // Accuracy on the held-out rows.
  const xt = d.tensor(test.x, [test.n, 784]), yt = d.tensor(test.y, [test.n]);
  const predicted = await d.argmax(net.apply(params, xt), -1).data();
  const labels = await yt.data();
  const accuracy = predicted.filter((c, i) => c === labels[i]).length / test.n;
  const steps = opt.stepCount;
  opt.dispose();
  d.dispose([params, xt, yt]);
  return { losses, accuracy, steps };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await trainingLoop());
