// Declarative conformance cases: one ava test per (case, backend), titled
// `<op> · <backend> · <params>`, comparing with the reference backend.

import test from 'ava';
import type { ExecutionContext } from 'ava';
import type { Backend } from '../../src/index.js';
import { mustHave, testBackends } from './backends.js';

const BACKENDS = await testBackends();

/** Registers `body` once per backend under test. */
export function eachBackend(title: string, body: (t: ExecutionContext, b: Backend) => Promise<void> | void): void {
  for (const tb of BACKENDS) {
    const name = `${title.split(' · ')[0]} · ${tb.name}${title.includes(' · ') ? ` · ${title.split(' · ').slice(1).join(' · ')}` : ''}`;
    if (tb.backend) {
      const b = tb.backend;
      test(name, async (t) => { await body(t, b); });
    } else if (mustHave(tb.name)) {
      test(name, (t) => { t.fail(`backend ${tb.name} is required here but missing: ${tb.missing}`); });
    } else {
      test.skip(`${name} (skipped: ${tb.missing})`, () => {});
    }
  }
}
