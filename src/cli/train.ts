// `descent train`: trains an MLP classifier on Fashion-MNIST (or the copy of its test split
// that ships in data/) with any optimizer and learning-rate schedule.
//
// Contract. Everything goes to the --out folder: config.json (the run's settings),
// metrics.json (per epoch: train and test loss and accuracy of the parameters at the end of
// the epoch, the mean minibatch loss, the learning-rate factor, seconds), plot.svg and
// plot.vl.json (vega-lite 5), and checkpoint.safetensors + checkpoint.json (parameters,
// optimizer state, epoch, metrics) rewritten atomically after every epoch. Started again
// with the same settings, the job resumes after the last finished epoch and produces the
// same numbers bit for bit as an uninterrupted run (minibatch order is a function of the
// seed and the epoch; the optimizer state is restored exactly). A kill loses at most the
// epoch in flight. Progress goes to stderr; the exit code is 0 on success.

import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import { initBackend } from '../engine.js';
import type { Backend, BackendName } from '../backend/ops.js';
import { valueAndGrad } from '../autodiff/grad.js';
import { batchCount, gatherRows, minibatches } from '../data/batches.js';
import type { ClassificationData } from '../data/dataset.js';
import { takeRows } from '../data/dataset.js';
import { FASHION_MNIST_DIR, loadDefaultDataset, loadFashionMnist } from '../data/fashion-mnist.js';
import { DescentError } from '../errors.js';
import { MLP } from '../nn/mlp.js';
import type { Activation } from '../nn/mlp.js';
import { softmaxCrossEntropy } from '../nn/losses.js';
import { argmax } from '../ops/reduce.js';
import { tensor } from '../ops/creation.js';
import { checkpointJsonPath, createOptimizer, loadCheckpoint, readCheckpoint, saveCheckpoint } from '../optim/index.js';
import type { GroupSpec, Optimizer, ScheduleSpec } from '../optim/index.js';
import { checkSchedule } from '../optim/schedule.js';
import { writeAtomic } from '../io/files.js';
import { Progress } from './progress.js';
import { UsageError } from './usage.js';
import { renderSvg } from './vega.js';
import { dispose, tidy } from '../tensor.js';
import type { Tensor } from '../tensor.js';

const HELP = `usage: descent train [options]

Trains an MLP on Fashion-MNIST with any optimizer and schedule; writes metrics.json, plot.svg
and a checkpoint per epoch to --out, and resumes from it when started again.

data and model
  --data NAME            fashion-mnist (${FASHION_MNIST_DIR}), embedded (descent's data/: the
                         10,000 test images, first 8,000 to train, last 2,000 to test), or auto
                         (the first that exists; default)
  --train-limit N        use the first N training images     --test-limit N   likewise for test
  --hidden LIST          hidden widths, e.g. 256,256 (default 256,256)
  --activation NAME      relu (default), tanh, gelu, sigmoid
optimizer
  --optimizer NAME       ${Object.keys(OPTIMIZER_NAMES()).join(', ')} (default adam)
  --lr X                 base learning rate (default: the optimizer's)
  --momentum X  --beta1 X  --beta2 X  --eps X  --weight-decay X
  --nesterov  --amsgrad  --centered  --legacy-friction
  --opt KEY=VALUE        any other hyperparameter of the optimizer (repeatable), e.g. --opt lrDecay=0.01
  --decay-bias           apply weight decay to biases too (default: weights only)
  --clip NORM            clip the gradient norm to NORM
schedule (a factor on the learning rate, per step)
  --schedule NAME        constant (default), cosine (to --min-lr-factor over the run), step
  --step-every N  --gamma X    for step: multiply by X every N epochs (default 1, 0.1)
  --min-lr-factor X      for cosine (default 0)
  --warmup N             linear warm-up over the first N steps
  --base-batch-size N    scale the learning rate by batch size / N (--scale-rule linear|sqrt)
training
  --epochs N (default 10)  --batch-size N (default 128)  --seed N (default 0)
  --backend NAME         cpu (default), webgpu, reference, auto
  --threads N            native threads (cpu backend)
  --out DIR              output folder (default runs/train-<optimizer>)
  --fresh                ignore (and replace) a checkpoint in --out
  --no-progress          no progress bar
`;

