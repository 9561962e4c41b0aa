// The `descent` command line run in this process, with its messages captured (stdout dropped,
// stderr and console.error collected), for tests that check exit codes and error text.

import { main } from '../../src/cli/descent.js';

export async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const log = console.log, error = console.error, write = process.stderr.write;
  console.log = () => {};
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}
