import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runLoad } from './load-cli.ts';

// Answers every request after 30 ms, and counts them.
let server: Server;
let url: string;
let requests = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    setTimeout(() => res.end('ok'), 30);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => server?.close());

const load = (thresholds: string[]) => ({
  request: { method: 'GET', path: '/' },
  closed: { stages: [{ duration: '0s', target: 2 }, { duration: '1s', target: 2 }] },
  thresholds,
});

describe('thresholds', () => {
  it('02.thresholds a failing threshold makes the command exit non-zero and names the threshold', async () => {
    const run = await runLoad(inject('tree'), load(['errors<1%', 'p95<5ms']), { target: url, timeoutMs: 15_000 });
    expect(run.code, `the run should fail: every answer takes 30 ms, so "p95<5ms" cannot hold\n${run.output}`).not.toBe(0);
    expect(run.code, 'the tool was killed after 15 s').not.toBeNull();
    const lines = run.output.split('\n');
    const named = lines.filter((line) => line.includes('p95<5ms') && /✗|fail/i.test(line));
    expect(named, `no output line marks "p95<5ms" as failed (✗ or "fail"):\n${run.output}`).not.toEqual([]);
    const wrong = lines.filter((line) => line.includes('errors<1%') && /✗|fail/i.test(line));
    expect(wrong, '"errors<1%" held (no request failed) but is marked as failed').toEqual([]);
  });

  it('02.thresholds exits 0 when every threshold holds', async () => {
    const run = await runLoad(inject('tree'), load(['p95<5s', 'errors<1%']), { target: url, timeoutMs: 15_000 });
    expect(run.code, run.output).toBe(0);
  });

  it('02.thresholds rejects a malformed threshold before sending any load, naming the file and the threshold', async () => {
    const before = requests;
    const run = await runLoad(inject('tree'), load(['p95<fast']), { target: url, timeoutMs: 15_000, name: 'typo' });
    expect(run.code, `a scenario with the threshold "p95<fast" should be refused\n${run.output}`).toBe(1);
    expect(run.output, 'the message should name the scenario file').toContain(basename(run.scenarioFile));
    expect(run.output, 'the message should quote the bad threshold').toContain('p95<fast');
    expect(run.output, 'a known problem is reported without a stack trace').not.toMatch(/^\s+at /m);
    expect(requests - before, 'requests were sent before the scenario was validated').toBe(0);
  });
});