function OPTIMIZER_NAMES(): Record<string, string> {
  return {
    sgd: 'SGD', adam: 'Adam', adamw: 'AdamW', amsgrad: 'AMSGrad', adagrad: 'AdaGrad', adagradnorm: 'AdaGradNorm',
    rmsprop: 'RMSProp', diffgrad: 'DiffGrad', eg: 'EGPlusMinus', optimistic: 'Optimistic',
  };
}

/** The settings that define a run (a resumed run must match them). */
interface Config {
  data: 'fashion-mnist' | 'embedded';
  trainLimit: number | null;
  testLimit: number | null;
  hidden: number[];
  activation: Activation;
  optimizer: string;
  options: Record<string, unknown>;
  decayBias: boolean;
  epochs: number;
  batchSize: number;
  seed: number;
  backend: BackendName;
}

interface EpochMetrics {
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


function num(name: string, v: string | undefined, opts: { int?: boolean; min?: number; positive?: boolean } = {}): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(x) && (!opts.int || Number.isInteger(x))
    && (opts.min === undefined || x >= opts.min) && (!opts.positive || x > 0);
  if (!ok) {
    const what = `${opts.int ? 'an integer' : 'a number'}${opts.positive ? ' > 0' : opts.min !== undefined ? ` ≥ ${opts.min}` : ''}`;
    throw new UsageError(`--${name}: expected ${what} but received '${v}'`);
  }
  return x;
}

function parseValue(s: string): unknown {
  if (s === 'true') return true;
  if (s === 'false') return false;
  const x = Number(s);
  if (s.trim() !== '' && Number.isFinite(x)) return x;
  return s;
}

interface Parsed {
  config: Config;
  out: string;
  fresh: boolean;
  progress: boolean;
  threads: number | undefined;
}

