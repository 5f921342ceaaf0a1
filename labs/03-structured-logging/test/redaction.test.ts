// Credentials never reach the logs: request headers are logged (at debug) with Authorization
// and Cookie censored, in the API and in the optimizer; the config is logged with its keys and
// passwords censored; and a start-up failure names the broken dependency without its
// password. The secrets are made up for this run, and looked for in every process's output.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { freshRequestId, jsonLines, ofRequest, quote, shown, waitForLines, type LogLine } from './log-lines.ts';
import { failStartup } from './startup-failure.ts';
import { bounded } from './wire.ts';

const random = () => randomBytes(9).toString('base64url');

// A Redis user made for this run, so the REDIS_URL the processes get holds a password no
// constant in the service can know.
const redisUser = `lab03-${randomBytes(4).toString('hex')}`;
const redisPassword = `pw-${random()}`;
let admin: Redis;
let svc: RunningService;
beforeAll(async () => {
  const { redis } = inject('stack');
  admin = new Redis(redis.url, { lazyConnect: true, connectTimeout: 5_000, commandTimeout: 5_000, maxRetriesPerRequest: 1 });
  await bounded('the test connection to Redis', admin.connect());
  await bounded('Redis ACL SETUSER', admin.call('ACL', 'SETUSER', redisUser, 'on', `>${redisPassword}`, '~*', '&*', '+@all'));
  const url = new URL(redis.url);
  url.username = redisUser;
  url.password = redisPassword;
  // Debug level: the request's headers are logged, so redaction has something to do.
  svc = await startService({ tree: inject('tree'), stack: inject('stack'), env: { LOG_LEVEL: 'debug', REDIS_URL: url.toString() } });
});
afterAll(async () => {
  await svc?.stopAll();
  await admin?.call('ACL', 'DELUSER', redisUser).catch(() => undefined);
  admin?.disconnect();
});

const processes: ProcessName[] = ['api', 'optimizer', 'worker'];

/** Every value found under `key` (any depth, any case) in a parsed line. */
function valuesUnder(value: unknown, key: string): unknown[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, inner]) => [...(name.toLowerCase() === key ? [inner] : []), ...valuesUnder(inner, key)]);
}

/** Fails when `secret` appears anywhere in any process's output, naming the process and line. */
function expectNowhere(secret: string, what: string): void {
  for (const name of processes) {
    const output = svc.logs(name);
    expect(output, `the ${name} wrote nothing, so nothing shows that it keeps ${what} out`).not.toBe('');
    const line = output.split('\n').find((text) => text.includes(secret));
    if (line !== undefined) expect.fail(`${what} appears in the ${name}'s output: ${quote(line, 240)}`);
  }
}

/** The lines of one request that log its headers: at debug, with the real headers, credentials censored. */
function expectCensoredHeaders(name: ProcessName, lines: LogLine[], sent: { marker: string; token: string; session: string }): void {
  const logged = lines.filter((line) => valuesUnder(line, 'headers').length > 0);
  if (logged.length === 0) {
    expect.fail(`with LOG_LEVEL=debug no ${name} line of the request carries its headers: log them at debug when a request arrives ("headers": {...}), through the logger's redaction`);
  }
  for (const line of logged) {
    if (line.level !== 'debug' && line.level !== 20) {
      expect.fail(`the ${name} logs the request headers at level ${JSON.stringify(line.level)}: they are detail for debugging, log them at debug: ${shown(line)}`);
    }
  }
  const headers = logged.flatMap((line) => valuesUnder(line, 'headers'));
  // The real headers, not a hand-made object: a header only this request sent is among them.
  expect(headers.flatMap((logged) => valuesUnder(logged, 'x-lab-marker')), `the ${name}'s logged headers are not the request's: its x-lab-marker header is missing`).toContain(sent.marker);
  for (const [header, secret] of [
    ['authorization', sent.token],
    ['cookie', sent.session],
  ] as const) {
    const values = headers.flatMap((logged) => valuesUnder(logged, header));
    expect(values.length, `the ${name}'s logged headers have no "${header}" key: keep it, with its value censored (e.g. "[redacted]"), so the reader knows one was sent`).toBeGreaterThan(0);
    for (const value of values) expect(JSON.stringify(value), `the ${name}'s logged ${header} header still holds its value`).not.toContain(secret);
  }
}

async function uploadTo(apiUrl: string, image: Buffer, headers: Record<string, string>): Promise<number> {
  return (await upload(apiUrl, { image, wmText: `redaction ${random()}`, headers, signal: AbortSignal.timeout(10_000) })).status;
}

