// A real redis-server for a test: started on a free loopback port with its own temporary
// directory, waited for (PING: PONG, or NOAUTH from a server that wants a password), and stopped. Never a mock.
//
// The port: Redis cannot report a port it chose itself, so a free one is found by binding
// 127.0.0.1:0 in Node, reading the port and closing the socket, then passing it to
// redis-server (a tiny race with another process taking it in between; the start is then
// retried on another port). Persistence is off (`--save ''`, `--appendonly no`) unless asked.
//
// When redis-server is not installed: outside CI the tests skip with the reason; with
// CI=true they fail (CI installs it through scripts/setup-system.sh), like webgpu in
// test/helpers/backends.ts.

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inCI } from './backends.js';

export { inCI };

/** Why redis-server cannot be used here, or null when it can. */
export function redisMissing(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return `redis-server is not installed (${r.error?.message ?? `exit ${r.status}`}); run scripts/setup-system.sh`;
  return null;
}

/** A free TCP port on 127.0.0.1, found by binding port 0 and closing the socket. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    let buf = '';
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
    s.on('data', (d) => { buf += d.toString(); if (buf.includes('\r\n')) done(buf.startsWith('+PONG') || buf.startsWith('-NOAUTH')); });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s) and, unless keepDir, removes its directory. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
  /** Stops and starts the server again on the same port (what a Redis restart looks like to clients). */
  restart(downMs?: number): Promise<void>;
}

export interface RedisServerOptions {
  /** Extra redis-server arguments, e.g. ['--requirepass', 'secret']. */
  args?: string[];
  /** Keep persistence on (RDB snapshots in the temporary directory). */
  persist?: boolean;
}

async function launch(port: number, dir: string, o: RedisServerOptions): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes',
    ...(o.persist ? [] : ['--save', '', '--appendonly', 'no']), ...(o.args ?? [])];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-2000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: string | null = null;
  child.once('exit', (code, sig) => { exited = `redis-server exited (${code ?? sig}): ${out.trim().split('\n').slice(-2).join(' | ')}`; });
  for (let i = 0; i < 100; i++) {
    if (exited) throw new Error(exited);
    if (await ping(port)) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer PING on 127.0.0.1:${port} within 5 s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 2000);
  await gone;
  clearTimeout(t);
}

/** Starts a redis-server for one test file (see the header comment); `--requirepass` etc. through opts.args. */
export async function startRedis(o: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'descent-redis-'));
  let child: ChildProcess | null = null;
  let port = 0;
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, o);
    } catch (e) {
      lastError = e as Error;
    }
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError!;
  }
  let current: ChildProcess = child;
  return {
    port, dir, url: `redis://127.0.0.1:${port}`,
    async stop(s = {}) {
      await stopChild(current);
      if (!s.keepDir) rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 200) {
      await stopChild(current);
      await new Promise((r) => setTimeout(r, downMs));
      current = await launch(port, dir, o);
    },
  };
}
