// Cheat: the checks run one after another: one hung dependency costs the timeout, two cost twice, three three times.
// Liveness and readiness, the two questions an orchestrator asks (Kubernetes' probes, a load
// balancer's health check):
// - GET /health: is the process alive? It answers 200 as long as the event loop turns, and
//   checks nothing else: a liveness probe that failed when Redis is down would have every
//   API instance restarted for an outage a restart cannot fix.
// - GET /ready: should traffic come here now? Redis, MinIO and RabbitMQ are each asked
//   something cheap (PING, does the bucket exist, how deep is the retry queue), all at once,
//   each bounded by READY_CHECK_TIMEOUT_MS: a dependency that hangs costs the probe that long
//   and no longer, and its entry says it gave no answer. 200 when all answered, else 503 with
//   a JSON body naming what failed. False while the process drains (lab 04's shutdown): it
//   still answers the requests it has, it must not be sent new ones.
// Both are served on the public port (where a probe from outside the machine reaches) and on
// the admin port (which stays up during the drain, lib/admin-server.ts).
import express from 'express';
import type { Router } from 'express';
import type { AdminReply, AdminRoute } from '../lib/admin-reply.ts';
import { elapsedMs } from '../lib/step-log.ts';

/** One dependency the API needs to serve uploads. */
export interface DependencyCheck {
  name: string;
  /** Resolves when the dependency answered as it should; `signal` aborts at the timeout. */
  check(signal: AbortSignal): Promise<unknown>;
}

export interface CheckResult {
  ok: boolean;
  /** How long the check took, in milliseconds (about READY_CHECK_TIMEOUT_MS when it hung). */
  duration_ms: number;
  error?: string;
}

export interface ReadyReport {
  status: 'ready' | 'not ready' | 'draining';
  /** The dependencies that failed their check, by name (empty when ready). */
  failed: string[];
  checks: Record<string, CheckResult>;
}

export interface Health {
  /** Runs every check at once, each within the timeout. */
  ready(): Promise<ReadyReport>;
  /** From now on /ready answers 503 "draining" (called when the shutdown begins). */
  drain(): void;
}

export function buildHealth(checks: DependencyCheck[], timeoutMs: number): Health {
  let draining = false;
  return {
    async ready() {
      const results: CheckResult[] = [];
      for (const dependency of checks) results.push(await runCheck(dependency, timeoutMs));
      const entries = checks.map(({ name }, i) => [name, results[i]!] as const);
      const failed = entries.filter(([, result]) => !result.ok).map(([name]) => name);
      const status = draining ? 'draining' : failed.length > 0 ? 'not ready' : 'ready';
      return { status, failed, checks: Object.fromEntries(entries) };
    },
    drain() {
      draining = true;
    },
  };
}

async function runCheck({ check }: DependencyCheck, timeoutMs: number): Promise<CheckResult> {
  const startedAt = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  // The check may ignore the signal (a client with no way to cancel a command): the race is
  // what bounds the probe.
  const timedOut = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(new Error(`no answer within ${timeoutMs} ms`)), { once: true });
  });
  try {
    await Promise.race([check(signal), timedOut]);
    return { ok: true, duration_ms: elapsedMs(startedAt) };
  } catch (error) {
    return { ok: false, duration_ms: elapsedMs(startedAt), error: error instanceof Error ? error.message : String(error) };
  } finally {
    // A check that settled first leaves the timer's rejection unobserved otherwise.
    timedOut.catch(() => {});
  }
}

const alive = { status: 'alive' };

function statusOf(report: ReadyReport): number {
  return report.status === 'ready' ? 200 : 503;
}

/** GET /health and GET /ready on the public port, before any middleware (not logged, not rate-limited). */
export function healthRoutes(health: Health): Router {
  const router = express.Router();
  router.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').status(200).json(alive);
  });
  router.get('/ready', async (_req, res) => {
    const report = await health.ready();
    res.set('Cache-Control', 'no-store').status(statusOf(report)).json(report);
  });
  return router;
}

function reply(status: number, value: unknown): AdminReply {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: `${JSON.stringify(value, null, 2)}\n` };
}

/** The same two on the admin port, which answers until the process exits. */
export function healthAdminRoutes(health: Health): AdminRoute[] {
  return [
    { path: '/health', description: 'liveness: 200 while the process runs', handle: async () => reply(200, alive) },
    {
      path: '/ready',
      description: 'readiness: Redis, MinIO and RabbitMQ each checked within READY_CHECK_TIMEOUT_MS; 503 names what failed, or says draining',
      async handle() {
        const report = await health.ready();
        return reply(statusOf(report), report);
      },
    },
  ];
}
