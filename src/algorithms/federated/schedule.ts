// The simulated clock of asynchronous federated optimisation (Fraboni et al., arXiv 2206.10189,
// §§3–4), in the shape of the authors' FL/clients_schedule.py: deterministic client compute times
// τ_i, and for each scheme the list of server aggregations with their simulated times, the
// clients that take part and the global model version each of them started from.
//
// A discrete-event simulation in plain TypeScript (no kernels): clients return their work at
// known times; the server aggregates on an event (async: every return; FedBuff-c: every c-th
// return) or on a fixed period Δt (FedFix); FedAvg waits for the slowest client.

import { argError, checkInteger, checkNumber } from './host.js';

/** The clock schemes of clients_schedule.py: FedAvg ('FL'), async, FedBuff-c and FedFix-Δt. */
export type ClockScheme =
  | { kind: 'fedavg' }
  | { kind: 'async' }
  | { kind: 'fedbuff'; c: number }
  | { kind: 'fedfix'; dt: number };

/** One server aggregation n (0-based): it produces model version n + 1. */
export interface Aggregation {
  /** Simulated time of the aggregation. */
  time: number;
  /** The clients whose work is aggregated, in increasing order. */
  clients: Int32Array;
  /** For each of `clients`, the global model version ρ_i(n) it started from (delay = n − ρ_i(n)). */
  versions: Int32Array;
}

export interface Schedule {
  scheme: ClockScheme;
  /** τ_i, the compute time of each client. */
  tau: Float64Array;
  /** The time budget T. */
  horizon: number;
  aggregations: Aggregation[];
}

/**
 * Compute times of time scenario "F-X" (clients_schedule.py get_tau_i):
 * τ_i = 1 − i·(X/100)/(M − 1), so client 0 is the slowest (τ = 1) and client M − 1 takes 1 − X/100.
 * @example computeTimes(10, 90) // [1, 0.9, …, 0.1]
 */
export function computeTimes(clients: number, slowerPercent: number): Float64Array {
  checkInteger('computeTimes', 'clients', clients, 1);
  checkNumber('computeTimes', 'slowerPercent', slowerPercent, 0, 100);
  if (slowerPercent >= 100 && clients > 1) throw argError('computeTimes', 'slowerPercent', 'a percentage below 100 (the fastest client needs a positive time)', slowerPercent);
  if (clients === 1) return Float64Array.of(1);
  return Float64Array.from({ length: clients }, (_, i) => 1 - i * (slowerPercent / 100) / (clients - 1));
}

/** Parses the authors' scheme names: 'FL' | 'FedAvg', 'Async', 'FedBuff-<c>', 'FedFix-<Δt>'. */
export function parseClockScheme(name: string): ClockScheme {
  if (name === 'FL' || name === 'FedAvg') return { kind: 'fedavg' };
  if (name === 'Async') return { kind: 'async' };
  const [head, arg] = name.split('-');
  if (head === 'FedBuff' && arg !== undefined && /^\d+$/.test(arg)) return { kind: 'fedbuff', c: Number(arg) };
  if (head === 'FedFix' && arg !== undefined && Number(arg) > 0) return { kind: 'fedfix', dt: Number(arg) };
  throw argError('parseClockScheme', 'name', "'FL', 'FedAvg', 'Async', 'FedBuff-<c>' or 'FedFix-<Δt>'", name);
}

/**
 * The aggregation schedule of a scheme over the time budget T (clients_schedule.py
 * clients_time_schedule, same rules):
 * - fedavg: ⌊T / max τ⌋ aggregations at times n·max τ, every client on the current model;
 * - async: while some client returns by T, the earliest return is aggregated alone (ties: the
 *   lowest index) and that client restarts from the new model;
 * - fedbuff c: the c earliest returns, aggregated at the latest of their times;
 * - fedfix Δt: ⌊T/Δt⌋ aggregations; aggregation n takes every client whose return time is
 *   ≤ (n + 1)Δt, and those clients restart at (n + 1)Δt from version n + 1. The recorded time of
 *   aggregation n is (n + 1)Δt (the code's step_times lists nΔt, the period's start).
 */
export function clientsSchedule(scheme: ClockScheme, tau: ArrayLike<number>, horizon: number): Schedule {
  const fn = 'clientsSchedule';
  const M = tau.length;
  if (M < 1) throw argError(fn, 'tau', 'at least one compute time', tau);
  const t = Float64Array.from(tau);
  t.forEach((x, i) => checkNumber(fn, `tau[${i}]`, x, Number.MIN_VALUE));
  checkNumber(fn, 'horizon', horizon, 0);
  const aggregations: Aggregation[] = [];
  if (scheme.kind === 'fedavg') {
    const slow = Math.max(...t);
    const n = Math.floor(horizon / slow);
    const all = Int32Array.from({ length: M }, (_, i) => i);
    for (let k = 0; k < n; k++) aggregations.push({ time: (k + 1) * slow, clients: all, versions: new Int32Array(M).fill(k) });
  } else if (scheme.kind === 'fedfix') {
    const dt = checkNumber(fn, 'scheme.dt', scheme.dt, Number.MIN_VALUE);
    const n = Math.floor(horizon / dt);
    const ret = Float64Array.from(t), latest = new Int32Array(M);
    for (let k = 0; k < n; k++) {
      const end = (k + 1) * dt;
      const idx: number[] = [];
      for (let i = 0; i < M; i++) if (ret[i]! <= end) idx.push(i);
      const clients = Int32Array.from(idx), versions = Int32Array.from(idx, (i) => latest[i]!);
      for (const i of idx) { ret[i] = end + t[i]!; latest[i] = k + 1; }
      aggregations.push({ time: end, clients, versions });
    }
  } else if (scheme.kind === 'async' || scheme.kind === 'fedbuff') {
    const c = scheme.kind === 'async' ? 1 : checkInteger(fn, 'scheme.c', scheme.c, 1, M);
    const ret = Float64Array.from(t), latest = new Int32Array(M);
    const order = Int32Array.from({ length: M }, (_, i) => i);
    for (let k = 0; ; k++) {
      let first = Infinity;
      for (let i = 0; i < M; i++) first = Math.min(first, ret[i]!);
      if (!(first <= horizon)) break;
      order.sort((a, b) => ret[a]! - ret[b]! || a - b);
      const idx = Array.from(order.subarray(0, c)).sort((a, b) => a - b);
      let time = -Infinity;
      for (const i of idx) time = Math.max(time, ret[i]!);
      const clients = Int32Array.from(idx), versions = Int32Array.from(idx, (i) => latest[i]!);
      for (const i of idx) { ret[i] = time + t[i]!; latest[i] = k + 1; }
      aggregations.push({ time, clients, versions });
    }
  } else {
    throw argError(fn, 'scheme.kind', "'fedavg', 'async', 'fedbuff' or 'fedfix'", (scheme as { kind: unknown }).kind);
  }
  return { scheme, tau: t, horizon, aggregations };
}

/** f_i: the fraction of a schedule's aggregations client i takes part in. */
export function participationFrequency(schedule: Schedule): Float64Array {
  const f = new Float64Array(schedule.tau.length);
  for (const a of schedule.aggregations) for (const i of a.clients) f[i]! += 1;
  const n = schedule.aggregations.length;
  for (let i = 0; i < f.length; i++) f[i] = n > 0 ? f[i]! / n : 0;
  return f;
}