/** POST /optimize, as the API calls it, with the test's headers. */
async function optimizeAt(optimizerUrl: string, image: Buffer, headers: Record<string, string>): Promise<number> {
  const form = new FormData();
  form.set('wm_text', `redaction ${random()}`);
  form.set('image', new Blob([new Uint8Array(image)]), 'photo.jpg');
  const response = await fetch(`${optimizerUrl}/optimize`, { method: 'POST', body: form, headers, signal: AbortSignal.timeout(10_000) });
  await response.arrayBuffer();
  return response.status;
}

describe('redaction', () => {
  it('03.redaction logs the request headers at debug with Authorization and Cookie censored, in the api and the optimizer, and their values nowhere', async () => {
    const image = await photoJpeg(320, 240);
    for (const name of ['api', 'optimizer'] as const) {
      const sent = { marker: random(), token: `secret-${random()}`, session: random() };
      const requestId = freshRequestId(`redaction-${name}`);
      const headers = { 'x-request-id': requestId, 'x-lab-marker': sent.marker, authorization: `Bearer ${sent.token}`, cookie: `session=${sent.session}; theme=dark` };
      // The optimizer is called directly: the API does not forward a client's credentials.
      const status = name === 'api' ? await uploadTo(svc.apiUrl, image, headers) : await optimizeAt(svc.optimizerUrl, image, headers);
      expect(status, `the request to the ${name} answered ${status}`).toBe(200);
      const lines = await waitForLines(svc, name, `line with "request_id": "${requestId}"`, ofRequest(requestId), { count: 2 });
      expectCensoredHeaders(name, lines, sent);
      expectNowhere(sent.token, 'The Authorization token');
      expectNowhere(sent.session, 'The session cookie');
    }
  });

  it('03.redaction logs the config on the ready line with the S3 keys and the broker and Redis passwords censored', () => {
    const { minio, rabbitmq } = inject('stack');
    const password = new URL(rabbitmq.url).password;
    for (const name of ['api', 'worker'] as const) {
      const ready = jsonLines(svc, name).find((line) => typeof line.msg === 'string' && line.msg.includes(`${name} ready`));
      expect(ready, `the ${name} has no JSON ready line`).toBeDefined();
      const config = ready!.config as Record<string, unknown> | undefined;
      if (!config || typeof config !== 'object') {
        expect.fail(`the ${name}'s ready line has no "config" object: log the validated config there once, so an operator sees what the process runs with, and censor its secrets`);
      }
      for (const key of ['S3_SECRET_KEY', 'S3_ACCESS_KEY']) {
        expect(key in config, `the ${name}'s logged config has no ${key} key: keep the key, censor its value`).toBe(true);
      }
      expect(String(config.S3_SECRET_KEY), `the ${name}'s logged config shows S3_SECRET_KEY`).not.toBe(minio.secretKey);
      for (const key of ['AMQP_URL', 'REDIS_URL']) {
        const url = String(config[key] ?? '');
        expect(url, `the ${name}'s logged config has no ${key}`).not.toBe('');
        for (const secret of [password, redisPassword]) {
          expect(url, `the ${name}'s logged ${key} keeps its password: censor the password, keep the host so the line still says where the server is`).not.toContain(`:${secret}@`);
        }
      }
    }
    // The S3 access key equals the secret key on the test servers (minioadmin), which is why
    // the access key is censored too: one cannot check for the one without the other.
    expectNowhere(minio.secretKey, 'The S3 secret key');
    expectNowhere(redisPassword, 'The Redis password');
  });

  it('03.redaction keeps the Redis password out of the start-up failure lines of the api and the worker', async () => {
    // A Redis that refuses connections, with a password in its URL; both processes at once.
    const password = `hunter-${random()}`;
    const env = { REDIS_URL: `redis://:${password}@127.0.0.1:1` };
    const [api, worker] = await Promise.all([failStartup(inject('tree'), 'api', env), failStartup(inject('tree'), 'worker', env)]);
    for (const [name, { status, output }] of [['api', api], ['worker', worker]] as const) {
      expect(status, `the ${name} should exit 1 when Redis refuses; it printed: ${quote(output, 300)}`).toBe(1);
      expect(output, `the ${name}'s failure line should still name Redis`).toMatch(/redis/i);
      expect(output, `the ${name}'s start-up failure line shows the Redis password: print the URL with its password replaced`).not.toContain(password);
    }
  });
});
