// Derivative rules of the shape ops. Forward, each maps the tangent by the same view;
// backward, each applies the adjoint view (reshape back, inverse permutation, sum over
// broadcast axes, slices of a concat). A slice's cotangent stays a Piece until the backward
// pass joins all pieces of one tensor.

import type { Tensor } from '../../tensor.js';
import { zeros } from '../../ops/creation.js';
import { broadcastTo, concat, contiguous, permute, reshape, slice } from '../../ops/views.js';
import { align, tangentShape, unbroadcast } from './elementwise.js';
import type { Lead, Rule } from './types.js';

const shift = (axis: number, lead: Lead) => (axis < 0 ? axis : axis + lead);

export const viewRules: { readonly [K in 'contiguous' | 'reshape' | 'permute' | 'slice' | 'broadcastTo' | 'concat']: Rule<K> } = {
  contiguous: {
    vjp: (_e, g) => [g],
    jvp: (_e, [t]) => contiguous(t!),
  },
  reshape: {
    vjp: (e, g) => [reshape(g, e.attrs.shape)],
    jvp: (e, [t], _memo, lead) => reshape(t!, tangentShape(e, lead, t!)),
  },
  permute: {
    vjp: (e, g) => {
      const perm = e.attrs.perm;
      const inverse = perm.slice();
      perm.forEach((p, i) => { inverse[p] = i; });
      return [permute(g, inverse)];
    },
    jvp: (e, [t], _memo, lead) => permute(t!, [...(lead ? [0] : []), ...e.attrs.perm.map((p) => p + lead)]),
  },
  slice: {
    vjp: (e, g) => [{ kind: 'piece', value: g, begin: e.attrs.begin, size: e.attrs.size, inShape: e.attrs.inShape }],
    jvp: (e, [t], _memo, lead) => slice(t!, [...(lead ? [0] : []), ...e.attrs.begin], [...t!.shape.slice(0, lead), ...e.attrs.size]),
  },
  broadcastTo: {
    vjp: (e, g) => [unbroadcast(g, e.attrs.inShape)],
    jvp: (e, [t], _memo, lead) => broadcastTo(align(t!, e.output.rank, lead), tangentShape(e, lead, t!)),
  },
  concat: {
    vjp: (e, g, needs) => {
      const { axis, sizes } = e.attrs;
      let at = 0;
      return sizes.map((s, i) => {
        const begin = g.shape.map((_, j) => (j === axis ? at : 0)), size = g.shape.map((d, j) => (j === axis ? s : d));
        at += s;
        return needs[i] ? slice(g, begin, size) : null;
      });
    },
    jvp: (e, t, _memo, lead) => {
      const probes = t.find((x) => x)!.shape.slice(0, lead);
      const zero = (x: Tensor) => zeros([...probes, ...x.shape], { dtype: x.dtype, backend: x.backend });
      return concat(t.map((ti, i): Tensor => ti ?? zero(e.inputs[i]!)), shift(e.attrs.axis, lead));
    },
  },
};
