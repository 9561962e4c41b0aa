// The backends a test run can use, and why a missing one is skipped (or, in CI, failed).
//
// reference is the oracle and always present. cpu must load (its build is part of
// `npm install`). webgpu needs an adapter: outside CI a missing adapter skips with the
// reason in the test title; with CI=true it fails, because CI installs lavapipe.

import type { Backend } from '../../src/index.js';
import { initBackend } from '../../src/index.js';

export interface TestBackend {
  name: 'cpu' | 'webgpu';
  backend: Backend | null;
  /** Why the backend is missing (null when present). */
  missing: string | null;
}

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

async function tryInit(name: 'cpu' | 'webgpu'): Promise<TestBackend> {
  try {
    return { name, backend: await initBackend(name), missing: null };
  } catch (e) {
    return { name, backend: null, missing: (e as Error).message.split('\n')[0]! };
  }
}

let cached: Promise<TestBackend[]> | null = null;

/** The backends under test (every one but the reference oracle), each present or with a reason. */
export function testBackends(): Promise<TestBackend[]> {
  const only = process.env.DESCENT_TEST_BACKENDS?.split(',');
  cached ??= Promise.all((['cpu', 'webgpu'] as const).filter((n) => !only || only.includes(n)).map(tryInit));
  return cached;
}

/** Whether a missing backend fails the run instead of skipping: always for cpu, for webgpu in CI. */
export function mustHave(name: TestBackend['name']): boolean {
  return name === 'cpu' || inCI;
}
