// The one way the three processes log: pino, one JSON object per line on stdout, every line
// carrying `service`. Field names are an interface (jq queries, dashboards, alerts, and the
// later labs' `trace_id`): the lab 03 README lists them; rename none without updating it.
// From lab 08 on, every line written inside a span also carries `trace_id` and `span_id`
// (lib/trace-span.ts): the ids Jaeger shows, so a log line leads to its trace and back.
//
// - Level from LOG_LEVEL (validated with the rest of the config, lib/env.ts).
// - JSON unless stdout is a terminal (or LOG_FORMAT says otherwise): pipes, files, tests and
//   log shippers get JSON; a person at a terminal gets pino-pretty's coloured lines.
// - Secrets are censored by path before a line is written: request headers that carry
//   credentials, and the config values that are secrets (see `redactPaths`).
// - Asynchronous destination: a line is copied into sonic-boom's buffer and written to fd 1
//   by the event loop, so a request never waits on a slow terminal or pipe. The price: lines
//   still in the buffer are lost if the process is killed with SIGKILL. pino flushes the
//   buffer synchronously on a normal exit, including process.exit().
import { hostname } from 'node:os';
import pino from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import { traceFields } from './trace-span.ts';

export type { Logger };

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** auto: pretty on a terminal, JSON otherwise. */
export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

export interface LogSettings {
  LOG_LEVEL: LogLevel;
  LOG_FORMAT: LogFormat;
}

/** What a line shows in place of a secret. */
export const CENSORED = '[redacted]';

// Paths into a line's fields. Headers are only ever logged under a top-level `headers` key
// (lib/request-context.ts), so the paths need no wildcard: with pino 10, one `*.headers…`
// path adds about 27 % to every line (redaction then walks each field of each line), while
// exact paths cost little on a line that does not have them (measure/log-cost.ts in lab 03).
// Node's http parser lower-cases header names, so one spelling each is enough.
const credentialHeaders = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key'];
const headerPaths = credentialHeaders.map((name) => `headers["${name}"]`);
// The config is logged once on the ready line: keys and passwords in it are censored, and
// URLs keep everything but their password (so the line still says where the broker is).
const secretSettings = ['S3_SECRET_KEY', 'S3_ACCESS_KEY'];
const urlSettings = ['AMQP_URL', 'REDIS_URL'];
export const redactPaths = [...headerPaths, ...[...secretSettings, ...urlSettings].map((name) => `config.${name}`)];

/** A URL with its password replaced by ***; anything that is not a URL is censored whole. */
export function redactUrl(value: unknown): string {
  if (typeof value !== 'string' || !URL.canParse(value)) return CENSORED;
  const url = new URL(value);
  if (url.password) url.password = '***';
  return url.toString();
}

function censor(value: unknown, path: string[]): unknown {
  return urlSettings.includes(path.at(-1) ?? '') ? redactUrl(value) : CENSORED;
}

const defaults: LogSettings = { LOG_LEVEL: 'info', LOG_FORMAT: 'auto' };

/**
 * The root logger of one process. `service` (api, optimizer, worker) is on every line; pass
 * the validated config for its level and format, or nothing for the defaults (info, auto):
 * start-up failures are logged before the config could be read.
 */
export function createLogger(service: string, settings: LogSettings = defaults): Logger {
  const options: LoggerOptions = {
    level: settings.LOG_LEVEL,
    base: { service, pid: process.pid, hostname: hostname() },
    // "level":"info" rather than pino's 30: what Loki, Elasticsearch and people read.
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor },
    // Read when the line is written: the span active at that moment, not when the child logger was made.
    mixin: traceFields,
  };
  return pino(options, destination(settings.LOG_FORMAT));
}

function destination(format: LogFormat): DestinationStream {
  const usePretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (usePretty) {
    // pino-pretty parses each JSON line again to colour it: fine for a person, too slow for
    // production traffic, and never what a pipe or a test should receive.
    return pretty({ colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true, sync: true });
  }
  return pino.destination({ dest: 1, sync: false });
}
