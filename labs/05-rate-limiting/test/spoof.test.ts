// 05.spoof: X-Forwarded-For is believed only from the trusted edge (a proxy on this machine,
// connecting over loopback). A client on another address that rotates the header is still one
// client with one budget; behind the trusted edge, each forwarded client has its own, keyed on
// the address the proxy appended (the right-most entry), not on what the client wrote before it.
// The untrusted client is this machine's own non-loopback address (eth0) talking to the API on
// 127.0.0.1, so no packet leaves the machine. Counted from the answers and from Redis's keys.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tinyImage } from '../../../shared/fixtures/images.ts';
import { startService, type RunningService } from '../../../shared/harness/service.ts';
import { externalAddress, limiterKeys, passed, redisOf, send, statusCounts, uploadForm, type Answer } from './limit-helpers.ts';

const stack = inject('stack');
// A slow refill: the counts below cannot be blurred by tokens coming back during the test.
const budget = { RATE_LIMIT_BURST: '10', RATE_LIMIT_PER_SECOND: '0.05' };
let svc: RunningService;
let redis: Awaited<ReturnType<typeof redisOf>>;
let form: Awaited<ReturnType<typeof uploadForm>>;

beforeAll(async () => {
  svc = await startService({ tree: inject('tree'), stack, processes: ['api', 'optimizer'], env: budget });
  redis = await redisOf(stack.redis.url);
  form = await uploadForm(await tinyImage(), `spoof ${svc.prefix}`);
});
afterAll(async () => {
  await svc?.stopAll();
  redis?.disconnect();
});

/** `count` uploads at once, the i-th with `forwardedFor(i)`, from `localAddress`. */
function batch(count: number, forwardedFor: (i: number) => string, localAddress?: string): Promise<Answer[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => send(svc, form, { forwardedFor: forwardedFor(i), localAddress })));
}

describe('X-Forwarded-For', () => {
  it('05.spoof from an untrusted address, rotating X-Forwarded-For on every upload, does not get a fresh budget', async () => {
    const address = externalAddress();
    if (!address) expect.fail('this machine has no non-loopback IPv4 address (os.networkInterfaces()), so no untrusted client can be made: 05.spoof cannot be observed here');
    const before = (await limiterKeys(redis, svc)).length;
    const answers = await batch(15, (i) => `203.0.113.${i + 1}`, address);
    expect(
      passed(answers),
      `15 uploads from ${address} (not a trusted proxy), each with another X-Forwarded-For: ${statusCounts(answers)}. Only the loopback edge may set the client's address ('trust proxy'); anyone else is its socket address`,
    ).toBe(10);
    const keys = (await limiterKeys(redis, svc)).length - before;
    expect(keys, `limiter keys made by one untrusted client rotating X-Forwarded-For (one bucket expected)`).toBe(1);
  });

  it('05.spoof behind the trusted loopback edge keys each client on the address the proxy appended', async () => {
    const before = (await limiterKeys(redis, svc)).length;
    // A proxy on this machine forwards client 198.51.100.7: its budget is its own.
    const first = await batch(11, () => '198.51.100.7');
    expect(passed(first), `11 uploads from 127.0.0.1 forwarded for 198.51.100.7: ${statusCounts(first)}`).toBe(10);
    const other = await send(svc, form, { forwardedFor: '198.51.100.8' });
    expect(other.status, `then one forwarded for another client, 198.51.100.8: its own full bucket (${other.body.slice(0, 120)})`).not.toBe(429);

    // A client that writes its own X-Forwarded-For before the proxy's: the proxy appends the
    // real address, and that right-most entry is the client.
    const chained = await batch(11, (i) => `203.0.113.${100 + i}, 198.51.100.9`);
    expect(passed(chained), `11 uploads forwarded as "<made-up address>, 198.51.100.9": ${statusCounts(chained)} (one client, 198.51.100.9)`).toBe(10);
    const keys = (await limiterKeys(redis, svc)).length - before;
    expect(keys, 'limiter keys for the three forwarded clients 198.51.100.7, .8 and .9').toBe(3);
  });
});
