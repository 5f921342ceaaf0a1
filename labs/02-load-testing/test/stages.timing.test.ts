import { afterAll, describe, expect, inject, it } from 'vitest';
import { runLoad } from './load-cli.ts';
import { startScriptedServer, type ScriptedServer } from './scripted-server.ts';
import { levelAt, outsideEnvelope, rampLevels, type PlanStage } from './stage-plan.ts';

// Each server answers after 50 ms and records, per 100 ms slice since its first request, the
// most requests it had in flight at once: with a closed model, the connections the tool runs
// at that moment. Two different plans, so that no fixed schedule passes both.
const SLICE_MS = 100;
const PLANS: Record<string, PlanStage[]> = {
  'a ramp 0 → 8 over 1 s, a hold, a drop to 2 and a hold': [
    { ms: 1000, target: 8 },
    { ms: 1000, target: 8 },
    { ms: 0, target: 2 },
    { ms: 1000, target: 2 },
  ],
  'a jump to 4, a hold, a ramp 4 → 10 over 1 s, a hold and a ramp down to 0': [
    { ms: 0, target: 4 },
    { ms: 600, target: 4 },
    { ms: 1000, target: 10 },
    { ms: 600, target: 10 },
    { ms: 400, target: 0 },
  ],
};
// How far the tool's clock may be from the server's: its first request, its 100 ms steps, a
// stopped connection finishing its last request.
const LAG_MS = 400;
// Slices allowed outside the envelope: on a busy machine the tool may stall for a few slices.
const STRAY_SLICES = 4;

const servers: ScriptedServer[] = [];
afterAll(() => servers.forEach((server) => server.close()));

describe.concurrent('stages', () => {
  for (const [name, plan] of Object.entries(PLANS)) {
    it(`02.stages ${name}: the server sees the concurrency the stages declare, slice by slice`, async () => {
      const server = await startScriptedServer(() => ({ delayMs: 50, status: 200 }));
      servers.push(server);
      const scenario = {
        request: { method: 'GET', path: '/' },
        closed: { stages: plan.map((stage) => ({ duration: `${stage.ms}ms`, target: stage.target })) },
      };
      const run = await runLoad(inject('tree'), scenario, { target: server.url, timeoutMs: 20_000 });
      const peaks = server.peaks(SLICE_MS);
      const expected = peaks.map((_, i) => levelAt(plan, (i + 0.5) * SLICE_MS));
      const seen = `in flight per ${SLICE_MS} ms as the server saw it:\n  ${peaks.join(' ')}\nthe stages ask for:\n  ${expected.join(' ')}\n${run.output}`;
      expect(peaks.length, `the server saw no request; ${seen}`).toBeGreaterThan(0);
      const stray = outsideEnvelope(plan, peaks, SLICE_MS, LAG_MS);
      expect(stray.length, `slices whose concurrency is not what the stages declare (±${LAG_MS} ms, one below tolerated) at ${stray.map((i) => `${(i * SLICE_MS) / 1000} s`).join(', ')}; ${seen}`).toBeLessThanOrEqual(STRAY_SLICES);
      for (const ramp of rampLevels(plan, peaks, SLICE_MS)) {
        expect(ramp.between.size, `the ramp from ${ramp.from} to ${ramp.to} passes through several levels in between; ${seen}`).toBeGreaterThanOrEqual(3);
      }
      const most = Math.max(...plan.map((stage) => stage.target));
      expect(Math.max(...peaks), `the ${most} connections declared are reached; ${seen}`).toBeGreaterThanOrEqual(most);
      expect(server.connections, `distinct connections: at least the ${most} declared; ${seen}`).toBeGreaterThanOrEqual(most);
    });
  }
});
