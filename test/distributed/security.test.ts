// Connection security against a real redis-server: an ACL user with a password and TLS
// (rediss://, a CA made here with openssl) reach workers and coordinator through the URL;
// a wrong password fails within the bound with the password redacted from the message.

import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, useBackend } from '../../src/backend/backend.js';
import { curvatureJob, loadCurvatureShard } from '../../src/cli/spectrum-distributed.js';
import { DEFAULTS } from '../../src/cli/spectrum-options.js';
import type { SpectrumOptions } from '../../src/cli/spectrum-options.js';
import { buildProblem, loadData, loadModel } from '../../src/cli/spectrum-setup.js';
import { distributedOperator, redactUrl, runWorker } from '../../src/distributed/index.js';
import type { RedisOptions } from '../../src/distributed/redis.js';
import { freePort, inCI, redisMissing, startRedis } from '../helpers/redis.js';
import type { RedisServer } from '../helpers/redis.js';
import '../../src/backends.js';

const openssl = spawnSync('openssl', ['version']).status === 0 ? null : 'openssl is not installed';
const missing = redisMissing() ?? openssl;
const rtest = missing && !inCI ? test.skip : test.serial;
const title = (s: string) => (missing && !inCI ? `${s} (skipped: ${missing})` : s);

const dir = mkdtempSync(join(tmpdir(), 'descent-tls-'));
let server: RedisServer | null = null;
test.after.always(async () => { await server?.stop(); rmSync(dir, { recursive: true, force: true }); });

function makeCerts(): void {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=descent test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  const ext = join(dir, 'ext.cnf');
  spawnSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1\\n' > ${ext}`]);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', ext]);
}

const opts: SpectrumOptions = {
  ...DEFAULTS, model: '784-8-10:relu', data: 'reference', samples: 20, backend: 'cpu', out: 'unused', fresh: false, quiet: true, matrix: 'ggn',
};

rtest(title('an ACL user with a password over TLS (rediss://): the loss equals the in-process one; a wrong password fails, redacted'), async (t) => {
  makeCerts();
  const tlsPort = await freePort();
  server = await startRedis({
    args: ['--requirepass', 'default-secret', '--user', 'descent', 'on', '>s3cret', '~descent:*', '&*', '+@all', '-@dangerous',
      '--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'server.pem'), '--tls-key-file', join(dir, 'server.key'),
      '--tls-ca-cert-file', join(dir, 'ca.pem'), '--tls-auth-clients', 'no'],
  });
  const backend = await initBackend('cpu');
  await useBackend(backend);
  const data = loadData(opts.data, opts.samples, undefined);
  const local = buildProblem(loadModel(opts.model, undefined, 0, backend), data, 'ggn', undefined, 10, backend);
  const job = curvatureJob(opts, data, local.n, 2);
  const url = `rediss://descent:s3cret@127.0.0.1:${tlsPort}`;
  const tls: RedisOptions = { tls: { ca: readFileSync(join(dir, 'ca.pem')) } };
  const stop = new AbortController();
  const w = runWorker({ url, backend, loaders: { curvature: loadCurvatureShard(backend) }, signal: stop.signal, redisOptions: tls });
  const op = distributedOperator({ url, job, backend, redisOptions: tls });
  try {
    const loss = await op.value();
    t.is((await loss.data())[0], (await local.op.value.data())[0]);
  } finally {
    await op.close();
    stop.abort();
    await w;
  }
  t.is(redactUrl(url), `rediss://***@127.0.0.1:${tlsPort}`);
  const bad = distributedOperator({ url: `rediss://descent:wrong-pass@127.0.0.1:${tlsPort}`, job, backend, redisOptions: tls, retryMs: 1000 });
  const err = await t.throwsAsync(bad.value());
  t.regex(err!.message, /Redis at rediss:\/\/\*\*\*@127\.0\.0\.1:\d+ has failed/);
  t.notRegex(err!.message, /wrong-pass/);
  await bad.close();
});
