// The `descent train` job (options in train-options.ts): trains an MLP classifier on
// Fashion-MNIST (or the copy of its test split that ships in data/) on the job framework.
//
// Contract. Everything goes to the --out folder: config.json (the run's settings),
// metrics.json (per epoch: train and test loss and accuracy of the parameters at the end of
// the epoch, the mean minibatch loss, the learning-rate factor, seconds), plot.svg and
// plot.vl.json (vega-lite 5), weights.safetensors (the network as a PyTorch nn.Sequential
// state_dict, `0.weight` [out, in], `0.bias`, `2.weight`..., with its widths and activation
// in the metadata: `descent spectrum --model DIR/weights.safetensors` reads it), and
// state/checkpoint-<epoch>.safetensors (+ .json: parameters, optimizer state), committed
// by the job's manifest after every epoch (job.ts). Started again with the same settings
// and data, the job resumes after the last committed epoch and produces the same numbers
// bit for bit as an uninterrupted run (minibatch order is a function of the seed and the
// epoch; the optimizer state is restored exactly). A kill loses at most the epoch in
// flight. A loss that becomes non-finite stops the job with an error (exit 1).

import '../backends.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { initBackend } from '../backend/backend.js';
import { valueAndGrad } from '../autodiff/grad.js';
import { batchCount, gatherRows, minibatches } from '../data/batches.js';
import type { ClassificationData } from '../data/dataset.js';
import { takeRows } from '../data/dataset.js';
import { defaultDataDir, FASHION_MNIST_DIR, fashionMnistFiles, loadDefaultDataset, loadFashionMnist } from '../data/fashion-mnist.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { mlpToStateDict, unflattenMlp } from '../io/mlp-weights.js';
import { classificationMetrics } from '../nn/metrics.js';
import { MLP } from '../nn/mlp.js';
import { softmaxCrossEntropy } from '../nn/losses.js';
import { tensor } from '../ops/creation.js';
import { createOptimizer, loadCheckpoint, saveCheckpoint } from '../optim/index.js';
import type { GroupSpec, Optimizer, ScheduleSpec } from '../optim/index.js';
import { checkSchedule } from '../optim/schedule.js';
import { dispose } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import type { Json } from '../algorithms/experiment.js';
import { checkMemory, Job, JobError } from './job.js';
import { Progress } from './progress.js';
import type { TrainArgs, TrainConfig } from './train-options.js';
import { UsageError } from './usage.js';
import { renderSvg } from './vega.js';

export interface EpochMetrics {
  epoch: number;
  steps: number;
  lrFactor: number;
  batchLoss: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
}

/** What the job commits in its manifest after each epoch. */
interface TrainState {
  [key: string]: Json;
  epoch: number;
  checkpoint: string;
  metrics: Json;
}

/** The schedule spec for the run: warm-up, then constant/cosine/step, all times batch-size scaling. */
function scheduleSpec(s: Record<string, unknown>, epochs: number, stepsPerEpoch: number, batchSize: number): ScheduleSpec {
  const total = epochs * stepsPerEpoch, warm = s.warmup as number;
  let inner: ScheduleSpec = { kind: 'constant' };
  if (s.name === 'cosine') inner = { kind: 'cosine', total: Math.max(1, total - warm), min: s.minLrFactor as number };
  if (s.name === 'step') inner = { kind: 'step', every: (s.stepEvery as number) * stepsPerEpoch, gamma: s.gamma as number };
  let spec: ScheduleSpec = warm > 0 ? { kind: 'warmup', steps: warm, then: inner } : inner;
  if (s.baseBatchSize !== null) {
    spec = { kind: 'batchScaling', batchSize, baseBatchSize: s.baseBatchSize as number, rule: s.scaleRule as 'linear' | 'sqrt', then: spec };
  }
  return checkSchedule(spec);
}

