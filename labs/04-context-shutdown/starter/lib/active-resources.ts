// What keeps this process's event loop alive, counted by kind: Node's nearest thing to Go's
// runtime.NumGoroutine() and /debug/pprof/goroutine. Each entry of
// process.getActiveResourcesInfo() is one handle or request libuv still waits on: a timer
// (Timeout), a socket (TCPSocketWrap), a listening server (TCPServerWrap), a file system
// call in progress (FSReqCallback)… A kind whose count grows with traffic and never comes
// back down once the traffic stops is a leak, exactly like a goroutine count that only grows.
//
// Two blind spots, both worth knowing before trusting a flat line: a timer or socket that
// was unref()'d no longer keeps the loop alive, so it is not counted although it still runs
// and still holds everything its callback refers to; and promises are not resources at all,
// so an await that never settles leaves no trace here (a heap profile finds both). `live`
// covers the first for the objects a request should leave behind: it counts them in the
// heap after a full GC (v8.queryObjects), whether or not they keep the loop alive.
import { ServerResponse } from 'node:http';
import { queryObjects } from 'node:v8';
import { json, type AdminRoute } from './admin-reply.ts';

export interface ActiveResources {
  /** All active resources, this request's own socket included. */
  total: number;
  /** Count per kind, the most numerous first. */
  byType: Record<string, number>;
  /** Timers and HTTP responses still in the heap, referenced or not by the event loop. */
  live: { Timeout: number; ServerResponse: number };
}

// Node exports no Timeout class: take it from a timer.
const Timeout = (() => {
  const timer = setTimeout(() => {}, 0);
  clearTimeout(timer);
  return timer.constructor;
})();

export function activeResources(): ActiveResources {
  const kinds = process.getActiveResourcesInfo();
  const counts = new Map<string, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  const byType = Object.fromEntries([...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
  // Each queryObjects call runs a full GC first: fine for a debug endpoint, never for metrics.
  const live = { Timeout: queryObjects(Timeout, { format: 'count' }), ServerResponse: queryObjects(ServerResponse, { format: 'count' }) };
  return { total: kinds.length, byType, live };
}

/** GET /debug/resources on the admin port: compare two readings to find a leak. */
export function resourcesRoute(): AdminRoute {
  return {
    path: '/debug/resources',
    description: 'what keeps the event loop alive (timers, sockets, servers…), counted by kind, JSON; compare two readings to find a leak',
    async handle() {
      return json(activeResources());
    },
  };
}
