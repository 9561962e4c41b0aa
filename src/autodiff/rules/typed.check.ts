// Compile-time tests of the typed records (checked by `tsc --noEmit`, never run): every line
// marked to expect an error must be an error, so a record() call with a misspelt op or
// attribute, or a rule reading an attribute its op does not record, cannot compile.

import { record } from '../../trace.js';
import type { Tensor } from '../../tensor.js';
import type { Rule } from './types.js';

export function typedRecordExamples(x: Tensor, y: Tensor): void {
  record('exp', [x], y);
  record('slice', [x], y, { begin: [0], size: [1], inShape: [2] });
  record('max', [x, x], y);
  record('max', [x], y, { axes: [0], keepDims: false, inShape: [2] });
  // @ts-expect-error a misspelt op
  record('sinn', [x], y);
  // @ts-expect-error a misspelt attribute
  record('slice', [x], y, { begn: [0], size: [1], inShape: [2] });
  // @ts-expect-error a missing attribute object
  record('reshape', [x], y);
  // @ts-expect-error an attribute on an op that records none
  record('exp', [x], y, { axis: 0 });
}

export const readsItsAttributes: Pick<Rule<'concat'>, 'vjp'> = {
  vjp: (e) => e.attrs.sizes.map(() => null),
};

export const readsAnotherOpsAttributes: Pick<Rule<'reshape'>, 'vjp'> = {
  // @ts-expect-error reshape records no 'perm'
  vjp: (e) => [e.attrs.perm],
};
