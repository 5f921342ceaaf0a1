import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runLoad } from './load-cli.ts';

// The server answers after 50 ms and records, per 100 ms slice since the first request, the
// most requests it had in flight at once: with a closed model that is the number of
// connections the tool runs at that moment.
const SLICE_MS = 100;
let server: Server;
let url: string;
let inFlight = 0;
let firstAt = 0;
const peaks: number[] = [];
const sockets = new Set<Socket>();

function note(): void {
  const slice = Math.floor((performance.now() - firstAt) / SLICE_MS);
  // A slice with no event keeps the level of the previous one.
  while (peaks.length <= slice) peaks.push(peaks.length ? inFlight : 0);
  peaks[slice] = Math.max(peaks[slice]!, inFlight);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    if (firstAt === 0) firstAt = performance.now();
    sockets.add(req.socket);
    inFlight++;
    note();
    req.resume();
    setTimeout(() => {
      res.end('ok');
      inFlight--;
      note();
    }, 50);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(() => server?.close());

/**
 * Index of the first slice, from `from` on, that starts a run of at least `slices` slices
 * whose peaks all lie in [low, high], or -1. One below the target is tolerated: on a busy
 * machine a connection can spend a whole slice between two requests.
 */
function hold(low: number, high: number, slices: number, from = 0): number {
  let start = -1;
  for (let i = from; i < peaks.length; i++) {
    const inside = peaks[i]! >= low && peaks[i]! <= high;
    if (inside && start < 0) start = i;
    if (!inside) start = -1;
    if (start >= 0 && i - start + 1 >= slices) return start;
  }
  return -1;
}

describe('stages', () => {
  it('02.stages ramping stages change the offered concurrency as declared, as the server sees it', async () => {
    // 0 → 8 over 1 s, hold 8 for 1 s, drop to 2 and hold for 1 s.
    const scenario = {
      request: { method: 'GET', path: '/' },
      closed: {
        stages: [
          { duration: '1s', target: 8 },
          { duration: '1s', target: 8 },
          { duration: '0s', target: 2 },
          { duration: '1s', target: 2 },
        ],
      },
    };
    const run = await runLoad(inject('tree'), scenario, { target: url, timeoutMs: 20_000 });
    expect(run.code, run.output).not.toBeNull();
    const seen = `in flight per ${SLICE_MS} ms as the server saw it: ${peaks.join(' ')}`;
    const high = hold(7, 8, 6);
    expect(high, `a hold at 8 in flight for ≥ 0.6 s; ${seen}`).toBeGreaterThanOrEqual(0);
    expect(peaks.slice(high, high + 6), `the hold reaches the 8 connections declared; ${seen}`).toContain(8);
    const low = hold(1, 2, 6, high + 6);
    expect(low, `after it, a hold at 2 in flight for ≥ 0.6 s; ${seen}`).toBeGreaterThan(high);
    // The ramp before the hold climbs through the levels in between, never back down by more than one.
    const ramp = peaks.slice(0, high);
    const between = new Set(ramp.filter((level) => level > 1 && level < 8));
    expect(between.size, `the 1 s ramp from 0 to 8 passes through several levels in between; ${seen}`).toBeGreaterThanOrEqual(3);
    const drops = ramp.filter((level, i) => i > 0 && level < ramp[i - 1]! - 1);
    expect(drops, `the ramp only climbs; ${seen}`).toEqual([]);
    expect(Math.max(...peaks), `never more than the 8 connections declared; ${seen}`).toBeLessThanOrEqual(8);
    expect(sockets.size, `distinct connections: at least the 8 declared; ${seen}`).toBeGreaterThanOrEqual(8);
  });
});
