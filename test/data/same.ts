// Exact comparison of large typed arrays for tests (ava's deepEqual is slow on millions of
// elements): undefined when equal, else a description of the first difference.

import type { ExecutionContext } from 'ava';

export function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  if (a.length !== b.length) return `lengths ${a.length} ≠ ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) return `element ${i}: ${a[i]} ≠ ${b[i]}`;
  }
  return undefined;
}

export function assertSame(t: ExecutionContext, a: ArrayLike<number>, b: ArrayLike<number>, label = ''): void {
  const diff = firstDifference(a, b);
  t.is(diff, undefined, label);
}
