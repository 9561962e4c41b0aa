// The webgpu backend for the tests in this folder, or why it is missing. With CI=true a
// missing adapter fails each test (CI installs lavapipe); otherwise the test is skipped with
// the reason in its title.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { createWebGPUBackend, hasAdapter } from '../../src/backend/webgpu/index.js';
import type { ContextOptions, WebGPUBackend } from '../../src/backend/webgpu/index.js';
import { noAdapterReason } from '../../src/backend/webgpu/device.js';
import { inCI } from '../helpers/backends.js';

export const present = await hasAdapter();
export const missing = present ? null : noAdapterReason();

/** A fresh backend with its own device (call only from a gpuTest: it throws without an adapter). */
export async function fresh(opts?: ContextOptions): Promise<WebGPUBackend> {
  return createWebGPUBackend(opts);
}

let shared: Promise<WebGPUBackend> | null = null;
/** One backend shared by the tests of a file. */
export function backend(): Promise<WebGPUBackend> {
  shared ??= createWebGPUBackend();
  return shared;
}

/** Registers a test that needs an adapter: skipped without one, failed without one in CI. */
export function gpuTest(title: string, body: (t: ExecutionContext) => Promise<void> | void): void {
  if (present) test(title, body);
  else if (inCI) test(title, (t) => { t.fail(`no WebGPU adapter, and CI=true requires one: ${missing}`); });
  else test.skip(`${title} (skipped: no WebGPU adapter: ${missing})`, () => {});
}
