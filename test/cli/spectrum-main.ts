// Runs `descent spectrum` from the sources in a child process (used by the kill-and-resume test).
import { spectrumCommand } from '../../src/cli/spectrum.js';

process.exitCode = await spectrumCommand(process.argv.slice(2));