/** The data files a config reads (their content is part of the job's fingerprint). */
export function trainInputs(config: TrainConfig): string[] {
  if (config.data === 'fashion-mnist') {
    const tr = fashionMnistFiles('train', FASHION_MNIST_DIR), te = fashionMnistFiles('test', FASHION_MNIST_DIR);
    return [tr.images, tr.labels, te.images, te.labels];
  }
  const f = fashionMnistFiles('test', defaultDataDir());
  return [f.images, f.labels];
}

function loadData(config: TrainConfig): { train: ClassificationData; test: ClassificationData } {
  if (config.data === 'fashion-mnist') {
    return {
      train: loadFashionMnist({ split: 'train', ...(config.trainLimit ? { limit: config.trainLimit } : {}) }),
      test: loadFashionMnist({ split: 'test', ...(config.testLimit ? { limit: config.testLimit } : {}) }),
    };
  }
  const all = loadDefaultDataset();
  const cut = Math.floor(all.n * 0.8);
  const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
  return {
    train: takeRows(all, range(0, Math.min(cut, config.trainLimit ?? cut))),
    test: takeRows(all, range(cut, Math.min(all.n, cut + (config.testLimit ?? all.n)))),
  };
}

/** Parameter groups: weights, and biases without weight decay unless --decay-bias. */
function groups(model: MLP, config: TrainConfig): GroupSpec[] | undefined {
  const wd = config.options.weightDecay;
  if (config.decayBias || wd === undefined || wd === 0 || config.optimizer === 'AdaGradNorm') return undefined;
  return model.layout.params.map((p) => ({ end: p.offset + p.size, ...(p.role === 'bias' ? { weightDecay: 0 } : {}) }));
}

/** Renders the per-epoch loss and accuracy (train and test) with vega-lite 5 → vega 5 → SVG. */
export async function renderPlot(metrics: readonly EpochMetrics[], title: string): Promise<{ spec: object; svg: string }> {
  const rows = metrics.flatMap((m) => [
    { epoch: m.epoch, split: 'train', metric: 'loss', value: m.trainLoss },
    { epoch: m.epoch, split: 'test', metric: 'loss', value: m.testLoss },
    { epoch: m.epoch, split: 'train', metric: 'accuracy', value: m.trainAccuracy },
    { epoch: m.epoch, split: 'test', metric: 'accuracy', value: m.testAccuracy },
  ]);
  // Ticks at whole epochs only: with few epochs vega's nice ticks fall at 1.5, 2.5..., which
  // a whole-number format then printed as "1 2 2 3 3".
  const epochs = metrics.map((m) => m.epoch);
  const axis = epochs.length <= 20 ? { values: epochs, format: 'd' } : { tickMinStep: 1, format: 'd' };
  const panel = (metric: string) => ({
    title: metric,
    transform: [{ filter: `datum.metric === '${metric}'` }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis, scale: { nice: false } },
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
      color: { field: 'split', type: 'nominal' },
    },
    width: 320,
    height: 220,
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    hconcat: [panel('loss'), panel('accuracy')],
  };
  return { spec, svg: await renderSvg(spec as unknown as TopLevelSpec) };
}

/** weights.safetensors' bytes: the arena as a PyTorch nn.Sequential state_dict (io/mlp-weights.ts). */
export function weightsFile(model: MLP, flat: Float32Array): Uint8Array {
  const weights = unflattenMlp(model.sizes, flat);
  return encodeSafetensors(mlpToStateDict(weights), {
    format: 'pt', 'descent.widths': model.sizes.join(','), 'descent.activation': model.activation,
  }, 'descent train');
}

