// WGSL kernels and their compute pipelines.
//
// Contract. Each kernel family is one file in kernels/ (the package's top-level folder),
// compiled once per device into a shader module; compile diagnostics come from
// getCompilationInfo() and fail with KernelCompileError naming the file and line. A line
// `//! include other.wgsl` is replaced by that file (shared functions, e.g. math.wgsl);
// diagnostics inside it name the included file and its own line. A
// pipeline is specialised only by WGSL `override` constants; its cache key and its label
// are one function of (file, entry point, constants sorted by name), e.g.
// `matmul_subgroup.wgsl:main{ACT=1,R=8,TRANS_A=0}`. Every pipeline is created inside a
// validation error scope; an error there rejects the backend's pending work with a message
// naming the pipeline. DESCENT_DEBUG=2 prints each pipeline's label and its kernel source
// when it is first created.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../../package-root.js';
import { GPUValidationError, KernelCompileError } from './errors.js';
import type { CompileMessage } from './errors.js';

export type Constants = Readonly<Record<string, number>>;

/** The kernels/ folder beside package.json (src/package-root.ts finds the root). */
function kernelsDir(): string {
  let root: string;
  try {
    root = findPackageRoot();
  } catch (e) {
    throw new Error(`webgpu: cannot find descent's kernels/ folder: ${(e as Error).message}`);
  }
  const dir = join(root, 'kernels');
  if (!existsSync(join(dir, 'elementwise.wgsl'))) throw new Error(`webgpu: descent's kernels/ folder ${dir} lacks elementwise.wgsl`);
  return dir;
}

/** A run of lines of an assembled source that comes from one file. */
interface Segment {
  /** First line (1-based) in the assembled source. */
  start: number;
  lines: number;
  file: string;
  /** Its first line (1-based) in `file`. */
  fileLine: number;
}

export interface KernelSource {
  code: string;
  segments: Segment[];
}

const INCLUDE = /^\/\/! include ([\w.-]+\.wgsl)\s*$/;
const sources = new Map<string, KernelSource>();

/** Assembles `text` (from `file`), replacing include lines by the included files (once each). */
export function assemble(file: string, text: string, read: (f: string) => string = readKernel, seen = new Set<string>()): KernelSource {
  const out: string[] = [];
  const segments: Segment[] = [];
  let runStart = 0;
  const lines = text.split('\n');
  const flush = (upto: number) => {
    if (upto > runStart) segments.push({ start: out.length - (upto - runStart) + 1, lines: upto - runStart, file, fileLine: runStart + 1 });
  };
  for (let i = 0; i < lines.length; i++) {
    const m = INCLUDE.exec(lines[i]!);
    if (!m) {
      out.push(lines[i]!);
      continue;
    }
    flush(i);
    runStart = i + 1;
    const inc = m[1]!;
    if (seen.has(inc)) continue;
    seen.add(inc);
    const sub = assemble(inc, read(inc), read, seen);
    const base = out.length;
    out.push(...sub.code.split('\n'));
    for (const seg of sub.segments) segments.push({ ...seg, start: seg.start + base });
  }
  flush(lines.length);
  return { code: out.join('\n'), segments };
}

function readKernel(file: string): string {
  return readFileSync(join(kernelsDir(), file), 'utf8');
}

/** The assembled WGSL source of a kernel file (read once per process). */
export function kernelSource(file: string): KernelSource {
  let s = sources.get(file);
  if (s === undefined) {
    s = assemble(file, readKernel(file));
    sources.set(file, s);
  }
  return s;
}

/** Maps a line of an assembled source to (file, line). */
function locate(src: KernelSource, file: string, line: number): { file: string; line: number } {
  for (const seg of src.segments) {
    if (line >= seg.start && line < seg.start + seg.lines) return { file: seg.file, line: seg.fileLine + (line - seg.start) };
  }
  return { file, line };
}

/** The one key and label of a pipeline: `file:entry{A=1,B=2}` with constants sorted by name. */
export function pipelineKey(file: string, entry: string, constants: Constants): string {
  const c = Object.keys(constants).sort().map((k) => `${k}=${constants[k]}`).join(',');
  return `${file}:${entry}{${c}}`;
}

/**
 * Compiles WGSL into a module, failing with KernelCompileError on any error; each message is
 * located in its own file (`file:line:col`), included files too.
 */
export async function compileModule(device: GPUDevice, file: string, source: string | KernelSource): Promise<GPUShaderModule> {
  const src = typeof source === 'string' ? { code: source, segments: [] } : source;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: src.code, label: file });
  const [info, scopeError] = await Promise.all([module.getCompilationInfo(), device.popErrorScope()]);
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const messages: CompileMessage[] = errors.map((m) => {
      const at = locate(src, file, m.lineNum);
      return { file: at.file, type: m.type, lineNum: at.line, linePos: m.linePos, message: m.message };
    });
    throw new KernelCompileError(file, messages);
  }
  if (scopeError) throw new KernelCompileError(file, [{ file, type: 'error', lineNum: 0, linePos: 0, message: scopeError.message }]);
  return module;
}

const debugLevel = Number(process.env.DESCENT_DEBUG ?? 0);

export class Pipelines {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice, private readonly onError: (e: Error) => void) {}

  /** Compiles kernel files up front, so that a WGSL error fails at backend creation. */
  async compile(files: readonly string[]): Promise<void> {
    await Promise.all(files.map(async (file) => {
      if (!this.modules.has(file)) this.modules.set(file, await compileModule(this.device, file, kernelSource(file)));
    }));
  }

  /** Pipelines by (file, entry, constants in the caller's order): a lookup that skips the sort of pipelineKey. */
  private readonly fast = new Map<string, GPUComputePipeline>();

  /** The cached pipeline for (file, entry, constants), created on first use. */
  get(file: string, entry: string, constants: Constants): GPUComputePipeline {
    let fastKey = `${file}:${entry}`;
    for (const name in constants) fastKey += `,${name}=${constants[name]}`;
    let p = this.fast.get(fastKey);
    if (p) return p;
    const key = pipelineKey(file, entry, constants);
    p = this.pipelines.get(key);
    if (p) {
      this.fast.set(fastKey, p);
      return p;
    }
    let module = this.modules.get(file);
    if (!module) {
      // A file not compiled up front: its compile errors arrive through the scope below.
      module = this.device.createShaderModule({ code: kernelSource(file).code, label: file });
      this.modules.set(file, module);
    }
    if (debugLevel >= 2) process.stderr.write(`[descent webgpu] pipeline ${key}\n${kernelSource(file).code}\n`);
    this.device.pushErrorScope('validation');
    p = this.device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: entry, constants: { ...constants } } });
    // A device destroyed meanwhile rejects the scope; its loss is reported elsewhere.
    void this.device.popErrorScope().then((err) => {
      if (err) this.onError(new GPUValidationError(`creating pipeline ${key}`, err.message));
    }, () => {});
    this.pipelines.set(key, p);
    this.fast.set(fastKey, p);
    return p;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
