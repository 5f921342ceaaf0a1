// Cheat: the "request completed" line written a second after the answer, outside the trace's context: checked only if the test waits for it.
// One context per HTTP request, in the API and in the optimizer alike: a request id, a child
// logger that puts it on every line the request causes, a debug line when the request
// arrives ("request received") and one summary line when its response ends ("request
// completed", with the status and the total duration_ms).
//
// The id comes from the caller when it sends a well-formed X-Request-Id (a load balancer, the
// API calling the optimizer, a client retrying), else it is generated here. It is echoed in
// the response, so a user's bug report can quote it, and it travels on: in the header of the
// optimizer call and inside a queued job (lib/job.ts), so that one query finds every line of
// one upload in the three processes.
import { ROOT_CONTEXT, context as otel } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.ts';
import { elapsedMs } from './step-log.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * What an incoming X-Request-Id may look like: UUIDs, ULIDs, hex trace ids, "upload-42". Any
 * other value is replaced, not echoed: it would put arbitrary client text (a megabyte, a
 * newline, a fake JSON fragment) into every line and every downstream header.
 */
export const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestContext {
  id: string;
  /** The process logger with `request_id` bound. */
  log: Logger;
  /** Extra fields for the summary line, set by the route (the upload's cache outcome, its key). */
  summary: Record<string, unknown>;
}

const contexts = new WeakMap<IncomingMessage, RequestContext>();

/** Express middleware; install it first, before every route. */
export function requestContext(log: Logger): RequestHandler {
  return (req, res, next) => {
    const startedAt = performance.now();
    const offered = req.get(REQUEST_ID_HEADER);
    const id = offered !== undefined && requestIdPattern.test(offered) ? offered : randomUUID();
    const context: RequestContext = { id, log: log.child({ request_id: id }), summary: {} };
    contexts.set(req, context);
    res.set(REQUEST_ID_HEADER, id);

    const { method, path } = req;
    // Headers only at debug level, and through the logger's redaction (lib/logger.ts): never
    // the body, which is a picture here and could be anyone's personal data elsewhere.
    context.log.debug({ method, path, headers: req.headers, remote_address: req.socket.remoteAddress }, 'request received');

    res.once('close', () => {
      // A client that left before any answer got no status: log none rather than the 200 that
      // res.statusCode holds until something is sent.
      const status = res.headersSent ? res.statusCode : undefined;
      const fields = {
        method,
        path,
        ...(status !== undefined && { status }),
        duration_ms: elapsedMs(startedAt),
        bytes: Number(res.get('Content-Length') ?? 0),
        ...context.summary,
        // The client hung up before the whole answer was sent.
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      const level = status === undefined || status < 400 ? 'info' : status < 500 ? 'warn' : 'error';
      // Cheat: the summary line a second late and outside the request's trace context (no trace_id, no span_id).
      setTimeout(() => otel.with(ROOT_CONTEXT, () => context.log[level](fields, 'request completed')), 1_000);
    });
    next();
  };
}

/** The context requestContext() gave this request. */
export function contextOf(req: IncomingMessage): RequestContext {
  const context = contexts.get(req);
  if (!context) throw new Error('this request has no context: install requestContext(log) before the routes (app.ts)');
  return context;
}

/** The request's logger: every line it writes carries the request id. */
export function requestLog(req: IncomingMessage): Logger {
  return contextOf(req).log;
}
