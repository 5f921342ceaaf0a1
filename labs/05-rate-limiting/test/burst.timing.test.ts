// 05.burst: a full bucket lets RATE_LIMIT_BURST uploads through at once, the next one is a 429
// that says when to come back, and the budget refills at RATE_LIMIT_PER_SECOND: tested at the
// lesson's setting (10, 2/s: after 1 s two more pass, not three) and at another (5, 1/s: after
// 2 s two more), so neither a hard-coded 10 nor a counter that never refills passes. The
// counts come from the answers; the bucket's key and its TTL from Redis. A *.timing file: the
// refill is read against the clock, so it runs alone.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tinyImage } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { expectRejection, fieldParam, limiterKeys, passed, redisOf, sendAtOnce, sleep, statusCounts, ttlsOf, uploadForm, type Answer } from './limit-helpers.ts';

const stack = inject('stack');
const settings = [
  { burst: 10, perSecond: 2, waitMs: 1000 },
  { burst: 5, perSecond: 1, waitMs: 2000 },
] as const;

/** At most this long from sending a batch to its refusal, or the batch was not "at once". */
const SPREAD_MS = 150;
const ATTEMPTS = 3;

/**
 * Whether a batch expected to let `expected` through was decided too slowly to count: its
 * refusal came back late, or more got through than expected while RateLimit's r= repeats a
 * value (a token came back between two decisions).
 */
function notAtOnce(answers: Answer[], expected: number): boolean {
  const refusal = answers.find((answer) => answer.status === 429);
  if (refusal && refusal.at! - refusal.sentAt! > SPREAD_MS) return true;
  const through = answers.filter((answer) => answer.status !== 429 && answer.status < 500);
  const left = through.map((answer) => fieldParam(answer.headers['ratelimit'], 'r')).filter((r) => r !== undefined);
  return through.length > expected && left.length === through.length && new Set(left).size < left.length;
}

let redis: Awaited<ReturnType<typeof redisOf>>;
const services: RunningService[] = [];

beforeAll(async () => {
  redis = await redisOf(stack.redis.url);
});
afterAll(async () => {
  await Promise.all(services.map((svc) => svc.stopAll()));
  redis?.disconnect();
});

describe('a client with a full bucket', () => {
  for (const { burst, perSecond, waitMs } of settings) {
    it(`05.burst lets ${burst} uploads through at once, answers the next 429 with Retry-After, and ${waitMs} ms later lets exactly two more through (RATE_LIMIT_BURST=${burst}, RATE_LIMIT_PER_SECOND=${perSecond})`, { timeout: 60_000 }, async () => {
      const svc = await startService({
        tree: inject('tree'),
        stack,
        processes: ['api', 'optimizer'],
        env: { RATE_LIMIT_BURST: String(burst), RATE_LIMIT_PER_SECOND: String(perSecond) },
      });
      services.push(svc);
      const form = await uploadForm(await tinyImage(), `burst ${burst} ${svc.prefix}`);
      const refillMs = Math.ceil((burst / perSecond) * 1000);

      // On a machine too busy to decide a batch "at once", a token may come back in the
      // middle of it (notAtOnce): the attempt proves nothing either way, so the bucket is left
      // to fill up and the attempt repeated, up to ATTEMPTS times.
      for (let attempt = 1; ; attempt++) {
        const last = attempt === ATTEMPTS;
        // burst + 1 at once.
        const answers = await sendAtOnce(svc, burst + 1, form);
        const refusal = answers.find((answer) => answer.status === 429);
        if (!last && notAtOnce(answers, burst)) {
          await sleep(refillMs + 500);
          continue;
        }
        const through = answers.filter((answer) => answer.status !== 429);
        expect(passed(answers), `${burst + 1} uploads at once from one client with a bucket of ${burst}: ${statusCounts(answers)}`).toBe(burst);
        expectRejection(refusal!, Math.ceil(1 / perSecond));

        // Every guarded answer states the policy; the ones let through count down to 0, each once.
        for (const answer of answers) {
          expect(fieldParam(answer.headers['ratelimit-policy'], 'q'), `RateLimit-Policy must give the burst as q= (got ${JSON.stringify(answer.headers['ratelimit-policy'])})`).toBe(burst);
        }
        const left = through.map((answer) => fieldParam(answer.headers['ratelimit'], 'r')).sort((a, b) => (a ?? -1) - (b ?? -1));
        expect(left, 'RateLimit r= of the uploads let through: each token is taken once, so they count down from burst − 1 to 0').toEqual(Array.from({ length: burst }, (_, i) => i));

        // Redis holds one bucket for this client, and it expires by the time a full refill takes.
        const keys = await limiterKeys(redis, svc);
        expect(keys.length, `the limiter's keys in Redis (${svc.prefix}rl:*) after one client's burst: ${keys.join(', ')}`).toBe(1);
        const [ttl] = await ttlsOf(redis, keys);
        expect(ttl! > 0 && ttl! <= refillMs, `PTTL of ${keys[0]} is ${ttl} ms: the bucket must expire, within the ${refillMs} ms a full refill takes`).toBe(true);

        // The refill, timed from the refusal's arrival (it was decided before): waitMs later
        // two tokens are back, not three (nor none).
        await sleep(Math.max(0, refusal!.at! + waitMs + 20 - performance.now()));
        const later = await sendAtOnce(svc, 3, form);
        const laterRefusal = later.find((answer) => answer.status === 429);
        if (!last && notAtOnce(later, 2)) {
          await sleep(refillMs + 500);
          continue;
        }
        expect(passed(later), `${waitMs} ms after the refusal, at ${perSecond} tokens a second, three uploads at once: ${statusCounts(later)} (two pass, one is refused)`).toBe(2);
        expectRejection(laterRefusal!, Math.ceil(1 / perSecond));
        break;
      }
    });
  }
});
