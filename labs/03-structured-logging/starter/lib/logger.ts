// The one way the three processes should log (lab 03). Nothing uses it yet: the service still
// prints strings with console.log and console.error, which a person can read and no tool can
// query. Finish this module, then replace every console.* call in api/, optimizer/, worker/
// and lib/ with it (`npm run verify lab-03` lists them).
//
// pino writes one JSON object per line: {"level":30,"time":1700000000000,"pid":…,"msg":"…"}.
// Extra fields go first: log.info({ step: 'redis', duration_ms: 1.2 }, 'redis get: miss').
// A child logger adds fields to every line it writes: log.child({ request_id }).
import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** The root logger of one process (api, optimizer or worker). */
export function createLogger(service: string): Logger {
  // TODO: put `service` on every line (pino's `base` option), so that the lines of three
  // processes can be mixed in one file, one log store, one jq query, and still be told apart.
  void service;

  // TODO: take the level from LOG_LEVEL (fatal, error, warn, info, debug, trace, silent),
  // validated with the rest of each process's config (lib/env.ts builds those fields) so that
  // LOG_LEVEL=verbose stops the process at start-up with one line naming the variable.

  // TODO: redact by path before anything is written: the authorization, cookie and set-cookie
  // headers wherever a line carries headers, and the secrets of the config. The ready line of
  // each process carries its validated config under `config` (lib/startup.ts logs the ready
  // line): the S3 keys censored, AMQP_URL and REDIS_URL with their password replaced and their
  // host kept, so the line still says where each server is.

  // TODO: JSON lines unless LOG_FORMAT asks for pino-pretty's readable lines (LOG_FORMAT is a
  // setting like LOG_LEVEL, validated in lib/env.ts). Under npm start and in the tests a process
  // writes to a pipe, so its own process.stdout.isTTY is false; npm start sets LOG_FORMAT=pretty
  // when its own output is a terminal (scripts/start.ts). For JSON, consider an asynchronous
  // destination (pino.destination({ dest: 1, sync: false })): what does a request gain, and
  // what can a crash lose?
  return pino();
}
