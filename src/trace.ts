// The hook through which autodiff (src/autodiff/) watches tensor ops. The tensor layer
// knows only that a tracer may be listening; the rules live in autodiff.
//
// Every op that can be recorded is a key of RecordedOps, whose value is the type of the
// attributes it records (jax-js's typed primitive parameters are the model): a misspelt op
// name or attribute at a record() call, or a rule that reads an attribute its op does not
// record, is a compile error. src/autodiff/rules/index.ts maps every key to its rule.

import type { BinaryOp, ReduceOp, UnaryOp } from './backend/ops.js';
import type { DType } from './dtype.js';
import type { Tensor } from './tensor.js';

/** The attributes of an op that records none (any attribute given is a type error). */
export type NoAttrs = { readonly [key: string]: never };

/** The attributes of a reduction over `axes` of an input of shape `inShape`. */
export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
  readonly inShape: readonly number[];
}

/**
 * A rule given at run time (customVjp): the cotangents of the inputs from the output's
 * cotangent, and optionally the output's tangent from the inputs' tangents. Both are written
 * in tensor ops so that they are themselves differentiable.
 */
export interface CustomRuleAttrs {
  /** A name for error messages. */
  readonly name: string;
  readonly vjp: (g: Tensor, inputs: readonly Tensor[], output: Tensor) => readonly (Tensor | null)[];
  /** With lead = 1 each tangent has a probe axis in front (see autodiff/rules/types.ts). */
  readonly jvp?: (tangents: readonly (Tensor | null)[], inputs: readonly Tensor[], output: Tensor, lead: 0 | 1) => Tensor | null;
}

type Elementwise = { readonly [K in Exclude<UnaryOp | BinaryOp, ReduceOp>]: NoAttrs };
type Reductions = { readonly [K in Exclude<ReduceOp, BinaryOp>]: ReduceAttrs };
/** max and min name both a binary op (no attributes) and a reduction; rules tell them apart by arity. */
type Shared = { readonly [K in ReduceOp & BinaryOp]: NoAttrs | ReduceAttrs };

/** Every recordable op and the attributes it records. */
export interface RecordedOps extends Elementwise, Reductions, Shared {
  readonly where: NoAttrs;
  readonly cast: { readonly from: DType };
  readonly matmul: NoAttrs;
  readonly linear: NoAttrs;
  readonly softmax: NoAttrs;
  readonly logSoftmax: NoAttrs;
  readonly contiguous: NoAttrs;
  readonly reshape: { readonly shape: readonly number[] };
  readonly permute: { readonly perm: readonly number[] };
  readonly slice: { readonly begin: readonly number[]; readonly size: readonly number[]; readonly inShape: readonly number[] };
  readonly broadcastTo: { readonly inShape: readonly number[] };
  readonly concat: { readonly axis: number; readonly sizes: readonly number[] };
  readonly gather: { readonly axis: number; readonly n: number };
  readonly scatterAdd: { readonly axis: number };
  /** An op whose derivative rule is given at run time (autodiff's customVjp). */
  readonly customVjp: CustomRuleAttrs;
}

export type RecordedOp = keyof RecordedOps;

/** record()'s attribute argument: optional for ops that record none. */
export type AttrsArg<K extends RecordedOp> = NoAttrs extends RecordedOps[K] ? [attrs?: RecordedOps[K]] : [attrs: RecordedOps[K]];

export interface Tracer {
  /** Called after every differentiable op with its inputs, output and attributes. */
  record<K extends RecordedOp>(op: K, inputs: readonly Tensor[], output: Tensor, attrs: RecordedOps[K]): void;
}

let tracer: Tracer | null = null;

export function setTracer(t: Tracer | null): Tracer | null {
  const previous = tracer;
  tracer = t;
  return previous;
}

const NONE: NoAttrs = Object.freeze({});

export function record<K extends RecordedOp>(op: K, inputs: readonly Tensor[], output: Tensor, ...attrs: AttrsArg<K>): Tensor {
  if (tracer) tracer.record(op, inputs, output, (attrs[0] ?? NONE) as RecordedOps[K]);
  return output;
}

/** True while a tracer listens: then op inputs must stay alive for the backward pass. */
export function isTracing(): boolean {
  return tracer !== null;
}