function parse(argv: string[]): Parsed | null {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      data: { type: 'string' }, 'train-limit': { type: 'string' }, 'test-limit': { type: 'string' },
      hidden: { type: 'string' }, activation: { type: 'string' },
      optimizer: { type: 'string' }, lr: { type: 'string' }, momentum: { type: 'string' }, beta1: { type: 'string' },
      beta2: { type: 'string' }, eps: { type: 'string' }, 'weight-decay': { type: 'string' },
      nesterov: { type: 'boolean' }, amsgrad: { type: 'boolean' }, centered: { type: 'boolean' }, 'legacy-friction': { type: 'boolean' },
      opt: { type: 'string', multiple: true }, 'decay-bias': { type: 'boolean' }, clip: { type: 'string' },
      schedule: { type: 'string' }, 'step-every': { type: 'string' }, gamma: { type: 'string' }, 'min-lr-factor': { type: 'string' },
      warmup: { type: 'string' }, 'base-batch-size': { type: 'string' }, 'scale-rule': { type: 'string' },
      epochs: { type: 'string' }, 'batch-size': { type: 'string' }, seed: { type: 'string' },
      backend: { type: 'string' }, threads: { type: 'string' }, out: { type: 'string' }, fresh: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
    },
  });
  if (v.help) return null;
  const optName = (v.optimizer ?? 'adam').toLowerCase();
  const kind = OPTIMIZER_NAMES()[optName];
  if (!kind) throw new UsageError(`--optimizer: expected one of ${Object.keys(OPTIMIZER_NAMES()).join(', ')} but received '${v.optimizer}'`);
  const epochs = num('epochs', v.epochs ?? '10', { int: true, positive: true })!;
  const batchSize = num('batch-size', v['batch-size'] ?? '128', { int: true, positive: true })!;
  const hidden = (v.hidden ?? '256,256').split(',').filter((s) => s !== '').map((s) => num('hidden', s, { int: true, positive: true })!);
  const activation = (v.activation ?? 'relu') as Activation;
  if (!['relu', 'tanh', 'gelu', 'sigmoid'].includes(activation)) throw new UsageError(`--activation: expected relu, tanh, gelu or sigmoid but received '${activation}'`);
  const data = v.data ?? 'auto';
  if (!['auto', 'fashion-mnist', 'embedded'].includes(data)) throw new UsageError(`--data: expected fashion-mnist, embedded or auto but received '${data}'`);
  const backend = (v.backend ?? 'cpu') as BackendName | 'auto';
  if (!['cpu', 'webgpu', 'reference', 'auto'].includes(backend)) throw new UsageError(`--backend: expected cpu, webgpu, reference or auto but received '${backend}'`);

  const options: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => { if (value !== undefined) options[key] = value; };
  set('lr', num('lr', v.lr, { min: 0 }));
  set('momentum', num('momentum', v.momentum, { min: 0 }));
  set('beta1', num('beta1', v.beta1, { min: 0 }));
  set('beta2', num('beta2', v.beta2, { min: 0 }));
  set('eps', num('eps', v.eps, { min: 0 }));
  set('weightDecay', num('weight-decay', v['weight-decay'], { min: 0 }));
  set('clipNorm', num('clip', v.clip, { positive: true }));
  if (v.nesterov) options.nesterov = true;
  if (v.amsgrad) options.amsgrad = true;
  if (v.centered) options.centered = true;
  if (v['legacy-friction']) options.legacyConstantFriction = true;
  if (kind === 'EGPlusMinus') options.form = 'pm';
  for (const kv of v.opt ?? []) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new UsageError(`--opt: expected KEY=VALUE but received '${kv}'`);
    options[kv.slice(0, at)] = parseValue(kv.slice(at + 1));
  }

  const trainLimit = num('train-limit', v['train-limit'], { int: true, positive: true }) ?? null;
  const testLimit = num('test-limit', v['test-limit'], { int: true, positive: true }) ?? null;
  const resolvedData: Config['data'] = data === 'auto' ? (existsSync(FASHION_MNIST_DIR) ? 'fashion-mnist' : 'embedded') : data as Config['data'];
  options.schedule = {
    name: v.schedule ?? 'constant',
    stepEvery: num('step-every', v['step-every'] ?? '1', { int: true, positive: true }),
    gamma: num('gamma', v.gamma ?? '0.1', { positive: true }),
    minLrFactor: num('min-lr-factor', v['min-lr-factor'] ?? '0', { min: 0 }),
    warmup: num('warmup', v.warmup ?? '0', { int: true, min: 0 }),
    baseBatchSize: num('base-batch-size', v['base-batch-size'], { int: true, positive: true }) ?? null,
    scaleRule: v['scale-rule'] ?? 'linear',
  };
  if (!['constant', 'cosine', 'step'].includes(v.schedule ?? 'constant')) throw new UsageError(`--schedule: expected constant, cosine or step but received '${v.schedule}'`);
  if (!['linear', 'sqrt'].includes(v['scale-rule'] ?? 'linear')) throw new UsageError(`--scale-rule: expected linear or sqrt but received '${v['scale-rule']}'`);
  const config: Config = {
    data: resolvedData, trainLimit, testLimit, hidden, activation, optimizer: kind, options,
    decayBias: v['decay-bias'] ?? false, epochs, batchSize, seed: num('seed', v.seed ?? '0', { int: true, min: 0 })!,
    backend: backend as BackendName,
  };
  return {
    config,
    out: v.out ?? join('runs', `train-${optName}`),
    fresh: v.fresh ?? false,
    progress: !(v['no-progress'] ?? false),
    threads: num('threads', v.threads, { int: true, positive: true }),
  };
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

