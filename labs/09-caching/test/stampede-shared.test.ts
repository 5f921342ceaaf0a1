// 09.stampede-shared (bonus): two API instances on one Redis, one bucket, one queue and one
// optimizer, as behind a load balancer; 100 uploads of one new picture with one watermark text,
// sent to both at once. The optimizer, counted by the harness's probe, must run once: the
// instances share the miss through Redis, not only the uploads within each process.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { optimizeRequests, smallPhoto, withComment } from '../../06-circuit-breaker/test/breaker-helpers.ts';
import { unseenKey } from './cache-helpers.ts';

const stack = inject('stack');
const UPLOADS = 100;

describe('one new picture uploaded through two API instances at once', () => {
  let first: RunningService;
  let second: RunningService;
  beforeAll(async () => {
    first = await startService({ tree: inject('tree'), stack, processes: ['api', 'optimizer'], probe: true, envFor: { optimizer: { NWS_PROBE_HTTP_REQUESTS: '1' } } });
    // The same cache, bucket, queue and optimizer: a second instance of the same service.
    second = await startService({
      tree: inject('tree'),
      stack,
      processes: ['api'],
      env: { KEY_PREFIX: first.prefix, QUEUE_PREFIX: first.env.QUEUE_PREFIX!, S3_BUCKET: first.bucket, OPTIMIZER_URL: first.optimizerUrl },
    });
  }, 90_000);
  afterAll(() => Promise.all([first?.stopAll(), second?.stopAll()]));

  it('09.stampede-shared 100 uploads of one new picture through two API instances: the optimizer runs once', { timeout: 90_000 }, async () => {
    const picture = withComment(await smallPhoto(), `shared stampede ${unseenKey()}`);
    const before = (await optimizeRequests(first)).length;
    const answers = await Promise.all(
      Array.from({ length: UPLOADS }, (_, i) =>
        upload((i % 2 === 0 ? first : second).apiUrl, { image: picture, wmText: 'shared stampede', timeoutMs: 60_000 }).then(
          (answer) => ({ status: answer.status, sha: createHash('sha256').update(answer.body).digest('hex'), body: answer.body.toString('utf8', 0, 160) }),
          (error: Error) => ({ status: 0, sha: '', body: error.message }),
        ),
      ),
    );
    const calls = (await optimizeRequests(first)).length - before;
    const statuses = Object.fromEntries(Object.entries(Object.groupBy(answers, (a) => String(a.status))).map(([status, list]) => [status, list!.length]));
    expect(answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body}`), `uploads not answered 200 (${JSON.stringify(statuses)})`).toEqual([]);
    expect(new Set(answers.map((a) => a.sha)).size, 'every upload gets the same image').toBe(1);
    expect(calls, 'POST /optimize requests the optimizer received for one picture and one text').toBe(1);
  });
});
