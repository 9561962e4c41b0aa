// `descent info`: what this machine offers descent — the native CPU kernels (instruction
// sets, threads), the WebGPU adapter (vendor, architecture, description, limits, features)
// and the backend `auto` picks. Prints text, or JSON with --json. No numerics.

import { cpuInfo } from '../backend/cpu/index.js';
import { adapterInfo, autoChoice } from '../backend/webgpu/index.js';
import type { AdapterDescription, AutoChoice } from '../backend/webgpu/index.js';
import { helpText, parseOptions } from './args.js';
import type { OptionSpecs } from './args.js';

const INFO_OPTIONS = {
  json: { kind: 'flag', help: 'one JSON object instead of text' },
} as const satisfies OptionSpecs;

const HELP = helpText('descent info [--json]',
  "Prints the native CPU backend (instruction sets, GEMM kernel, threads), the WebGPU adapter\n(vendor, architecture, description, limits, features) and which backend 'auto' picks.", INFO_OPTIONS);

interface Info {
  cpu: Record<string, unknown> | { error: string };
  webgpu: AdapterDescription | null;
  auto: AutoChoice;
}

async function gather(): Promise<Info> {
  let cpu: Info['cpu'];
  try {
    cpu = { ...cpuInfo() };
  } catch (e) {
    cpu = { error: (e as Error).message.split('\n')[0]! };
  }
  return { cpu, webgpu: await adapterInfo(), auto: await autoChoice() };
}

function text(info: Info): string {
  const lines: string[] = [];
  lines.push('cpu backend');
  if ('error' in info.cpu) lines.push(`  unavailable: ${info.cpu.error}`);
  else for (const [k, v] of Object.entries(info.cpu)) lines.push(`  ${k.padEnd(12)} ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  lines.push('', 'webgpu adapter');
  const a = info.webgpu;
  if (!a) {
    lines.push('  none');
  } else {
    lines.push(`  vendor       ${a.vendor || '(not reported)'}`);
    lines.push(`  architecture ${a.architecture || '(not reported)'}`);
    lines.push(`  device       ${a.device || '(not reported)'}`);
    lines.push(`  description  ${a.description || '(not reported)'}`);
    lines.push(`  software     ${a.isFallbackAdapter ? 'yes (fallback adapter)' : 'no'}`);
    if (a.subgroupMinSize) lines.push(`  subgroups    ${a.subgroupMinSize === a.subgroupMaxSize ? a.subgroupMinSize : `${a.subgroupMinSize}–${a.subgroupMaxSize}`} invocations`);
    lines.push(`  features     ${a.features.join(', ')}`);
    lines.push('  limits');
    const width = Object.keys(a.limits).reduce((w, k) => Math.max(w, k.length), 0);
    for (const [k, v] of Object.entries(a.limits)) lines.push(`    ${k.padEnd(width)} ${v}`);
  }
  lines.push('', `auto picks: ${info.auto.backend} (${info.auto.reason})`);
  return lines.join('\n');
}

/** Runs `descent info`; returns the exit code. */
export async function infoCommand(argv: string[]): Promise<number> {
  const p = parseOptions('info', INFO_OPTIONS, argv);
  if (p === 'help') {
    console.log(HELP);
    return 0;
  }
  const { values } = p;
  const info = await gather();
  console.log(values.json ? JSON.stringify(info, null, 2) : text(info));
  return 0;
}
