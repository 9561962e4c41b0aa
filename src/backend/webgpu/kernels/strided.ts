// Strided index maps for the elementwise and copy kernels: collapsing axes, and splitting
// shapes of more than MAX_RANK axes into dispatches over the leading indices.

export const MAX_RANK = 6;

export interface Collapsed {
  shape: number[];
  /** strides[v][axis] for each view v. */
  strides: number[][];
}

/**
 * Drops axes of length 1 and merges adjacent axes that every view walks contiguously
 * (stride[a] = stride[a+1]·shape[a+1]), so that a broadcast or a contiguous block costs
 * one axis. A scalar shape becomes [1].
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): Collapsed {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let a = 0; a < shape.length; a++) {
    if (shape[a] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, v) => st[v]![last] === s[a]! * shape[a]!)) {
      dims[last]! *= shape[a]!;
      strides.forEach((s, v) => { st[v]![last] = s[a]!; });
    } else {
      dims.push(shape[a]!);
      strides.forEach((s, v) => st[v]!.push(s[a]!));
    }
  }
  if (dims.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: dims, strides: st };
}

export interface Part {
  /** Offset added to each view's offset for this dispatch. */
  offsets: number[];
  /** Offset of this part in a contiguous output. */
  outOffset: number;
}

/**
 * For a collapsed shape of more than MAX_RANK axes: one part per index of the leading
 * axes, each covering the trailing MAX_RANK axes. A shape within MAX_RANK is one part.
 */
export function parts(c: Collapsed): { inner: Collapsed; parts: Part[] } {
  const lead = Math.max(0, c.shape.length - MAX_RANK);
  const inner: Collapsed = { shape: c.shape.slice(lead), strides: c.strides.map((s) => s.slice(lead)) };
  const innerSize = inner.shape.reduce((p, d) => p * d, 1);
  const count = c.shape.slice(0, lead).reduce((p, d) => p * d, 1);
  const out: Part[] = [];
  const idx = new Array<number>(lead).fill(0);
  for (let k = 0; k < count; k++) {
    out.push({ offsets: c.strides.map((s) => idx.reduce((acc, i, a) => acc + i * s[a]!, 0)), outOffset: k * innerSize });
    for (let a = lead - 1; a >= 0; a--) {
      if (++idx[a]! < c.shape[a]!) break;
      idx[a] = 0;
    }
  }
  return { inner, parts: out };
}
