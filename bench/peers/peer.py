"""Peer worker for descent's benchmarks: OpenBLAS (through numpy), PyTorch and PyHessian,
measured in a long-lived child process so that the bench can interleave descent's runs with
the peer's runs in one session (bench/peers/peer.ts drives it).

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout
({"ok": true, ...} or {"ok": false, "error": "..."}); nothing else is written to stdout.
Requests:
  {"op": "info"}                               versions, OpenBLAS core and config, threads
  {"op": "threads", "n": 2}                    OpenBLAS and torch thread counts
  {"op": "matmul", "m", "k", "n", "tr": "nt", "reps", "max_time"}
        seconds of each numpy matmul of op(A)·op(B) into a preallocated C (float32;
        a transposed operand is a transposed view, so numpy passes the flag to sgemm)
  {"op": "problem", "dir"}                     load an MLP problem written by peer.ts
        (x.bin float32 [N, F], y.bin int32 [N], W1.bin, b1.bin, ... as in the reference
        problem's manifest, meta.json {widths, n})
  {"op": "hvp", "kind": "reuse" | "fresh" | "grad", "reps"}
        seconds of a Hessian-vector product by double backward: "reuse" keeps the gradient
        graph (create_graph=True once) and differentiates g·v; "fresh" records the forward
        and backward passes each time; "grad" is loss + gradient
  {"op": "adam", "n", "reps"}                  seconds of torch.optim.Adam.step() on n parameters
  {"op": "pyhessian", "path"}                  PyHessian's hessian(model, criterion, data)
        + eigenvalues(top_n=5) + trace() + density() on the loaded problem, timed in-process
        (Python start and imports excluded), with the results

Run with Debian's /usr/bin/python3 (python3-numpy, python3-torch).
"""
import ctypes
import json
import sys
import time

import numpy as np

torch = None
state = {}


def blas():
    """The OpenBLAS that numpy loaded (same soname, so dlopen returns the loaded copy)."""
    for name in ('libblas.so.3', 'libopenblas.so.0'):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            continue
    return None


def need_torch():
    global torch
    if torch is None:
        import torch as t
        torch = t
    return torch


def timed(fn, reps, max_time=None):
    fn()
    fn()
    out = []
    start = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
        if max_time is not None and time.perf_counter() - start > max_time and len(out) >= 5:
            break
    return out


def op_info(req):
    lib = blas()
    info = {'numpy': np.__version__, 'python': sys.version.split()[0]}
    if lib is not None:
        info['openblas_core'] = lib.openblas_get_corename().decode()
        info['openblas_config'] = lib.openblas_get_config().decode()
        info['openblas_threads'] = lib.openblas_get_num_threads()
    if req.get('torch'):
        t = need_torch()
        info['torch'] = t.__version__
        info['torch_threads'] = t.get_num_threads()
    return info


def op_threads(req):
    n = int(req['n'])
    lib = blas()
    if lib is not None:
        lib.openblas_set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)
    return {'threads': n}


def op_matmul(req):
    m, k, n, tr = int(req['m']), int(req['k']), int(req['n']), req['tr']
    key = ('mm', m, k, n, tr)
    if key not in state:
        rng = np.random.default_rng(1)
        a = rng.uniform(-1, 1, (k, m) if tr[0] == 't' else (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, k) if tr[1] == 't' else (k, n)).astype(np.float32)
        state.clear() if len(state) > 16 else None
        state[key] = (a.T if tr[0] == 't' else a, b.T if tr[1] == 't' else b, np.empty((m, n), np.float32))
    a, b, c = state[key]
    return {'times': timed(lambda: np.matmul(a, b, out=c), int(req.get('reps', 1000)), req.get('max_time'))}


