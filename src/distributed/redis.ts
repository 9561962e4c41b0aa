// Connections to Redis for distributed jobs (ioredis). The URL is passed to ioredis as it is:
// `redis://[user:password@]host:port[/db]` (an ACL user and password, or `:password@` for
// requirepass) or `rediss://...` for TLS (certificates checked against Node's CA store; add
// a private CA with NODE_EXTRA_CA_CERTS). Commands fail fast while the server is down (one
// retry), so that callers see the outage, report it and retry on their own bounded terms.

import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Keys } from './protocol.js';

export type { Redis, RedisOptions };

/** The URL with its password (and user) replaced by '***', for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/i, (_m, scheme: string) => `${scheme}***@`);
}

/** Opens a connection; `name` shows in CLIENT LIST. */
export function connectRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  if (typeof url !== 'string' || !/^rediss?:\/\//i.test(url)) {
    throw new TypeError(`connectRedis: expected a URL 'redis://[user:password@]host:port[/db]' or 'rediss://...' for 'url' but received '${redactUrl(String(url))}'`);
  }
  const r = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    lazyConnect: false,
    // The ready check runs INFO, which an ACL user without @dangerous may not run; commands wait for the connection anyway.
    enableReadyCheck: false,
    ...extra,
  });
  // Errors surface on the commands that fail; the 'error' event only repeats them.
  r.on('error', () => undefined);
  return r;
}

/** Creates a task stream's consumer group (the curvature or the federated one) if it is missing (after a Redis restart without persistence, too). */
export async function ensureGroup(r: Redis, k: Pick<Keys, 'tasks' | 'group'>): Promise<void> {
  try {
    await r.xgroup('CREATE', k.tasks, k.group, '0', 'MKSTREAM');
  } catch (e) {
    if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Resets a pending entry's idle time if, and only if, `consumer` still owns it: XPENDING
// for the one entry, then XCLAIM of it to the same consumer with min-idle-time 0 and JUSTID
// (JUSTID: the delivery counter is not incremented). Atomic (one script), so a heartbeat
// never takes back an entry another worker has reclaimed meanwhile. Returns 1 (reset),
// 0 (another consumer owns it now) or -1 (no longer pending: acknowledged).
const HEARTBEAT = `local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 then return -1 end
if p[1][2] ~= ARGV[2] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1`;

/**
 * A worker's heartbeat on the task it holds: resets the idle time of pending entry `id` of
 * group `k.group` on stream `k.tasks` (any stream and group) when `consumer` still owns it,
 * so other workers' XAUTOCLAIM (min idle = the visibility timeout) leaves it alone while
 * the holder is alive. Call it every visibility/4 or so while the task is in hand.
 * Returns 'held' (reset), 'lost' (another consumer owns it now) or 'gone' (acknowledged).
 */
export async function heartbeat(r: Redis, k: Pick<Keys, 'tasks' | 'group'>, consumer: string, id: string): Promise<'held' | 'lost' | 'gone'> {
  const res = Number(await r.eval(HEARTBEAT, 1, k.tasks, k.group, consumer, id));
  return res === 1 ? 'held' : res === 0 ? 'lost' : 'gone';
}

/**
 * Keeps the clock of a Redis outage for a caller that retries: `failed(e)` logs the first
 * failure ("Redis at URL failed (...); retrying for up to N s") and counts it, and throws once
 * Redis has failed for longer than `retryMs` without a break, with `stopped` saying what the
 * caller's state is; `back()` ends the outage and returns its length in seconds (null if none).
 */
export function outageClock(fn: string, where: string, retryMs: number, log: (line: string) => void, counted: () => void) {
  let since: number | null = null;
  return {
    get down(): boolean { return since !== null; },
    failed(e: unknown, stopped: string): void {
      const now = Date.now(), msg = (e as Error)?.message ?? String(e);
      if (since === null) {
        since = now;
        counted();
        log(`${fn}: Redis at ${where} failed (${msg}); retrying for up to ${Math.round(retryMs / 1000)} s`);
      } else if (now - since > retryMs) {
        throw new Error(`${fn}: Redis at ${where} has failed for ${Math.round((now - since) / 1000)} s (last error: ${msg}); ${stopped}`, { cause: e });
      }
    },
    /** Starts an outage that no command reported (a dropped connection), with its own log line. */
    suspect(line: string): void {
      if (since !== null) return;
      since = Date.now();
      counted();
      log(line);
    },
    back(): number | null {
      if (since === null) return null;
      const s = Math.round((Date.now() - since) / 1000);
      since = null;
      return s;
    },
  };
}
