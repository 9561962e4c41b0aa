// The `reference` backend: plain TypeScript loops in float64, no caching, obviously
// correct and slow. It is the living definition of every op and the oracle of the tests.

import { hostMemory } from '../host.js';
import type { Backend, OpTable } from '../ops.js';
import { elementwise } from './elementwise.js';
import { gather } from './gather.js';
import { matmul } from './matmul.js';
import { optim } from './optim.js';
import { orth } from './orth.js';
import { reduce } from './reduce.js';
import { softmax } from './softmax.js';

export const referenceOps: OpTable = {
  ...elementwise,
  ...reduce,
  ...matmul,
  ...softmax,
  ...gather,
  ...optim,
  ...orth,
};

export const reference: Backend = {
  name: 'reference',
  ops: referenceOps,
  ...hostMemory,
};
