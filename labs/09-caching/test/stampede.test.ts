// 09.stampede: 200 uploads of one new picture at once, half with one watermark text and half
// with another: two results, so the optimizer must run exactly twice, counted where the API
// cannot reach (the optimizer's own received requests, from the harness's probe); every
// upload is answered with its own text's image.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { upload } from '../../../shared/harness/upload.ts';
import { optimizeRequests, smallPhoto, withComment } from '../../06-circuit-breaker/test/breaker-helpers.ts';
import { unseenKey } from './cache-helpers.ts';

const stack = inject('stack');
const UPLOADS = 200;

describe('200 identical cold uploads at once', () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await startService({ tree: inject('tree'), stack, processes: ['api', 'optimizer'], probe: true, envFor: { optimizer: { NWS_PROBE_HTTP_REQUESTS: '1' } } });
  }, 60_000);
  afterAll(() => svc?.stopAll());

  it('09.stampede 200 uploads of one new picture with two watermark texts: the optimizer runs twice, every upload gets its text\'s image', { timeout: 90_000 }, async () => {
    const picture = withComment(await smallPhoto(), `stampede ${unseenKey()}`);
    const texts = ['stampede one', 'stampede two'];
    const before = (await optimizeRequests(svc)).length;
    const answers = await Promise.all(
      Array.from({ length: UPLOADS }, (_, i) =>
        upload(svc.apiUrl, { image: picture, wmText: texts[i % 2], timeoutMs: 60_000 }).then(
          (answer) => ({ text: texts[i % 2]!, status: answer.status, sha: createHash('sha256').update(answer.body).digest('hex'), body: answer.body.toString('utf8', 0, 160) }),
          (error: Error) => ({ text: texts[i % 2]!, status: 0, sha: '', body: error.message }),
        ),
      ),
    );
    const calls = (await optimizeRequests(svc)).length - before;
    const statuses = answers.reduce<Record<number, number>>((count, { status }) => ({ ...count, [status]: (count[status] ?? 0) + 1 }), {});
    console.log(`09.stampede: ${UPLOADS} uploads, statuses ${JSON.stringify(statuses)}, /optimize requests ${calls}`);

    const failed = answers.filter(({ status }) => status !== 200);
    expect(failed.length, `uploads not answered 200 (${JSON.stringify(statuses)}; first: ${failed[0]?.status} ${failed[0]?.body})`).toBe(0);
    expect(calls, `the optimizer received ${calls} /optimize requests for ${UPLOADS} uploads of two distinct results: each result must be computed once, however many ask for it at the same time`).toBe(2);
    for (const text of texts) {
      const shas = new Set(answers.filter((answer) => answer.text === text).map(({ sha }) => sha));
      expect(shas.size, `distinct images answered to the uploads watermarked "${text}"`).toBe(1);
    }
    const [one, two] = texts.map((text) => answers.find((answer) => answer.text === text)!.sha);
    expect(one, 'the two watermark texts were answered the same image: the shared work must be keyed by the whole cache key, text included').not.toBe(two);
  });
});
