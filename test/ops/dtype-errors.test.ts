// Unsupported dtypes are refused by name at the API, on every backend (issue 18 item 12: on
// webgpu 'float16' and 'bool' reached Dawn as "no overload matched for createBuffer").

import test from 'ava';
import * as d from '../../src/index.js';
import { testBackends } from '../helpers/backends.js';

const names = ['reference', ...(await testBackends()).filter((b) => b.backend).map((b) => b.name)];

for (const backend of names) {
  for (const dtype of ['float16', 'bool', 'int8']) {
    test(`${dtype} · ${backend}: zeros, tensor and cast name the argument and the dtypes`, (t) => {
      const be = backend as d.BackendName;
      t.throws(() => d.zeros([4], { dtype: dtype as d.DType, backend: be }), { instanceOf: TypeError, message: `full: expected one of 'float32', 'float64', 'int32' for 'opts.dtype' but received '${dtype}'` });
      t.throws(() => d.tensor([1, 2], [2], { dtype: dtype as d.DType, backend: be }), { instanceOf: TypeError, message: /^tensor: expected one of .* for 'opts.dtype'/ });
      t.throws(() => d.cast(d.ones([2], { backend: be }), dtype as d.DType), { instanceOf: TypeError, message: /^cast: expected one of .* for 'dtype'/ });
    });
  }
}
