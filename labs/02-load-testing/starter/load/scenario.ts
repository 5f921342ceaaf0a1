// Scenario files: what to send (request), how hard (a closed model ramped by stages, or an
// open model at a constant arrival rate) and what counts as good enough (thresholds).
// The file is validated once, here; every error names the file and the field to fix.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { UserError } from './errors.ts';

/** Where `npm run load -- upload-hit` finds its scenario: load/scenarios/upload-hit.json. */
export const SCENARIOS_DIR = join(import.meta.dirname, 'scenarios');

export const DEFAULT_TARGET = 'http://127.0.0.1:3000';
const DEFAULT_TIMEOUT = '10s';

const duration = z.string({ error: 'expected a duration such as "500ms", "10s" or "1m30s"' }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; write e.g. "500ms", "10s" or "1m30s"` });
    return z.NEVER;
  }
  return ms;
});

const wholeNumber = (what: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .number({ error: `expected ${what}, a whole number` })
    .int({ error: `expected ${what}, a whole number` })
    .min(min, { error: `${what} must be at least ${min}` })
    .max(max, { error: `${what} must be at most ${max}` });

const StageSchema = z.strictObject({
  duration,
  target: wholeNumber('the number of connections to reach by the end of the stage', 0, 10_000),
});

const UploadSchema = z.strictObject({
  image: z
    .strictObject({ width: wholeNumber('a width in pixels', 16, 8_000), height: wholeNumber('a height in pixels', 16, 8_000) })
    .default({ width: 1600, height: 1200 }),
  wmText: z.string().min(1).max(60, { error: 'keep wmText to 60 characters: cache-miss requests append a run id to it' }).default('NWS © 2026'),
  wmPosition: z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right']).default('bottom-right'),
  missRatio: z
    .number({ error: 'expected a share between 0 and 1' })
    .min(0, { error: 'missRatio is a share between 0 and 1' })
    .max(1, { error: 'missRatio is a share between 0 and 1' })
    .default(0),
});

const RequestSchema = z
  .strictObject({
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    path: z.string().startsWith('/', { error: 'path must start with "/"' }).optional(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    upload: UploadSchema.optional(),
  })
  .superRefine((request, ctx) => {
    if (request.upload && request.body !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: 'give either "body" or "upload", not both' });
    }
  });

export const ScenarioSchema = z
  .strictObject({
    description: z.string().optional(),
    /** Base URL of the service; --target overrides it. */
    target: z.url({ error: 'expected a URL such as "http://127.0.0.1:3000"' }).optional(),
    request: RequestSchema,
    /** Closed model: a fixed number of connections, each sending its next request when the last one answered. */
    closed: z.strictObject({ stages: z.array(StageSchema).min(1, { error: 'give at least one stage' }) }).optional(),
    /** Open model: requests start at a constant rate, whether or not earlier ones answered. */
    open: z
      .strictObject({
        rate: z.number({ error: 'expected requests per second' }).positive({ error: 'rate must be above 0 requests per second' }),
        duration,
        maxConnections: wholeNumber('the most connections the open model may open', 1, 10_000).default(256),
      })
      .optional(),
    /** Pass/fail rules such as "p95<500ms" or "errors<1%". */
    thresholds: z.array(z.string()).default([]),
    /** A request that has not answered after this long counts as an error. */
    timeout: duration.optional(),
  })
  .superRefine((scenario, ctx) => {
    if (!scenario.closed === !scenario.open) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'give exactly one load model: "closed": { "stages": [...] } or "open": { "rate": 50, "duration": "10s" }',
      });
    }
    if (scenario.closed && scenario.closed.stages.every((stage) => stage.duration === 0)) {
      ctx.addIssue({ code: 'custom', path: ['closed', 'stages'], message: 'the stages last 0 s in total; give at least one a duration' });
    }
    if (scenario.open && scenario.open.duration === 0) {
      ctx.addIssue({ code: 'custom', path: ['open', 'duration'], message: 'the open model needs a duration above 0' });
    }
  });

export type ScenarioFile = z.infer<typeof ScenarioSchema>;
export type RequestSpec = ScenarioFile['request'];
export type UploadSpec = z.infer<typeof UploadSchema>;
/** One stage of the closed model; `duration` in milliseconds. */
export type Stage = z.infer<typeof StageSchema>;

export interface Scenario extends Omit<ScenarioFile, 'timeout' | 'target'> {
  /** The file name without .json. */
  name: string;
  /** Absolute path of the scenario file. */
  file: string;
  /** The file as error messages name it: relative to the working directory when inside it. */
  shown: string;
  target: string;
  /** Milliseconds. */
  timeout: number;
}

/** "closed.stages[1].target" */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

/** zod's message, with the two common cases said plainly. */
function explain(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `missing (${issue.message.replace(/^Invalid input: /, '').replace(/, received undefined$/, '')})`;
  return issue.message;
}

/** The scenario's file: a path (from `cwd`), or the name of one in load/scenarios/. */
export function findScenario(ref: string, cwd = process.cwd()): string {
  const candidates = [resolve(cwd, ref), join(SCENARIOS_DIR, ref), join(SCENARIOS_DIR, `${ref}.json`)];
  const found = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  if (found) return found;
  const names = existsSync(SCENARIOS_DIR)
    ? readdirSync(SCENARIOS_DIR).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length))
    : [];
  throw new UserError(
    `no scenario "${ref}": it is not a file, nor one of load/scenarios/ (${names.join(', ') || 'none there'})`,
    'pass a scenario file path, or one of those names',
  );
}

/** Reads and validates a scenario; `target` (from --target) replaces the file's target. */
export function loadScenario(ref: string, options: { cwd?: string; target?: string } = {}): Scenario {
  const cwd = options.cwd ?? process.cwd();
  const file = findScenario(ref, cwd);
  const shown = relative(cwd, file).startsWith('..') ? file : relative(cwd, file);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${shown} is not valid JSON: ${(error as Error).message}`, 'fix the file (a JSON object; see load/scenarios/ for examples)');
  }
  const parsed = ScenarioSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = fieldPath(issue.path);
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    throw new UserError(`${shown}: ${field ? `${field}: ` : ''}${explain(issue)}${more}`, 'fix the scenario file (see load/scenarios/ for examples)');
  }
  const target = options.target ?? parsed.data.target ?? DEFAULT_TARGET;
  if (!URL.canParse(target) || !/^https?:$/.test(new URL(target).protocol)) {
    throw new UserError(`--target "${target}" is not an http:// or https:// URL`, 'pass e.g. --target http://127.0.0.1:3000');
  }
  return {
    ...parsed.data,
    name: basename(file).replace(/\.json$/, ''),
    file,
    shown,
    target,
    timeout: parsed.data.timeout ?? parseDuration(DEFAULT_TIMEOUT)!,
  };
}

/** How long the load lasts, in milliseconds: the stages added up, or the open model's duration. */
export function loadDuration(scenario: Scenario): number {
  if (scenario.open) return scenario.open.duration;
  return (scenario.closed?.stages ?? []).reduce((sum, stage) => sum + stage.duration, 0);
}
