// empty(shape): a tensor whose values are arbitrary, for outputs overwritten completely. Its
// shape, dtype and backend are as asked; writing it fully gives exactly what was written, also
// when its memory is a freed tensor's (the cpu pool); bad arguments are named.

import * as d from '../../src/index.js';
import { eachBackend } from '../helpers/cases.js';

eachBackend('empty · shape, dtype and backend as asked; a freed tensor of the same size may lend its memory, and a full overwrite reads back exactly', async (t, b) => {
  for (const dtype of b.name === 'webgpu' ? ['float32', 'int32'] as const : ['float32', 'float64', 'int32'] as const) {
    const old = d.full([64, 80], 7, { dtype, backend: b });
    old.dispose();
    const e = d.empty([64, 80], { dtype, backend: b });
    t.deepEqual(e.shape, [64, 80]);
    t.is(e.dtype, dtype);
    t.is(e.backend, b);
    const src = d.arange(0, 64 * 80, 1, { dtype, backend: b });
    const c = d.concat([d.reshape(src, [64, 80])], 0); // concat writes into an empty output
    t.deepEqual(Array.from(await c.data()), Array.from({ length: 64 * 80 }, (_, i) => i));
    d.dispose([e, src, c]);
  }
  t.deepEqual(d.empty([0, 3], { backend: b }).shape, [0, 3]);
  t.throws(() => d.empty([2, -1], { backend: b }), { instanceOf: RangeError, message: /^empty: .*'shape'/ });
  t.throws(() => d.empty([2], { dtype: 'float16' as d.DType, backend: b }), { instanceOf: TypeError, message: /^empty: expected one of 'float32', 'float64', 'int32' for 'opts.dtype'/ });
});
