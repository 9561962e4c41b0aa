// The backend registry and the default backend. `reference` is always present; `cpu`
// and `webgpu` are registered by src/index.ts. `auto` picks webgpu when an adapter
// exists, else cpu.

import { DescentError } from '../errors.js';
import { reference } from './reference/index.js';
import type { Backend, BackendName } from './ops.js';

type Factory = () => Backend | Promise<Backend>;

const factories = new Map<BackendName, Factory>([['reference', () => reference]]);
const ready = new Map<BackendName, Backend>([['reference', reference]]);
let probeAuto: (() => Promise<BackendName>) | null = null;
let current: Backend | null = null;
let defaultName: BackendName = 'reference';

/** Registers a backend factory (called once per backend by src/index.ts). */
export function registerBackend(name: BackendName, factory: Factory, opts: { isDefault?: boolean } = {}): void {
  factories.set(name, factory);
  if (opts.isDefault) defaultName = name;
}

/** Sets how `auto` decides (webgpu when an adapter exists, else cpu). */
export function setAutoProbe(probe: () => Promise<BackendName>): void {
  probeAuto = probe;
}

export type BackendChoice = BackendName | 'auto' | Backend;

/** Returns an initialised backend, creating it on first use. */
export async function initBackend(choice: BackendChoice = 'auto'): Promise<Backend> {
  if (typeof choice === 'object') return choice;
  const name = choice === 'auto' ? (probeAuto ? await probeAuto() : defaultName) : choice;
  const have = ready.get(name);
  if (have) return have;
  const factory = factories.get(name);
  if (!factory) {
    throw new RangeError(`initBackend: expected one of ${[...factories.keys(), 'auto'].map((n) => `'${n}'`).join(', ')} for 'backend' but received '${name}'`);
  }
  const b = await factory();
  ready.set(name, b);
  return b;
}

/** Makes `choice` the backend of tensors created without an explicit backend. */
export async function useBackend(choice: BackendChoice = 'auto'): Promise<Backend> {
  current = await initBackend(choice);
  return current;
}

/**
 * The backend of tensors created without an explicit one: the one set by useBackend(),
 * else `cpu` (created synchronously), else `reference`.
 */
export function defaultBackend(): Backend {
  if (current) return current;
  const have = ready.get(defaultName);
  if (have) return (current = have);
  const made = factories.get(defaultName)!();
  if (made instanceof Promise) throw new DescentError(`the '${defaultName}' backend needs 'await useBackend("${defaultName}")' first`);
  ready.set(defaultName, made);
  return (current = made);
}

/** Resolves a backend synchronously (already initialised ones, or host backends). */
export function backendSync(choice: Backend | BackendName | undefined): Backend {
  if (choice === undefined) return defaultBackend();
  if (typeof choice === 'object') return choice;
  const have = ready.get(choice);
  if (have) return have;
  const factory = factories.get(choice);
  const made = factory?.();
  if (!made || made instanceof Promise) {
    throw new DescentError(`backend '${choice}' is not initialised: call 'await initBackend("${choice}")' (or useBackend) first`);
  }
  ready.set(choice, made);
  return made;
}
