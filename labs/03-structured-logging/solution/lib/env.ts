// Environment parsing shared by the three processes: field builders, the variables more
// than one process reads, and the one-line failure every process prints at start-up.
import { z } from 'zod';
import { logFormats, logLevels } from './logger.ts';
import { StartupError } from './startup.ts';

/** A TCP port; the description is what the start-up line says is expected. */
export function port(fallback: number) {
  return z.coerce.number().int().min(1).max(65535).default(fallback).describe('a TCP port number 1–65535');
}

/** An interface to listen on. */
export function host(fallback: string) {
  return z.string().min(1).default(fallback).describe('a host name or IP address to listen on');
}

/** A URL whose scheme is one of `protocols` (given with their colon, as URL reports them). */
export function url(fallback: string, protocols: readonly string[]) {
  const schemes = protocols.map((p) => `${p}//`).join(' or ');
  return z
    .string()
    .refine((value) => URL.canParse(value) && protocols.includes(new URL(value).protocol))
    .default(fallback)
    .describe(`a ${schemes} URL`);
}

/** A whole number within bounds. */
export function integer(fallback: number, min: number, unit: string) {
  return z.coerce.number().int().min(min).default(fallback).describe(`a whole number of ${unit} ≥ ${min}`);
}

/** Free text, possibly empty (key and queue prefixes). */
export function text(fallback: string) {
  return z.string().default(fallback).describe('a string');
}

/** Variables read by more than one process, so their defaults live in one place. */
export const sharedFields = {
  REDIS_URL: url('redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  AMQP_URL: url('amqp://guest:guest@127.0.0.1:5672', ['amqp:', 'amqps:']),
  S3_ENDPOINT: url('http://127.0.0.1:9000', ['http:', 'https:']),
  S3_ACCESS_KEY: z.string().min(1).default('minioadmin').describe('a non-empty access key'),
  S3_SECRET_KEY: z.string().min(1).default('minioadmin').describe('a non-empty secret key'),
  // S3 bucket naming rules: 3–63 lowercase letters, digits, dots and hyphens.
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
    .default('originals')
    .describe('a bucket name of 3–63 lowercase letters, digits, dots or hyphens'),
  // Prefixes let tests share one Redis and one broker without seeing each other's keys.
  KEY_PREFIX: text('wm:'),
  QUEUE_PREFIX: text(''),
  OPTIMIZER_URL: url('http://127.0.0.1:3001', ['http:', 'https:']),
  CACHE_TTL_SECONDS: integer(86_400, 1, 'seconds'), // 24 h
};

/** How much each process logs, and in which form (lib/logger.ts); every config spreads them. */
export const logFields = {
  LOG_LEVEL: z.enum(logLevels).default('info').describe(`one of ${logLevels.join(', ')}`),
  // auto: pretty lines on a terminal, JSON lines otherwise (pipes, files, tests, log shippers).
  LOG_FORMAT: z.enum(logFormats).default('auto').describe(`one of ${logFormats.join(', ')}`),
};

/**
 * Parses `source` once against `shape` and freezes the result. Any bad variable stops the
 * process with one line naming each variable, what it expects and what it got.
 */
export function parseEnv<Shape extends Record<string, z.ZodType>>(
  shape: Shape,
  source: NodeJS.ProcessEnv = process.env,
): Readonly<z.infer<z.ZodObject<Shape>>> {
  const result = z.object(shape).safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const expected = shape[name]?.description ?? issue.message;
      return `${name} must be ${expected} (got ${JSON.stringify(source[name])})`;
    });
    throw new StartupError(`invalid configuration: ${[...new Set(problems)].join('; ')}`);
  }
  return Object.freeze(result.data);
}
