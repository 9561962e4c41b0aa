// The `descent` command line: dispatches to one job per subcommand. Jobs own their
// arguments, progress and files; no numerics here.

import { UsageError } from './usage.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<(argv: string[]) => Promise<number>> }> = {
  spectrum: {
    summary: 'Hessian / Gauss-Newton eigenvalues, trace and density of a network on a data set',
    load: async () => (await import('./spectrum.js')).spectrumCommand,
  },
  train: {
    summary: 'train an MLP with any optimizer and schedule; checkpoints and resumes',
    load: async () => (await import('./train.js')).trainCommand,
  },
  run: {
    summary: 'run one registered experiment (a paper\'s prediction) as a resumable job; --list lists them',
    load: async () => (await import('./run.js')).runCommand,
  },
  reproduce: {
    summary: 'run every registered experiment and write an HTML report (index.html)',
    load: async () => (await import('./reproduce.js')).reproduceCommand,
  },
  worker: {
    summary: 'serve the shard products of distributed jobs (spectrum --redis URL --shards S) from Redis',
    load: async () => (await import('./worker.js')).workerCommand,
  },
  federated: {
    summary: 'asynchronous federated optimisation with the clients trained by descent workers over Redis (async, FedBuff-c)',
    load: async () => (await import('./federated.js')).federatedCommand,
  },
  info: {
    summary: 'the backends: native CPU features, the WebGPU adapter, and what `auto` picks',
    load: async () => (await import('./info.js')).infoCommand,
  },
};

export function usage(): string {
  const width = Object.keys(COMMANDS).reduce((w, c) => Math.max(w, c.length), 0);
  return [
    'usage: descent <command> [options]   (descent <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/**
 * The one line an error prints: `descent NAME: message`, with the prefix once even when
 * the message already starts with the command's name ('train: ...', 'descent train: ...').
 */
export function errorLine(name: string, err: Error): string {
  let msg = err.message;
  for (const prefix of [`descent ${name}: `, `${name}: `]) if (msg.startsWith(prefix)) msg = msg.slice(prefix.length);
  return `descent ${name}: ${msg}`;
}

/** Runs the command line and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`descent: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await cmd.load())(rest);
  } catch (e) {
    const err = e as Error;
    console.error(errorLine(name, err));
    if (process.env.DESCENT_DEBUG) console.error(err.stack);
    // A command line that cannot run as given exits 2; anything else 1.
    return err instanceof UsageError ? 2 : 1;
  }
}

// Run directly (`npx tsx src/cli/descent.ts ...`, `node dist/src/cli/descent.js ...`):
// bin/descent.js imports this module instead and calls main itself.
if (process.argv[1] !== undefined && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
