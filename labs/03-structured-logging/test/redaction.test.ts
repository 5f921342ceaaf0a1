// Credentials never reach the logs: request headers are logged (at debug) with Authorization
// and Cookie censored, the config is logged with its keys and passwords censored, and a
// start-up failure names the broken dependency without its password.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { photoJpeg } from '../../../shared/fixtures/images.ts';
import { freePort } from '../../../shared/harness/ports.ts';
import { startService, type ProcessName, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { jsonLines, ofRequest, quote, freshRequestId, waitForLines, type LogLine } from './log-lines.ts';

let svc: RunningService;
beforeAll(async () => {
  // Debug level: the request's headers are logged, so redaction has something to do.
  svc = await startService({ tree: inject('tree'), stack: inject('stack'), env: { LOG_LEVEL: 'debug' } });
});
afterAll(() => svc?.stopAll());

const processes: ProcessName[] = ['api', 'optimizer', 'worker'];
const random = () => Math.random().toString(36).slice(2, 14);

/** Every value found under `key` (any depth, any case) in a parsed line. */
function valuesUnder(value: unknown, key: string): unknown[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([name, inner]) => [...(name.toLowerCase() === key ? [inner] : []), ...valuesUnder(inner, key)]);
}

/** Fails when `secret` appears anywhere in any process's output, naming the process and line. */
function expectNowhere(secret: string, what: string): void {
  for (const name of processes) {
    const line = svc.logs(name).split('\n').find((text) => text.includes(secret));
    if (line !== undefined) expect.fail(`${what} appears in the ${name}'s output: ${quote(line, 240)}`);
  }
}

describe('redaction', () => {
  it('03.redaction logs the request headers with Authorization and Cookie censored, and their values nowhere', async () => {
    const token = `secret-${random()}`;
    const session = random();
    const requestId = freshRequestId('redaction');
    const response = await upload(svc.apiUrl, {
      image: await photoJpeg(320, 240),
      wmText: `redaction ${requestId}`,
      headers: { 'x-request-id': requestId, authorization: `Bearer ${token}`, cookie: `session=${session}; theme=dark` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status, response.body.toString().slice(0, 200)).toBe(200);
    // The lines are there (at debug: the headers; at info: the steps and the summary)…
    const lines: LogLine[] = await waitForLines(svc, 'api', `line with "request_id": "${requestId}"`, ofRequest(requestId), { count: 2 });
    const headers = lines.flatMap((line) => valuesUnder(line, 'headers'));
    if (headers.length === 0) {
      expect.fail(`with LOG_LEVEL=debug no api line of the request carries its headers: log them at debug when a request arrives ("headers": {...}), through the logger's redaction`);
    }
    for (const [header, secret] of [
      ['authorization', token],
      ['cookie', session],
    ] as const) {
      const values = headers.flatMap((logged) => valuesUnder(logged, header));
      expect(values.length, `the logged headers have no "${header}" key: keep it, with its value censored (e.g. "[redacted]"), so the reader knows one was sent`).toBeGreaterThan(0);
      for (const value of values) expect(JSON.stringify(value), `the logged ${header} header still holds its value`).not.toContain(secret);
    }
    // …and the secrets are nowhere, in any process, in any field or message.
    expectNowhere(token, 'The Authorization token');
    expectNowhere(session, 'The session cookie');
  });

  it('03.redaction logs the config on the ready line with the S3 keys and the broker password censored', () => {
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
      const amqp = String(config.AMQP_URL ?? '');
      expect(amqp, `the ${name}'s logged config has no AMQP_URL`).not.toBe('');
      expect(amqp, `the ${name}'s logged AMQP_URL keeps its password: censor the password, keep the host so the line still says where the broker is`).not.toContain(`:${password}@`);
    }
    // The S3 access key equals the secret key on the test servers (minioadmin), which is why
    // the access key is censored too: one cannot check for the one without the other.
    expectNowhere(minio.secretKey, 'The S3 secret key');
  });

  it('03.redaction keeps the Redis password out of the start-up failure line', async () => {
    // A Redis that refuses connections, with a password in its URL.
    const password = `hunter-${random()}`;
    const result = spawnSync(process.execPath, [join(inject('tree'), 'api/server.ts')], {
      cwd: inject('tree'),
      env: { PATH: process.env.PATH ?? '', REDIS_URL: `redis://:${password}@127.0.0.1:1`, API_PORT: String(await freePort()), API_ADMIN_PORT: String(await freePort()) },
      encoding: 'utf8',
      timeout: 10_000,
    });
    const output = `${result.stdout}${result.stderr}`.trim();
    expect(result.status, `the api should exit 1 when Redis refuses; it printed: ${quote(output, 300)}`).toBe(1);
    expect(output, 'the failure line should still name Redis').toMatch(/redis/i);
    expect(output, 'the start-up failure line shows the Redis password: print the URL with its password replaced').not.toContain(password);
  });
});
