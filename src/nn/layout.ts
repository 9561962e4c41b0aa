// Parameter layouts: where each named parameter lives in a flat arena.
//
// A model's parameters are one contiguous vector of `size` elements (the arena); each named
// parameter is the row-major block [offset, offset + size) of it, seen through slice and
// reshape views, so a gradient is one flat tensor with the same layout. A population of R
// replicas is an arena [R, size]: row r is replica r, and a parameter's view gains a leading
// replica axis.

import { typeError } from '../errors.js';
import { reshape, slice } from '../ops/views.js';
import { fmt, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';

export interface ParamInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  /** Weights are drawn by an initialiser; biases start at zero. */
  readonly role: 'weight' | 'bias';
  /** Inputs and outputs feeding the parameter's layer (for He/Glorot scaling). */
  readonly fanIn: number;
  readonly fanOut: number;
}

export type ParamSpec = Omit<ParamInfo, 'offset' | 'size'>;

export interface Range {
  readonly begin: number;
  readonly end: number;
}

export class ParamLayout {
  readonly params: readonly ParamInfo[];
  /** The arena's length P. */
  readonly size: number;
  private readonly byName: ReadonlyMap<string, ParamInfo>;

  constructor(specs: readonly ParamSpec[]) {
    let offset = 0;
    this.params = specs.map((s) => {
      const size = sizeOf(s.shape);
      const info = { ...s, shape: s.shape.slice(), offset, size };
      offset += size;
      return Object.freeze(info);
    });
    this.size = offset;
    this.byName = new Map(this.params.map((p) => [p.name, p]));
  }

  /** The parameter called `name`. */
  get(name: string): ParamInfo {
    const p = this.byName.get(name);
    if (!p) throw new RangeError(`ParamLayout.get: expected one of ${this.params.map((q) => `'${q.name}'`).join(', ')} for 'name' but received '${name}'`);
    return p;
  }

  /** The arena range spanned by the named parameters (they must be adjacent). */
  range(...names: string[]): Range {
    const ps = names.map((n) => this.get(n)).sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < ps.length; i++) {
      if (ps[i - 1]!.offset + ps[i - 1]!.size !== ps[i]!.offset) {
        throw new RangeError(`ParamLayout.range: expected adjacent parameters but '${ps[i - 1]!.name}' and '${ps[i]!.name}' are not`);
      }
    }
    return { begin: ps[0]!.offset, end: ps.at(-1)!.offset + ps.at(-1)!.size };
  }

  /**
   * The view of parameter `name` in an arena [P] (shape = the parameter's shape) or in a
   * population arena [R, P] (shape [R, ...the parameter's shape]).
   */
  view(arena: Tensor, name: string): Tensor {
    this.check('ParamLayout.view', arena);
    const p = this.get(name);
    if (arena.rank === 1) return reshape(slice(arena, [p.offset], [p.size]), p.shape as number[]);
    const r = arena.shape[0]!;
    return reshape(slice(arena, [0, p.offset], [r, p.size]), [r, ...p.shape]);
  }

  /** Checks that `arena` is [P] or [R, P] for this layout. */
  check(fn: string, arena: unknown, arg = 'params'): Tensor {
    if (!(arena instanceof Tensor)) throw typeError(fn, arg, 'a Tensor', arena);
    if ((arena.rank !== 1 && arena.rank !== 2) || arena.shape.at(-1) !== this.size) {
      throw new RangeError(`${fn}: expected a parameter arena of shape [${this.size}] or [R, ${this.size}] for '${arg}' but received ${fmt(arena.shape)}`);
    }
    if (arena.dtype === 'int32') throw new TypeError(`${fn}: expected a float32 or float64 tensor for '${arg}' but received int32`);
    return arena;
  }
}