/** The estimated peak memory of a run in bytes (data, arena with optimizer state, a batch's activations). */
function memoryEstimate(config: TrainConfig, features: number, classes: number, rows: number): number {
  const widths = [features, ...config.hidden, classes];
  let params = 0;
  for (let l = 0; l + 1 < widths.length; l++) params += widths[l]! * widths[l + 1]! + widths[l + 1]!;
  const activations = Math.min(config.batchSize, rows) * widths.reduce((a, b) => a + b, 0);
  const evalActivations = Math.min(2000, rows) * widths.reduce((a, b) => a + b, 0);
  // parameters, gradient, up to three state buffers, checkpoint copies; activations kept for the backward pass.
  return 4 * (7 * params + 3 * Math.max(activations, evalActivations));
}

/** Runs the training job; returns the exit code. */
export async function runTrain(args: TrainArgs): Promise<number> {
  const { config, progress, quiet } = args;
  const say = (s: string) => { if (!quiet) process.stderr.write(s); };
  const b = await initBackend(config.backend);
  if (args.threads !== undefined) {
    if (b.name !== 'cpu') throw new UsageError(`--threads: applies to the cpu backend, not '${b.name}'`);
    (await import('../backend/cpu/index.js')).setThreads(args.threads);
  }
  const job = Job.open({
    command: 'train', out: args.out, options: { ...config, backend: b.name } as unknown as { [k: string]: Json },
    inputs: { '--data': trainInputs(config) }, fresh: args.fresh, quiet,
  });
  try {
    const { train, test } = await job.timed('setup', () => loadData(config));
    checkMemory('--hidden, --batch-size and the data', memoryEstimate(config, train.features, train.classes, train.n) + 4 * (train.x.length + test.x.length));
    const stepsPerEpoch = batchCount(train.n, config.batchSize);
    const model = new MLP([train.features, ...config.hidden, train.classes], { activation: config.activation });
    const params = model.init({ seed: config.seed, backend: b });
    const { schedule: scheduleOpts, ...hyper } = config.options;
    const g = groups(model, config);
    const options = {
      ...hyper,
      schedule: scheduleSpec(scheduleOpts as Record<string, unknown>, config.epochs, stepsPerEpoch, config.batchSize),
      ...(g ? { groups: g } : {}),
    };
    let opt: Optimizer;
    try {
      opt = createOptimizer(config.optimizer, params, options);
    } catch (e) {
      if (e instanceof RangeError || e instanceof TypeError) throw new UsageError(`--optimizer ${config.optimizer.toLowerCase()}: ${e.message}`);
      throw e;
    }
    job.begin();
    const state = job.state as TrainState | null;
    let metrics: EpochMetrics[] = [];
    if (state && state.epoch > 0) {
      job.readFile(state.checkpoint); // verified against its checksum before it is used
      job.readFile(state.checkpoint.replace(/\.safetensors$/, '.json'));
      loadCheckpoint(job.path(state.checkpoint), opt, { params });
      metrics = state.metrics as unknown as EpochMetrics[];
      if (metrics.length < config.epochs) say(`resuming ${job.dir} after epoch ${metrics.length} (step ${opt.stepCount})\n`);
    }
    if (!job.has('config.json')) {
      job.writeFile('config.json', `${JSON.stringify({ ...config, model: model.sizes, parameters: model.size, trainExamples: train.n, testExamples: test.n, stepsPerEpoch, schedule: options.schedule }, null, 2)}\n`, { commitNow: true });
    }

    const lossAndGrad = valueAndGrad((p: Tensor, x: Tensor, y: Tensor) => softmaxCrossEntropy(model.apply(p, x), y));
    const bar = new Progress({ total: config.epochs * stepsPerEpoch, label: 'train', enabled: progress });
    bar.start(metrics.length * stepsPerEpoch);
    for (let epoch = metrics.length + 1; epoch <= config.epochs; epoch++) {
      const started = Date.now();
      let sum = 0, count = 0;
      for (const rows of minibatches(train.n, { batchSize: config.batchSize, seed: config.seed, epoch })) {
        const x = tensor(gatherRows(train.x, train.features, rows), [rows.length, train.features], { backend: b });
        const y = tensor(gatherRows(train.y, 1, rows), [rows.length], { backend: b, dtype: 'int32' });
        const { value, grad } = lossAndGrad(params, x, y);
        opt.step(grad);
        const l = (await value.data())[0]!;
        dispose([x, y, value, grad]);
        if (!Number.isFinite(l)) {
          const lr = (config.options.lr as number | undefined) ?? 'the default';
          throw new JobError(`the training loss became ${l} at step ${opt.stepCount} (epoch ${epoch}): the run diverged; lower --lr (now ${lr}) or add --clip. `
            + `The last good state (epoch ${metrics.length}) stays in ${job.dir}`);
        }
        sum += l * rows.length;
        count += rows.length;
        bar.tick(1, `epoch ${epoch}/${config.epochs} loss ${(sum / count).toFixed(4)}`);
      }
      const tr = await classificationMetrics(model, params, train, { backend: b });
      const te = await classificationMetrics(model, params, test, { backend: b });
      const m: EpochMetrics = {
        epoch, steps: opt.stepCount, lrFactor: opt.lrFactor(opt.stepCount), batchLoss: sum / count,
        trainLoss: tr.loss[0]!, trainAccuracy: tr.accuracy[0]!, testLoss: te.loss[0]!, testAccuracy: te.accuracy[0]!,
        seconds: (Date.now() - started) / 1000,
      };
      if (!Number.isFinite(m.trainLoss) || !Number.isFinite(m.testLoss)) {
        throw new JobError(`the loss of epoch ${epoch}'s parameters is not finite (train ${m.trainLoss}, test ${m.testLoss}): the run diverged; lower --lr`);
      }
      metrics.push(m);
      // The epoch's files, then the manifest that commits them, then the previous checkpoint goes.
      const ckpt = `state/checkpoint-${String(epoch).padStart(5, '0')}.safetensors`;
      mkdirSync(job.path('state'), { recursive: true });
      await saveCheckpoint(job.path(ckpt), opt, { params }, { epoch, config, metrics });
      job.adoptFile(ckpt);
      job.adoptFile(ckpt.replace(/\.safetensors$/, '.json'));
      job.writeFile('weights.safetensors', weightsFile(model, (await params.data()) as Float32Array));
      job.writeFile('metrics.json', `${JSON.stringify({ config, epochs: metrics }, null, 2)}\n`);
      const { spec, svg } = await renderPlot(metrics, `${config.optimizer} · MLP ${model.sizes.join('-')} · ${config.data}`);
      job.writeFile('plot.vl.json', `${JSON.stringify(spec, null, 2)}\n`);
      job.writeFile('plot.svg', svg);
      const previous = (job.state as TrainState | null)?.checkpoint;
      const next: TrainState = { epoch, checkpoint: ckpt, metrics: metrics as unknown as Json };
      if (epoch === config.epochs) job.finish(next);
      else job.commit(next);
      if (previous && previous !== ckpt) {
        job.removeFile(previous);
        job.removeFile(previous.replace(/\.safetensors$/, '.json'));
        job.save();
      }
      // NOTE: on a terminal, clear the bar's line first; it redraws below on the next step.
      say(`${progress && process.stderr.isTTY ? '\r\x1b[2K' : ''}epoch ${epoch}/${config.epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAccuracy).toFixed(2)}% · `
        + `test loss ${m.testLoss.toFixed(4)} acc ${(100 * m.testAccuracy).toFixed(2)}% · ${m.seconds.toFixed(1)} s\n`);
    }
    bar.finish();
    if (job.status !== 'done') job.finish();
    opt.dispose();
    params.dispose();
    const last = metrics.at(-1);
    console.log(JSON.stringify({ out: job.dir, epochs: metrics.length, testAccuracy: last?.testAccuracy ?? null, testLoss: last?.testLoss ?? null, weights: join(job.dir, 'weights.safetensors') }));
    return 0;
  } finally {
    job.close();
  }
}
