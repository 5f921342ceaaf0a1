// 05.shared: two API processes on one Redis (the same KEY_PREFIX, as two replicas behind a load
// balancer would run) spend one client's budget together. Counted from the answers of both,
// and from Redis: one bucket for that client, not one per instance.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tinyImage } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { expectRejection, limiterKeys, passed, redisOf, sendAtOnce, statusCounts, uploadForm } from './limit-helpers.ts';

const stack = inject('stack');
// A slow refill: no token comes back between the two batches, however slow the machine.
const budget = { RATE_LIMIT_BURST: '10', RATE_LIMIT_PER_SECOND: '0.05' };
let first: RunningService;
let second: RunningService;
let redis: Awaited<ReturnType<typeof redisOf>>;

beforeAll(async () => {
  first = await startService({ tree: inject('tree'), stack, processes: ['api', 'optimizer'], env: budget });
  // The second instance: its own process and port, everything else the first one's.
  second = await startService({
    tree: inject('tree'),
    stack,
    processes: ['api'],
    env: { ...budget, KEY_PREFIX: first.prefix, QUEUE_PREFIX: first.env.QUEUE_PREFIX!, S3_BUCKET: first.bucket, OPTIMIZER_URL: first.optimizerUrl },
  });
  redis = await redisOf(stack.redis.url);
});
afterAll(async () => {
  await Promise.all([first?.stopAll(), second?.stopAll()]);
  redis?.disconnect();
});

describe('two API instances on one Redis', () => {
  it('05.shared spend one budget: a client that used its 10 uploads on one instance is refused by the other, and Redis holds one bucket for it', async () => {
    const form = await uploadForm(await tinyImage(), `shared ${first.prefix}`);
    const onFirst = await sendAtOnce(first, 10, form);
    expect(passed(onFirst), `10 uploads at once to the first instance, with a budget of 10: ${statusCounts(onFirst)}`).toBe(10);

    const onSecond = await sendAtOnce(second, 3, form);
    expect(
      passed(onSecond),
      `then 3 uploads at once to the second instance from the same client: ${statusCounts(onSecond)}. The budget is per client, not per instance: keep the bucket where both instances read and write it (Redis), and update it atomically`,
    ).toBe(0);
    expectRejection(onSecond[0]!, 20);

    const keys = await limiterKeys(redis, first);
    expect(keys.length, `limiter keys (${first.prefix}rl:*) after one client used both instances: ${keys.join(', ') || 'none'}`).toBe(1);
  });
});
