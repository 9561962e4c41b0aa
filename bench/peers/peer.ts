// The Python peers of descent's benchmarks (bench/peers/peer.py) in one long-lived child
// process, so that a bench family can interleave descent's measurements with the peer's in the
// same run: OpenBLAS through Debian's python3-numpy (matmul), PyTorch through Debian's
// python3-torch (HVP by double backward, Adam), and PyHessian's own code (spectrum).
//
// The child is Debian's /usr/bin/python3 (not a pyenv python3 on PATH: the packages are
// Debian's); $DESCENT_PEER_PYTHON overrides it. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are
// removed from the child's environment only, so OpenBLAS picks its kernel for this CPU as it
// would for a user; `info()` reports the core it runs (openblas_get_corename()).
//
// PyHessian is not a dependency and is never committed: its checkout is found through
// $DESCENT_PYHESSIAN (a folder holding pyhessian/hessian.py), by default ../peers/PyHessian
// beside the repository (/work/peers/PyHessian here). `pyhessianHint` says how to get it.

import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const PEER_PYTHON = process.env.DESCENT_PEER_PYTHON ?? '/usr/bin/python3';

/** The PyHessian checkout, or null when there is none. */
export function pyhessianPath(): string | null {
  const p = resolve(process.env.DESCENT_PYHESSIAN ?? join(here, '..', '..', '..', 'peers', 'PyHessian'));
  return existsSync(join(p, 'pyhessian', 'hessian.py')) ? p : null;
}

export const pyhessianHint = 'PyHessian peer skipped: no checkout found. Get it outside the repository and point DESCENT_PYHESSIAN at it, e.g. '
  + '`git clone https://github.com/amirgholami/PyHessian /work/peers/PyHessian && export DESCENT_PYHESSIAN=/work/peers/PyHessian` '
  + '(it runs on Debian\'s python3-torch; nothing to install).';

export interface PeerReply { ok: boolean; error?: string; times?: number[]; [k: string]: unknown }

/** A running peer worker. Requests are answered in order; one at a time. */
export class Peer {
  private child: ChildProcessWithoutNullStreams;
  private lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (b: Buffer) => { this.stderr = (this.stderr + b.toString()).slice(-2000); });
  }

  /** Starts the worker; resolves to null (with the reason) when Python or numpy is missing. */
  static async start(opts: { torch?: boolean } = {}): Promise<Peer | string> {
    if (!existsSync(PEER_PYTHON)) return `${PEER_PYTHON} not found (apt-get install -y python3-numpy python3-torch)`;
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const child = spawn(PEER_PYTHON, [join(here, 'peer.py')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new Peer(child);
    const info = await peer.request({ op: 'info', torch: opts.torch === true }).catch((e: Error) => ({ ok: false, error: e.message }) as PeerReply);
    if (!info.ok) {
      peer.close();
      return `the Python peer did not start (${info.error}; apt-get install -y python3-numpy${opts.torch ? ' python3-torch' : ''})`;
    }
    peer.info = info;
    return peer;
  }

  info: PeerReply = { ok: true };

  /** One request; rejects when the worker exits or answers with an error. */
  async request(req: Record<string, unknown>): Promise<PeerReply> {
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error(`peer.py exited during '${String(req.op)}'${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    const reply = JSON.parse(next.value) as PeerReply;
    if (!reply.ok) throw new Error(`peer.py '${String(req.op)}': ${reply.error}`);
    return reply;
  }

  /** Seconds of each run of a request that returns `times`. */
  async times(req: Record<string, unknown>): Promise<number[]> {
    return (await this.request(req)).times!;
  }

  /** A one-line description: versions and the OpenBLAS kernel in use. */
  describe(): string {
    const i = this.info;
    return `numpy ${String(i.numpy)}${i.torch ? `, torch ${String(i.torch)}` : ''}, OpenBLAS core ${String(i.openblas_core ?? '?')} (${String(i.openblas_config ?? '').trim()}); `
      + 'OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset in this child';
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** An MLP problem written where peer.py reads it (op 'problem'); returns the folder. */
export function writeProblem(p: {
  widths: number[]; x: Float32Array; y: Int32Array; n: number;
  /** All parameters flat: W1, b1, W2, b2, … with W_l as [n_{l−1}, n_l] row-major (descent's and the reference's order). */
  flat: Float32Array;
  v0?: Float32Array;
}, name: string): string {
  const dir = join(tmpdir(), `descent-peer-${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  writeFileSync(join(dir, 'x.bin'), bytes(p.x));
  writeFileSync(join(dir, 'y.bin'), bytes(p.y));
  let off = 0;
  for (let l = 1; l < p.widths.length; l++) {
    const w = p.widths[l - 1]! * p.widths[l]!;
    writeFileSync(join(dir, `W${l}.bin`), bytes(p.flat.subarray(off, off + w)));
    writeFileSync(join(dir, `b${l}.bin`), bytes(p.flat.subarray(off + w, off + w + p.widths[l]!)));
    off += w + p.widths[l]!;
  }
  if (off !== p.flat.length) throw new RangeError(`writeProblem: expected ${off} parameters for widths ${p.widths.join('-')} in 'flat' but received ${p.flat.length}`);
  if (p.v0) writeFileSync(join(dir, 'v0.bin'), bytes(p.v0));
  const params = off;
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ widths: p.widths, n: p.n, params, v0: p.v0 !== undefined }));
  return dir;
}

export const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
