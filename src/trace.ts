// The hook through which autodiff (src/autodiff/) watches tensor ops. The tensor layer
// knows only that a tracer may be listening; the rules live in autodiff.

import type { Tensor } from './tensor.js';

export interface Tracer {
  /** Called after every differentiable op with its inputs, output and attributes. */
  record(op: string, inputs: readonly Tensor[], output: Tensor, attrs: Readonly<Record<string, unknown>>): void;
}

let tracer: Tracer | null = null;

export function setTracer(t: Tracer | null): Tracer | null {
  const previous = tracer;
  tracer = t;
  return previous;
}

export function record(op: string, inputs: readonly Tensor[], output: Tensor, attrs: Readonly<Record<string, unknown>> = {}): Tensor {
  if (tracer) tracer.record(op, inputs, output, attrs);
  return output;
}

/** True while a tracer listens: then op inputs must stay alive for the backward pass. */
export function isTracing(): boolean {
  return tracer !== null;
}