function loadData(config: Config): { train: ClassificationData; test: ClassificationData } {
  let train: ClassificationData, test: ClassificationData;
  if (config.data === 'fashion-mnist') {
    train = loadFashionMnist({ split: 'train', ...(config.trainLimit ? { limit: config.trainLimit } : {}) });
    test = loadFashionMnist({ split: 'test', ...(config.testLimit ? { limit: config.testLimit } : {}) });
  } else {
    const all = loadDefaultDataset();
    const cut = Math.floor(all.n * 0.8);
    const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
    train = takeRows(all, range(0, Math.min(cut, config.trainLimit ?? cut)));
    test = takeRows(all, range(cut, Math.min(all.n, cut + (config.testLimit ?? all.n))));
  }
  return { train, test };
}

/** Parameter groups: weights, and biases without weight decay unless --decay-bias. */
function groups(model: MLP, config: Config): GroupSpec[] | undefined {
  const wd = config.options.weightDecay;
  if (config.decayBias || wd === undefined || wd === 0 || config.optimizer === 'AdaGradNorm') return undefined;
  return model.layout.params.map((p) => ({ end: p.offset + p.size, ...(p.role === 'bias' ? { weightDecay: 0 } : {}) }));
}

/** Mean loss and accuracy of `params` on a data set, in chunks. */
async function evaluate(model: MLP, params: Tensor, data: ClassificationData, b: Backend): Promise<{ loss: number; accuracy: number }> {
  const chunk = 2000;
  let loss = 0, correct = 0;
  for (let at = 0; at < data.n; at += chunk) {
    const n = Math.min(chunk, data.n - at);
    const x = tensor(data.x.subarray(at * data.features, (at + n) * data.features), [n, data.features], { backend: b });
    const y = tensor(data.y.subarray(at, at + n), [n], { backend: b, dtype: 'int32' });
    const [l, pred] = tidy(() => {
      const logits = model.apply(params, x);
      return [softmaxCrossEntropy(logits, y, { reduction: 'sum' }), argmax(logits, 1)];
    });
    loss += (await l.data())[0]!;
    const p = await pred.data();
    for (let i = 0; i < n; i++) if (p[i] === data.y[at + i]) correct++;
    dispose([x, y, l, pred]);
  }
  return { loss: loss / data.n, accuracy: correct / data.n };
}

