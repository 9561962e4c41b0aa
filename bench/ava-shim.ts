// A minimal stand-in for ava (test, test.skip, test.after.always and the assertions the
// optimizer, prox and population tests use), so that those test files can be bundled with
// esbuild into one module and run on a machine without node_modules (the GPU check in
// bench/algorithms-gpu-check.sh). The entry imports the test files, then calls runAll(): tests
// run one after another and a summary line ends the run.

type Fn = (t: Ctx) => unknown;
const tests: { title: string; fn: Fn }[] = [];
const afters: (() => unknown)[] = [];

class Failure extends Error {}

function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || Array.isArray(a) || Array.isArray(b)) {
    const x = a as ArrayLike<unknown>, y = b as ArrayLike<unknown>;
    if (x.constructor !== y.constructor || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!same(x[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
  return same(ka, kb) && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function matches(e: unknown, exp?: { instanceOf?: new (...a: never[]) => unknown; message?: string | RegExp }): boolean {
  if (!exp) return true;
  if (exp.instanceOf && !(e instanceof exp.instanceOf)) return false;
  const m = (e as Error)?.message ?? '';
  if (typeof exp.message === 'string' && m !== exp.message) return false;
  if (exp.message instanceof RegExp && !exp.message.test(m)) return false;
  return true;
}

export class Ctx {
  assertions = 0;
  private check(ok: boolean, msg: string): void {
    this.assertions++;
    if (!ok) throw new Failure(msg);
  }
  is(a: unknown, b: unknown, m = ''): void { this.check(Object.is(a, b), `${m} expected ${String(b)} but got ${String(a)}`); }
  not(a: unknown, b: unknown, m = ''): void { this.check(!Object.is(a, b), `${m} expected not ${String(b)}`); }
  true(a: unknown, m = ''): void { this.check(a === true, `${m} expected true`); }
  false(a: unknown, m = ''): void { this.check(a === false, `${m} expected false`); }
  deepEqual(a: unknown, b: unknown, m = ''): void { this.check(same(a, b), `${m} not deep-equal`); }
  fail(m = ''): void { this.check(false, m); }
  pass(): void { this.assertions++; }
  log(...a: unknown[]): void { console.log('   ℹ', ...a); }
  throws(f: () => unknown, exp?: Parameters<typeof matches>[1]): unknown {
    try { f(); } catch (e) { this.check(matches(e, exp), `threw the wrong error: ${(e as Error).message}`); return e; }
    this.check(false, 'expected a throw');
    return undefined;
  }
  async throwsAsync(f: () => Promise<unknown>, exp?: Parameters<typeof matches>[1]): Promise<unknown> {
    try { await f(); } catch (e) { this.check(matches(e, exp), `threw the wrong error: ${(e as Error).message}`); return e; }
    this.check(false, 'expected a rejection');
    return undefined;
  }
}

/** Runs every registered test (call once, after importing the test files). */
export async function runAll(): Promise<void> {
  const only = process.env.SHIM_MATCH ? new RegExp(process.env.SHIM_MATCH) : null;
  let pass = 0, fail = 0;
  for (const { title, fn } of tests) {
    if (only && !only.test(title)) continue;
    const t = new Ctx(), t0 = performance.now();
    try {
      await fn(t);
      pass++;
      console.log(`  ✔ ${title} (${((performance.now() - t0) / 1000).toFixed(1)}s)`);
    } catch (e) {
      fail++;
      console.log(`  ✘ ${title}: ${(e as Error).message}`);
    }
  }
  for (const a of afters) await a();
  console.log(`\n  ${pass} passed, ${fail} failed`);
  process.exitCode = fail > 0 ? 1 : 0;
}

function test(title: string, fn: Fn): void {
  tests.push({ title, fn });
}
test.skip = (title: string, _fn?: Fn) => { console.log(`  - ${title} (skipped)`); };
test.after = { always: (fn: () => unknown) => { afters.push(fn); } };
export default test;
export type ExecutionContext = Ctx;
