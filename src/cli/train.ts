// `descent train`: trains an MLP classifier on Fashion-MNIST (or the copy of its test split
// that ships in data/) with any optimizer and learning-rate schedule, as a resumable job.
//
// This module is the command: it parses the arguments (train-options.ts) and only then
// loads the job (train-job.ts, which documents the outputs), so `--help` and usage errors
// cost no backend or vega load.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrainArgs, TRAIN_HELP } from './train-options.js';
import type { TrainConfig } from './train-options.js';
import type { EpochMetrics } from './train-job.js';
import { UsageError } from './usage.js';

export { parseTrainArgs, TRAIN_HELP, TRAIN_OPTIONS, TRAIN_LIMITS } from './train-options.js';
export type { TrainArgs, TrainConfig } from './train-options.js';
export type { EpochMetrics } from './train-job.js';

/**
 * Runs `descent train`; returns the exit code (0 done, 2 usage error; job errors throw).
 * @example
 * await trainCommand(['--data', 'embedded', '--epochs', '2', '--out', 'runs/t1']);
 */
export async function trainCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseTrainArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`descent train: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (parsed === 'help') {
    console.log(TRAIN_HELP);
    return 0;
  }
  const { runTrain } = await import('./train-job.js');
  try {
    return await runTrain(parsed);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`descent train: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** The metrics a finished or interrupted run wrote (for tools and tests). */
export function readTrainMetrics(out: string): { config: TrainConfig; epochs: EpochMetrics[] } {
  return JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as { config: TrainConfig; epochs: EpochMetrics[] };
}