/** Renders the per-epoch loss and accuracy (train and test) with vega-lite 5 → vega 5 → SVG. */
export async function renderPlot(metrics: readonly EpochMetrics[], title: string): Promise<{ spec: object; svg: string }> {
  const rows = metrics.flatMap((m) => [
    { epoch: m.epoch, split: 'train', metric: 'loss', value: m.trainLoss },
    { epoch: m.epoch, split: 'test', metric: 'loss', value: m.testLoss },
    { epoch: m.epoch, split: 'train', metric: 'accuracy', value: m.trainAccuracy },
    { epoch: m.epoch, split: 'test', metric: 'accuracy', value: m.testAccuracy },
  ]);
  const panel = (metric: string) => ({
    title: metric,
    transform: [{ filter: `datum.metric === '${metric}'` }],
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
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

/** Runs `descent train`; returns the exit code. */
export async function trainCommand(argv: string[]): Promise<number> {
  let parsed: Parsed | null;
  try {
    parsed = parse(argv);
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`descent train: ${(e as Error).message}\n\n${HELP}`);
      return 2;
    }
    throw e;
  }
  if (!parsed) {
    console.log(HELP);
    return 0;
  }
  const { config, out, progress } = parsed;
  const b = await initBackend(config.backend);
  if (parsed.threads !== undefined) {
    if (b.name !== 'cpu') throw new UsageError(`--threads: applies to the cpu backend, not '${b.name}'`);
    (await import('../backend/cpu/index.js')).setThreads(parsed.threads);
  }
  const { train, test } = loadData(config);
  const stepsPerEpoch = batchCount(train.n, config.batchSize);
  const model = new MLP([train.features, ...config.hidden, train.classes], { activation: config.activation });
  const params = model.init({ seed: config.seed, backend: b });
  const { schedule: scheduleOpts, ...hyper } = config.options;
  const options = {
    ...hyper,
    schedule: scheduleSpec(scheduleOpts as Record<string, unknown>, config.epochs, stepsPerEpoch, config.batchSize),
    ...(groups(model, config) ? { groups: groups(model, config) } : {}),
  };
  const opt: Optimizer = createOptimizer(config.optimizer, params, options);

  mkdirSync(out, { recursive: true });
  const ckpt = join(out, 'checkpoint.safetensors');
  let metrics: EpochMetrics[] = [];
  if (existsSync(ckpt) && !parsed.fresh) {
    const saved = readCheckpoint(ckpt).info as { config?: Config; metrics?: EpochMetrics[] };
    const differs = Object.keys(config).filter((k) => JSON.stringify(saved.config?.[k as keyof Config]) !== JSON.stringify(config[k as keyof Config]));
    if (differs.length > 0) {
      throw new DescentError(`train: ${ckpt} was written by a run with different settings (${differs.join(', ')}); pass --fresh to start over or choose another --out`);
    }
    loadCheckpoint(ckpt, opt, { params });
    metrics = saved.metrics ?? [];
    process.stderr.write(`resuming ${out} after epoch ${metrics.length} (step ${opt.stepCount})\n`);
  } else if (parsed.fresh) {
    for (const f of [ckpt, checkpointJsonPath(ckpt), join(out, 'metrics.json')]) rmSync(f, { force: true });
  }
  writeAtomic(join(out, 'config.json'), `${JSON.stringify({ ...config, model: model.sizes, parameters: model.size, trainExamples: train.n, testExamples: test.n, stepsPerEpoch, schedule: options.schedule }, null, 2)}\n`);

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
      sum += l * rows.length;
      count += rows.length;
      dispose([x, y, value, grad]);
      bar.tick(1, `epoch ${epoch}/${config.epochs} loss ${(sum / count).toFixed(4)}`);
    }
    const tr = await evaluate(model, params, train, b), te = await evaluate(model, params, test, b);
    const m: EpochMetrics = {
      epoch, steps: opt.stepCount, lrFactor: opt.lrFactor(opt.stepCount), batchLoss: sum / count,
      trainLoss: tr.loss, trainAccuracy: tr.accuracy, testLoss: te.loss, testAccuracy: te.accuracy,
      seconds: (Date.now() - started) / 1000,
    };
    metrics.push(m);
    await saveCheckpoint(ckpt, opt, { params }, { epoch, config, metrics });
    writeAtomic(join(out, 'metrics.json'), `${JSON.stringify({ config, epochs: metrics }, null, 2)}\n`);
    const { spec, svg } = await renderPlot(metrics, `${config.optimizer} · MLP ${model.sizes.join('-')} · ${config.data}`);
    writeAtomic(join(out, 'plot.vl.json'), `${JSON.stringify(spec, null, 2)}\n`);
    writeAtomic(join(out, 'plot.svg'), svg);
    // NOTE: on a terminal, clear the bar's line first; it redraws below on the next step.
    process.stderr.write(`${progress && process.stderr.isTTY ? '\r\x1b[2K' : ''}epoch ${epoch}/${config.epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAccuracy).toFixed(2)}% · `
      + `test loss ${m.testLoss.toFixed(4)} acc ${(100 * m.testAccuracy).toFixed(2)}% · ${m.seconds.toFixed(1)} s\n`);
  }
  bar.finish();
  opt.dispose();
  params.dispose();
  const last = metrics.at(-1);
  console.log(JSON.stringify({ out, epochs: metrics.length, testAccuracy: last?.testAccuracy ?? null, testLoss: last?.testLoss ?? null }));
  return 0;
}

/** The metrics a finished or interrupted run wrote (for tools and tests). */
export function readTrainMetrics(out: string): { config: Config; epochs: EpochMetrics[] } {
  return JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { config: Config; epochs: EpochMetrics[] };
}