def op_problem(req):
    t = need_torch()
    d = req['dir']
    meta = json.load(open(f'{d}/meta.json'))
    w = meta['widths']
    n = meta['n']
    x = np.fromfile(f'{d}/x.bin', np.float32).reshape(n, w[0])
    y = np.fromfile(f'{d}/y.bin', np.int32).astype(np.int64)
    layers = []
    for i in range(len(w) - 1):
        lin = t.nn.Linear(w[i], w[i + 1])
        W = np.fromfile(f'{d}/W{i + 1}.bin', np.float32).reshape(w[i], w[i + 1])
        b = np.fromfile(f'{d}/b{i + 1}.bin', np.float32)
        with t.no_grad():
            lin.weight.copy_(t.from_numpy(W.T.copy()))
            lin.bias.copy_(t.from_numpy(b))
        layers.append(lin)
        if i < len(w) - 2:
            layers.append(t.nn.ReLU())
    model = t.nn.Sequential(*layers)
    X, Y = t.from_numpy(x), t.from_numpy(y)
    params = [p for p in model.parameters()]
    # The reference problem's v0 when present, else a fixed normal vector, split per parameter.
    v0 = np.fromfile(f'{d}/v0.bin', np.float32) if meta.get('v0') else np.random.default_rng(0).standard_normal(meta['params']).astype(np.float32)
    # Our flat order is W1 [in, out], b1, W2, ...; torch keeps weight as [out, in].
    vs, off = [], 0
    for i in range(len(w) - 1):
        size = w[i] * w[i + 1]
        vs.append(t.from_numpy(v0[off:off + size].reshape(w[i], w[i + 1]).T.copy()))
        off += size
        vs.append(t.from_numpy(v0[off:off + w[i + 1]].copy()))
        off += w[i + 1]
    state['problem'] = dict(model=model, X=X, Y=Y, params=params, v=vs, g=None)
    crit = t.nn.CrossEntropyLoss()
    loss = crit(model(X), Y)
    g = t.autograd.grad(loss, params, create_graph=True)
    hv = t.autograd.grad(g, params, grad_outputs=vs, retain_graph=True)
    vhv = sum(float((a * b).sum()) for a, b in zip(hv, vs))
    state['problem']['g'] = g
    return {'loss': float(loss), 'vHv': vhv}


def op_hvp(req):
    t = need_torch()
    p = state['problem']
    model, X, Y, params, vs = p['model'], p['X'], p['Y'], p['params'], p['v']
    crit = t.nn.CrossEntropyLoss()
    kind = req['kind']
    if kind == 'reuse':
        g = p['g']
        fn = lambda: t.autograd.grad(g, params, grad_outputs=vs, retain_graph=True)
    elif kind == 'fresh':
        def fn():
            loss = crit(model(X), Y)
            gg = t.autograd.grad(loss, params, create_graph=True)
            return t.autograd.grad(gg, params, grad_outputs=vs)
    else:
        def fn():
            loss = crit(model(X), Y)
            return t.autograd.grad(loss, params)
    return {'times': timed(fn, int(req.get('reps', 20)))}


def op_adam(req):
    t = need_torch()
    n = int(req['n'])
    key = ('adam', n)
    if key not in state:
        p = t.nn.Parameter(t.ones(n))
        p.grad = t.full((n,), 1e-3)
        state[key] = (p, t.optim.Adam([p], lr=1e-3))
    _, opt = state[key]
    return {'times': timed(opt.step, int(req.get('reps', 10)))}


def op_pyhessian(req):
    t = need_torch()
    sys.path.insert(0, req['path'])
    from pyhessian import hessian
    p = state['problem']
    model, X, Y = p['model'], p['X'], p['Y']
    crit = t.nn.CrossEntropyLoss()
    t.manual_seed(int(req.get('seed', 0)))
    t0 = time.perf_counter()
    h = hessian(model, crit, data=(X, Y), cuda=False)
    t1 = time.perf_counter()
    top, _ = h.eigenvalues(top_n=5)
    t2 = time.perf_counter()
    tr = h.trace()
    t3 = time.perf_counter()
    ev, wt = h.density()
    t4 = time.perf_counter()
    model.zero_grad(set_to_none=True)
    return {'seconds': t4 - t0, 'setup': t1 - t0, 'eigenvalues': t2 - t1, 'trace': t3 - t2, 'density': t4 - t3,
            'top': [float(v) for v in top], 'trace_estimate': float(np.mean(tr)), 'trace_samples': len(tr)}


OPS = dict(info=op_info, threads=op_threads, matmul=op_matmul, problem=op_problem, hvp=op_hvp, adam=op_adam, pyhessian=op_pyhessian)


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            reply = {'ok': True, **OPS[req['op']](req)}
        except Exception as e:  # reported to the bench, which names the peer and the request
            reply = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
        sys.stdout.write(json.dumps(reply) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
