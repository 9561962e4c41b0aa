// Participation processes of federated clients (Wang & Ji, arXiv 2306.03401, §5; the authors'
// util.py WorkerSampler): Bernoulli, Markov and cyclic, each with stationary participation
// probability p_n per client. One call draws a whole round for all N clients (typed arrays on
// the host); every draw comes from the Philox stream (seed, stream) at offset round·N + n, so a
// Bernoulli round is a pure function of (seed, round) and a resumed run is identical.

import { argError, checkInteger, checkNumber, philoxUniforms } from './host.js';

/** How clients participate. */
export type ParticipationSpec =
  | { kind: 'bernoulli' }
  /** Two-state Markov chain: inactive → active with probability `toActive`, active → inactive with toActive·(1/p − 1) (both scaled so neither exceeds 1): stationary p. */
  | { kind: 'markov'; toActive: number }
  /** Active for round(cycle·p) rounds, then inactive for the rest of the cycle, from a random phase. */
  | { kind: 'cyclic'; cycle: number };

/** A participation process over N clients. */
export class Participation {
  readonly clients: number;
  readonly p: Float64Array;
  private readonly active: Uint8Array;
  private readonly toSwitch: Int32Array;
  private readonly up: Float64Array;
  private readonly down: Float64Array;
  private round = 0;

  /**
   * @param spec the process; @param p each client's participation probability in (0, 1];
   * @param seed, stream the Philox stream of its draws.
   */
  constructor(readonly spec: ParticipationSpec, p: ArrayLike<number>, readonly seed: number, readonly stream: number) {
    const fn = 'Participation';
    const N = checkInteger(fn, 'p.length', p.length, 1);
    this.clients = N;
    this.p = Float64Array.from(p);
    this.p.forEach((x, n) => checkNumber(fn, `p[${n}]`, x, Number.MIN_VALUE, 1));
    this.active = new Uint8Array(N);
    this.toSwitch = new Int32Array(N);
    this.up = new Float64Array(N);
    this.down = new Float64Array(N);
    const u = philoxUniforms(seed, stream, 0, N);
    if (spec.kind === 'markov') {
      checkNumber(fn, 'spec.toActive', spec.toActive, Number.MIN_VALUE, 1);
      for (let n = 0; n < N; n++) {
        let a = spec.toActive, b = a * (1 / this.p[n]! - 1);
        if (b > 1) { a /= b; b = 1; }
        this.up[n] = a; this.down[n] = b;
        this.active[n] = u[n]! < this.p[n]! ? 1 : 0;
      }
    } else if (spec.kind === 'cyclic') {
      checkInteger(fn, 'spec.cycle', spec.cycle, 2);
      for (let n = 0; n < N; n++) {
        const on = Math.max(1, Math.round(spec.cycle * this.p[n]!)), off = Math.max(1, spec.cycle - on);
        this.up[n] = on; this.down[n] = off;
        this.toSwitch[n] = Math.floor(u[n]! * off);
      }
    } else if (spec.kind !== 'bernoulli') {
      throw argError(fn, 'spec.kind', "'bernoulli', 'markov' or 'cyclic'", (spec as { kind: unknown }).kind);
    }
  }

  /** The rounds drawn so far. */
  get rounds(): number {
    return this.round;
  }

  /** The next round's participation flags (1 = takes part), for all N clients at once. */
  next(): Uint8Array {
    const N = this.clients;
    const u = philoxUniforms(this.seed, this.stream, (this.round + 1) * N, N);
    const out = new Uint8Array(N);
    const s = this.spec;
    for (let n = 0; n < N; n++) {
      if (s.kind === 'bernoulli') {
        out[n] = u[n]! < this.p[n]! ? 1 : 0;
      } else if (s.kind === 'markov') {
        if (this.active[n]) { if (u[n]! < this.down[n]!) this.active[n] = 0; } else if (u[n]! < this.up[n]!) this.active[n] = 1;
        out[n] = this.active[n]!;
      } else {
        if (this.toSwitch[n] === 0) {
          this.active[n] = this.active[n] ? 0 : 1;
          this.toSwitch[n] = this.active[n] ? this.up[n]! : this.down[n]!;
        }
        this.toSwitch[n]! -= 1;
        out[n] = this.active[n]!;
      }
    }
    this.round++;
    return out;
  }
}
