// Per-entry caches of tensors that depend only on primal values (a relu mask, softmax
// probabilities). A one-shot pass frees them after each entry; an operator that applies
// the same trace many times keeps them until it is disposed.

import { keep } from '../tensor.js';
import type { Tensor } from '../tensor.js';
import type { Memo } from './rules/index.js';
import { alias } from './tape.js';
import type { Entry } from './tape.js';

export interface MemoStore {
  /** The memo for one entry's rule call. */
  for(e: Entry): Memo;
  /** Called after each rule call: frees what a one-shot store made for it. */
  done(): void;
  dispose(): void;
}

const ownedBy = (e: Entry, t: Tensor) => t === e.output || e.inputs.includes(t);

/** Computes each value when asked and frees it once the rule call is done. */
export function oneShotMemo(): MemoStore {
  const made: Tensor[] = [];
  return {
    for: (e) => (_k, make) => {
      const t = make();
      if (!ownedBy(e, t)) made.push(t);
      return t;
    },
    done() {
      for (const t of made) t.dispose();
      made.length = 0;
    },
    dispose() {},
  };
}

/** Computes each value once per entry and keeps it until dispose(). */
export function cachingMemo(): MemoStore {
  const cache = new Map<Entry, Map<string, Tensor>>();
  return {
    for(e) {
      return (k, make) => {
        let m = cache.get(e);
        if (!m) cache.set(e, (m = new Map()));
        let t = m.get(k);
        if (!t) {
          const made = make();
          // The tape owns its entries' tensors (exp's f′ is y itself): cache a view of those.
          t = keep(ownedBy(e, made) ? alias(made) : made);
          m.set(k, t);
        }
        return t;
      };
    },
    done() {},
    dispose() {
      for (const m of cache.values()) for (const t of m.values()) t.dispose();
      cache.clear();
    },
  };
}
