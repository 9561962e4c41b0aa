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

/** Creates the task stream's consumer group if it is missing (after a Redis restart without persistence, too). */
export async function ensureGroup(r: Redis, k: Keys): Promise<void> {
  try {
    await r.xgroup('CREATE', k.tasks, k.group, '0', 'MKSTREAM');
  } catch (e) {
    if (!String((e as Error).message).includes('BUSYGROUP')) throw e;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
