#!/usr/bin/python3
"""PyTorch peer of bench/federated.bench.ts: one federated round as Flower-style simulations run it,
a Python loop over clients, each loading the global weights into one nn.Module, taking `steps`
SGD steps on minibatches of its own data, and adding its weights (flat) into the round's mean.

Run by the bench with Debian's /usr/bin/python3 and python3-torch (apt-get install python3-torch):
  /usr/bin/python3 bench/peers/federated_torch.py --data FILE --rows R --clients N --per 300 --steps 5 \
      --batch 32 --hidden 128 --threads T --repeat K
FILE holds R float32 rows of 784 pixels then R int32 labels (little-endian). Prints one JSON line:
{"seconds": [per-round wall clock ...], "threads": T, "torch": version}.
With --serve it warms up, prints {"ready": true, "threads": T, "torch": version}, then times one
round per line 'round' read from stdin (printing {"seconds": s} for each) until 'quit' or end of
input, so that the bench can interleave its rounds with descent's under the same load.
"""
import argparse
import json
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', required=True)
    ap.add_argument('--rows', type=int, required=True)
    ap.add_argument('--clients', type=int, required=True)
    ap.add_argument('--per', type=int, required=True, help='rows per client (client i: rows [i·per, (i+1)·per))')
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--hidden', type=int, default=128)
    ap.add_argument('--lr', type=float, default=0.05)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--serve', action='store_true', help='time one round per stdin line (see above)')
    a = ap.parse_args()
    # Debian's torch does its matrix products in the system BLAS (OpenBLAS, pthread build), whose
    # own thread pool ignores torch.set_num_threads and starts one thread per core: pin it (and
    # OpenMP) to --threads before numpy or torch loads it, or a "1-thread" run multiplies on both
    # cores (and spins on an oversubscribed machine).
    for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = str(a.threads)
    import numpy as np
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    raw = np.fromfile(a.data, dtype=np.uint8)
    x = torch.from_numpy(raw[: a.rows * 784 * 4].view(np.float32).reshape(a.rows, 784).copy())
    y = torch.from_numpy(raw[a.rows * 784 * 4:].view(np.int32).astype(np.int64))
    per = a.per
    shards = [(x[i * per:(i + 1) * per], y[i * per:(i + 1) * per]) for i in range(a.clients)]
    model = torch.nn.Sequential(torch.nn.Linear(784, a.hidden), torch.nn.ReLU(), torch.nn.Linear(a.hidden, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    global_w = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    gen = torch.Generator().manual_seed(1)

    def one_round():
        # FedAvg's aggregate of the round: the mean of the clients' end models.
        acc = torch.zeros_like(global_w)
        for cx, cy in shards:
            torch.nn.utils.vector_to_parameters(global_w, model.parameters())
            opt = torch.optim.SGD(model.parameters(), lr=a.lr)
            for _ in range(a.steps):
                idx = torch.randint(0, cx.shape[0], (a.batch,), generator=gen)
                opt.zero_grad()
                loss = loss_fn(model(cx[idx]), cy[idx])
                loss.backward()
                opt.step()
            acc.add_(torch.nn.utils.parameters_to_vector(model.parameters()).detach(), alpha=1.0 / len(shards))
        return acc

    one_round()  # warm-up
    # Which BLAS the products ran in: Debian's torch goes through the libblas.so.3 alternative,
    # which is the reference BLAS (far slower) unless an OpenBLAS package is installed.
    with open('/proc/self/maps') as maps:
        blas = sorted({line.split()[-1] for line in maps if 'blas' in line.split()[-1]})
    if a.serve:
        print(json.dumps({'ready': True, 'threads': a.threads, 'torch': torch.__version__, 'blas': blas}), flush=True)
        for line in sys.stdin:
            if line.strip() != 'round':
                break
            t0 = time.perf_counter()
            one_round()
            print(json.dumps({'seconds': time.perf_counter() - t0}), flush=True)
        return
    secs = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        one_round()
        secs.append(time.perf_counter() - t0)
    print(json.dumps({'seconds': secs, 'threads': a.threads, 'torch': torch.__version__, 'blas': blas}))


if __name__ == '__main__':
    main()
