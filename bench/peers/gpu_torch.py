"""PyTorch on CUDA, float32 (TF32 off), for bench/gpu-check.sh: the peer of descent's webgpu parts.

  python3 gpu_torch.py hvp DIR OUT.json   the reference problem written by
        bench/gpu-check-problem.ts: loss + gradient, HVP by double backward recomputing the graph
        (fresh) and reusing the gradient graph kept with create_graph=True (reuse); v0·H·v0
  python3 gpu_torch.py adam N OUT.json    torch.optim.Adam(lr=1e-3) step on N parameters with
        torch's default implementation choice for CUDA tensors (foreach in torch 2.x)

Times: median and min ms of 20 runs after 3 warm-ups, each run ending in
torch.cuda.synchronize() (as descent's runs end in a queue drain).
"""
import json
import sys
import time

import numpy as np
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device('cuda')


def timed(fn, reps=20):
    out = []
    for i in range(reps + 3):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        if i >= 3:
            out.append(1e3 * (time.perf_counter() - t0))
    s = sorted(out)
    return {'median': s[len(s) // 2], 'min': s[0]}


def hvp(d):
    meta = json.load(open(f'{d}/meta.json'))
    w, n = meta['widths'], meta['n']
    x = torch.from_numpy(np.fromfile(f'{d}/x_u8.bin', np.uint8).astype(np.float32).reshape(n, w[0]) / np.float32(255)).to(dev)
    y = torch.from_numpy(np.fromfile(f'{d}/y_i32.bin', np.int32).astype(np.int64)).to(dev)
    flat = np.fromfile(f'{d}/flat_f32.bin', np.float32)
    v0 = np.fromfile(f'{d}/v0_f32.bin', np.float32)
    layers, vs, off = [], [], 0
    for i in range(len(w) - 1):
        lin = torch.nn.Linear(w[i], w[i + 1])
        size = w[i] * w[i + 1]
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(flat[off:off + size].reshape(w[i], w[i + 1]).T.copy()))
            lin.bias.copy_(torch.from_numpy(flat[off + size:off + size + w[i + 1]].copy()))
        vs.append(torch.from_numpy(v0[off:off + size].reshape(w[i], w[i + 1]).T.copy()).to(dev))
        vs.append(torch.from_numpy(v0[off + size:off + size + w[i + 1]].copy()).to(dev))
        off += size + w[i + 1]
        layers += [lin, torch.nn.ReLU()] if i < len(w) - 2 else [lin]
    model = torch.nn.Sequential(*layers).to(dev)
    params = list(model.parameters())
    crit = torch.nn.CrossEntropyLoss()
    g = torch.autograd.grad(crit(model(x), y), params, create_graph=True)
    hv = torch.autograd.grad(g, params, grad_outputs=vs, retain_graph=True)
    vhv = float(sum((a * b).sum() for a, b in zip(hv, vs)))

    def fresh():
        gg = torch.autograd.grad(crit(model(x), y), params, create_graph=True)
        return torch.autograd.grad(gg, params, grad_outputs=vs)
    rows = [
        {'kernel': 'hvp.reuse', **timed(lambda: torch.autograd.grad(g, params, grad_outputs=vs, retain_graph=True)), 'vHv': vhv},
        {'kernel': 'hvp.fresh', **timed(fresh)},
        {'kernel': 'hvp.loss+grad', **timed(lambda: torch.autograd.grad(crit(model(x), y), params))},
    ]
    print(f"torch {torch.__version__} CUDA fp32 · v0·H·v0 = {vhv:.6e} (float64 reference {meta['expected']['v0_H_v0']:.6e})")
    return rows


def adam(n):
    p = torch.nn.Parameter(torch.ones(n, device=dev))
    p.grad = torch.full((n,), 1e-3, device=dev)
    opt = torch.optim.Adam([p], lr=1e-3)
    r = timed(opt.step)
    print(f"torch {torch.__version__} Adam step (defaults: {', '.join(k for k in ('foreach', 'fused') if opt.defaults.get(k)) or 'implementation chosen by torch'}), {n} parameters on CUDA")
    return [{'kernel': 'adam', 'n': n, **r}]


if __name__ == '__main__':
    part, arg, out = sys.argv[1:4]
    rows = hvp(arg) if part == 'hvp' else adam(int(arg))
    for r in rows:
        print(f"{r['kernel']:16} median {r['median']:.3f} ms, min {r['min']:.3f} ms")
    json.dump(rows, open(out, 'w'))
