// The options of `descent train`: one spec table (args.ts) → parsing, validation and --help,
// and the run's Config (every setting that changes the result, the job's fingerprint).
// Light to load: the command parses before the job's code loads.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../backend/ops.js';
import { FASHION_MNIST_DIR } from '../data/fashion-mnist.js';
import type { Activation } from '../ops/activations.js';
import { activationChoices, backendChoices, helpText, keyValues, optimizerChoices, optimizerKind, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';
import { OptionError } from './args.js';

/** Largest accepted hidden width, epoch count and batch size (beyond them a run cannot fit or end). */
export const TRAIN_LIMITS = { width: 65_536, epochs: 100_000, batchSize: 1_000_000, layers: 64 } as const;

const G = { data: 'data and model', opt: 'optimizer', sched: 'schedule (a factor on the learning rate, per step)', run: 'training' };

export const TRAIN_OPTIONS = {
  data: { kind: 'choice', group: G.data, choices: () => ['auto', 'fashion-mnist', 'embedded'], default: 'auto',
    help: `fashion-mnist (${FASHION_MNIST_DIR}); embedded (descent's data/: 10,000 test images, first 8,000 to train, last 2,000 to test); auto: the first that exists` },
  'train-limit': { kind: 'int', group: G.data, min: 1, help: 'use the first N training images' },
  'test-limit': { kind: 'int', group: G.data, min: 1, help: 'use the first N test images' },
  hidden: { kind: 'string', group: G.data, arg: 'LIST', default: '256,256', help: 'hidden widths, comma-separated' },
  activation: { kind: 'choice', group: G.data, choices: activationChoices, default: 'relu', help: 'hidden activation' },
  optimizer: { kind: 'choice', group: G.opt, choices: optimizerChoices, default: 'adam', help: 'optimizer' },
  lr: { kind: 'number', group: G.opt, min: 0, help: "base learning rate (default: the optimizer's)" },
  momentum: { kind: 'number', group: G.opt, min: 0, help: 'momentum (sgd, rmsprop)' },
  beta1: { kind: 'number', group: G.opt, min: 0, max: 1, help: 'β₁' },
  beta2: { kind: 'number', group: G.opt, min: 0, max: 1, help: 'β₂' },
  eps: { kind: 'number', group: G.opt, min: 0, help: 'ε' },
  'weight-decay': { kind: 'number', group: G.opt, min: 0, help: 'weight decay' },
  nesterov: { kind: 'flag', group: G.opt, help: 'Nesterov momentum (sgd)' },
  amsgrad: { kind: 'flag', group: G.opt, help: 'AMSGrad variant' },
  centered: { kind: 'flag', group: G.opt, help: 'centred RMSProp' },
  'legacy-friction': { kind: 'flag', group: G.opt, help: "diffgrad: the published code's constant friction ξ ≡ ½" },
  opt: { kind: 'list', group: G.opt, help: 'any other hyperparameter of the optimizer (repeatable), e.g. --opt lrDecay=0.01' },
  'decay-bias': { kind: 'flag', group: G.opt, help: 'apply weight decay to biases too (default: weights only)' },
  clip: { kind: 'number', group: G.opt, positive: true, arg: 'NORM', help: 'clip the gradient norm to NORM' },
  schedule: { kind: 'choice', group: G.sched, choices: () => ['constant', 'cosine', 'step'], default: 'constant', help: 'learning-rate schedule' },
  'step-every': { kind: 'int', group: G.sched, min: 1, default: 1, help: 'step: multiply by --gamma every N epochs' },
  gamma: { kind: 'number', group: G.sched, positive: true, default: 0.1, help: 'step: the factor' },
  'min-lr-factor': { kind: 'number', group: G.sched, min: 0, default: 0, help: 'cosine: the final factor' },
  warmup: { kind: 'int', group: G.sched, min: 0, default: 0, help: 'linear warm-up over the first N steps' },
  'base-batch-size': { kind: 'int', group: G.sched, min: 1, help: 'scale the learning rate by batch size / N (--scale-rule)' },
  'scale-rule': { kind: 'choice', group: G.sched, choices: () => ['linear', 'sqrt'], default: 'linear', help: 'batch-size scaling rule' },
  epochs: { kind: 'int', group: G.run, min: 1, max: TRAIN_LIMITS.epochs, default: 10, help: 'epochs' },
  'batch-size': { kind: 'int', group: G.run, min: 1, max: TRAIN_LIMITS.batchSize, default: 128, help: 'minibatch size' },
  seed: { kind: 'int', group: G.run, min: 0, max: 2 ** 32 - 1, default: 0, help: 'seed of the initialisation and the shuffling' },
  backend: { kind: 'choice', group: G.run, choices: backendChoices, default: 'cpu', help: 'backend' },
  threads: { kind: 'int', group: G.run, min: 1, max: 1024, help: 'native threads (cpu backend)' },
  out: { kind: 'string', group: G.run, arg: 'DIR', nonEmpty: true, help: 'output folder (default runs/train-<optimizer>)' },
  fresh: { kind: 'flag', group: G.run, help: 'discard a previous job in --out (only the files descent wrote) and start over' },
  'no-progress': { kind: 'flag', group: G.run, help: 'no progress bar' },
  quiet: { kind: 'flag', group: G.run, help: 'no progress bar or per-epoch lines' },
} as const satisfies OptionSpecs;

export const TRAIN_HELP = helpText('descent train [options]',
  'Trains an MLP on Fashion-MNIST with any optimizer and schedule; writes metrics.json, plot.svg,\n'
  + 'weights.safetensors (a PyTorch nn.Sequential state_dict: `descent spectrum --model` reads it)\n'
  + 'and a checkpoint per epoch to --out, and resumes from it when started again.', TRAIN_OPTIONS);

/** The settings that define a run (a resumed run must match them). */
export interface TrainConfig {
  [key: string]: unknown;
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
  backend: BackendName | 'auto';
}

export interface TrainArgs {
  config: TrainConfig;
  out: string;
  fresh: boolean;
  progress: boolean;
  quiet: boolean;
  threads: number | undefined;
}

function parseValue(s: string): unknown {
  if (s === 'true') return true;
  if (s === 'false') return false;
  const x = Number(s);
  if (s.trim() !== '' && Number.isFinite(x)) return x;
  return s;
}

/** Parses `descent train`'s command line (OptionError/UsageError on bad input; 'help' for -h). */
export function parseTrainArgs(argv: readonly string[]): TrainArgs | 'help' {
  const p = parseOptions('train', TRAIN_OPTIONS, argv);
  if (p === 'help') return 'help';
  const v = p.values;
  const kind = optimizerKind(v.optimizer);
  const hidden = v.hidden.split(',').filter((s) => s !== '').map((s) => {
    const w = Number(s);
    if (!Number.isSafeInteger(w) || w < 1 || w > TRAIN_LIMITS.width) throw new OptionError('--hidden', `positive integer widths ≤ ${TRAIN_LIMITS.width}, comma-separated`, v.hidden);
    return w;
  });
  if (hidden.length > TRAIN_LIMITS.layers) throw new OptionError('--hidden', `at most ${TRAIN_LIMITS.layers} hidden layers`, v.hidden);
  const options: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => { if (value !== undefined) options[key] = value; };
  set('lr', v.lr);
  set('momentum', v.momentum);
  set('beta1', v.beta1);
  set('beta2', v.beta2);
  set('eps', v.eps);
  set('weightDecay', v['weight-decay']);
  set('clipNorm', v.clip);
  if (v.nesterov) options.nesterov = true;
  if (v.amsgrad) options.amsgrad = true;
  if (v.centered) options.centered = true;
  if (v['legacy-friction']) options.legacyConstantFriction = true;
  if (kind === 'EGPlusMinus') options.form = 'pm';
  for (const [k, text] of Object.entries(keyValues('--opt', v.opt))) options[k] = parseValue(text);
  options.schedule = {
    name: v.schedule, stepEvery: v['step-every'], gamma: v.gamma, minLrFactor: v['min-lr-factor'], warmup: v.warmup,
    baseBatchSize: v['base-batch-size'] ?? null, scaleRule: v['scale-rule'],
  };
  const data = v.data === 'auto' ? (existsSync(FASHION_MNIST_DIR) ? 'fashion-mnist' : 'embedded') : v.data as TrainConfig['data'];
  const config: TrainConfig = {
    data, trainLimit: v['train-limit'] ?? null, testLimit: v['test-limit'] ?? null, hidden, activation: v.activation as Activation,
    optimizer: kind, options, decayBias: v['decay-bias'], epochs: v.epochs, batchSize: v['batch-size'], seed: v.seed,
    backend: v.backend as TrainConfig['backend'],
  };
  return {
    config,
    out: v.out ?? join('runs', `train-${v.optimizer.toLowerCase()}`),
    fresh: v.fresh,
    progress: !v['no-progress'] && !v.quiet,
    quiet: v.quiet,
    threads: v.threads,
  };
}
