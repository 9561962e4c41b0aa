// The `descent` command line: dispatches to one job per subcommand. Jobs own their
// arguments, progress and files; no numerics here.

const COMMANDS: Record<string, { summary: string; load: () => Promise<(argv: string[]) => Promise<number>> }> = {
  spectrum: {
    summary: 'Hessian / Gauss-Newton eigenvalues, trace and density of a network on a data set',
    load: async () => (await import('./spectrum.js')).spectrumCommand,
  },
  train: {
    summary: 'train an MLP with any optimizer and schedule; checkpoints and resumes',
    load: async () => (await import('./train.js')).trainCommand,
  },
  info: {
    summary: 'the backends: native CPU features, the WebGPU adapter, and what `auto` picks',
    load: async () => (await import('./info.js')).infoCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: descent <command> [options]   (descent <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
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
    console.error(`descent ${name}: ${err.message}`);
    if (process.env.DESCENT_DEBUG) console.error(err.stack);
    return 1;
  }
}
