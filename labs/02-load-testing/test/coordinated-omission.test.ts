import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { numberAt, runLoad } from './load-cli.ts';
import { startStallingServer, type StallingServer } from './stalling.ts';

// The server freezes for 1 s every 2 s, and its own timing never shows it (see
// stalling-server.ts). Requests keep arriving during a freeze at 40/s: those users wait up to
// a second. An honest open-model tool reports that wait; a closed one sends nothing while it
// waits, and the freeze shrinks to one slow request per connection.
const RATE = 40;
const SECONDS = 3;

let server: StallingServer;
beforeAll(async () => {
  server = await startStallingServer(1000, 2000);
});
afterAll(() => server?.stop());

describe('coordinated omission', () => {
  it('02.coordinated-omission the open-model p99 shows the 1 s stalls (≥ 500 ms) while the server\'s own median stays low', async () => {
    const scenario = { request: { method: 'GET', path: '/' }, open: { rate: RATE, duration: `${SECONDS}s` } };
    const run = await runLoad(inject('tree'), scenario, { target: server.url, timeoutMs: 20_000 });
    expect(run.report, `no JSON report was written to the --json file\n${run.output}`).toBeDefined();
    const total = numberAt(run.report, 'requests/total');
    // An open model sends rate × duration requests whatever the answers; a closed one sends
    // as many as the answers allow (thousands here, or a handful during a stall).
    expect(total, `requests.total: ${RATE}/s for ${SECONDS} s is ${RATE * SECONDS} requests`).toBeGreaterThanOrEqual(RATE * SECONDS * 0.9);
    expect(total!).toBeLessThanOrEqual(RATE * SECONDS * 1.1);
    const p99 = numberAt(run.report, 'latency/p99');
    const own = await server.stats();
    expect(own.median, 'the server\'s own median service time').toBeLessThan(50);
    expect(p99, `latency.p99 measured from the intended send times, while the server's own median was ${own.median.toFixed(2)} ms`).toBeGreaterThanOrEqual(500);
  });
});
