// lab.json: one strict schema, shared by the CLI loader, `lab check`, the checklist and the
// JSON schema file editors use. Every field carries a description; unknown keys are errors so
// a typo never silently drops a criterion.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Lab } from './catalog.ts';
import { UserError } from './errors.ts';
import { shown, type LabRepo } from './paths.ts';

export const CRITERION_ID = /^\d{2}\.[a-z0-9]+(?:-[a-z0-9]+)*$/;

const nonEmpty = (what: string) => z.string().trim().min(1, `${what} must not be empty`);

export const CriterionSchema = z
  .strictObject({
    id: z
      .string()
      .regex(CRITERION_ID, 'must look like 07.ready: the lab number, a dot, a kebab-case slug')
      .describe('Stable id "NN.slug"; NN is the lab number. Test titles start with it; CHECKLIST.md and hints use it.')
      .meta({ examples: ['07.ready'] }),
    level: z
      .enum(['required', 'bonus'])
      .describe('required: must fail on the starter and pass on the solution, and gates `npm run verify`; bonus: optional extra.'),
    text: nonEmpty('text').describe('What is true when the criterion is met, in one sentence.'),
    hints: z
      .array(nonEmpty('a hint').describe('One hint; `npm run lab hint` reveals them in order, gentlest first.'))
      .min(1, 'needs at least one hint')
      .describe('Hints revealed one at a time by `npm run lab hint NN`, from a nudge to the near-answer.'),
  })
  .describe('One success criterion of the lab, checked by the tests whose titles start with its id.');

export const LabMetaSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path of labs/lab.schema.json, for editor completion; ignored by the tools.'),
    formatVersion: z.literal(1).describe('Version of this file format; bumped on incompatible changes.'),
    title: nonEmpty('title').describe('Human title of the lab, e.g. "See it in Prometheus".'),
    level: z.enum(['beginner', 'intermediate', 'advanced']).describe('How hard the lab is.'),
    duration: z
      .string()
      .regex(/^(?:\d+(?:\.\d+)?h|\d+h\d{2}|\d+min)$/, 'must be a duration like 2h, 1.5h, 1h30 or 45min')
      .describe('Expected time for a learner, e.g. "2h".')
      .meta({ examples: ['2h', '1h30', '45min'] }),
    concepts: z
      .array(nonEmpty('a concept').describe('One concept, a few words.'))
      .min(1, 'needs at least one concept')
      .describe('Concepts the lab teaches, shown in `npm run lab list` and CHECKLIST.md.'),
    criteria: z
      .array(CriterionSchema)
      .min(1, 'needs at least one criterion')
      .describe('Success criteria, in the order a learner meets them.'),
  })
  .superRefine((meta, ctx) => {
    const seen = new Set<string>();
    meta.criteria.forEach((criterion, index) => {
      if (seen.has(criterion.id)) {
        ctx.addIssue({ code: 'custom', path: ['criteria', index, 'id'], message: `duplicate id ${criterion.id}` });
      }
      seen.add(criterion.id);
    });
  })
  .describe('Metadata of one lab (labs/NN-slug/lab.json). The number, slug and paths come from the folder name.');

export type LabMeta = z.infer<typeof LabMetaSchema>;
export type Criterion = z.infer<typeof CriterionSchema>;

export function labMetaFile(lab: Lab): string {
  return join(lab.dir, 'lab.json');
}

/** "criteria[2].hints" */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || '(top level)';
}

/**
 * Validates the text of a lab.json. Returns every problem as "file: field: message" so that
 * `lab check` can list them all; ids must also carry this lab's number.
 */
export function validateLabMeta(text: string, file: string, lab: Pick<Lab, 'nn'>): { meta?: LabMeta; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problems: [`${file} is not valid JSON: ${(error as Error).message}`] };
  }
  const parsed = LabMetaSchema.safeParse(json);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((issue) => `${file}: ${fieldPath(issue.path)}: ${issue.message}`) };
  }
  const problems = parsed.data.criteria.flatMap((criterion, index) =>
    criterion.id.startsWith(`${lab.nn}.`)
      ? []
      : [`${file}: criteria[${index}].id: ${criterion.id} must start with this lab's number, "${lab.nn}."`],
  );
  return problems.length ? { problems } : { meta: parsed.data, problems };
}

export function loadLabMeta(repo: LabRepo, lab: Lab): LabMeta {
  const path = labMetaFile(lab);
  const file = shown(repo, path);
  if (!existsSync(path)) throw new UserError(`${file} is missing`, `create it (see labs/lab.schema.json), then run npm run lab check`);
  const { meta, problems } = validateLabMeta(readFileSync(path, 'utf8'), file, lab);
  if (!meta) throw new UserError(problems.join('; '), 'fix lab.json, then run npm run lab check');
  return meta;
}

/** The metadata, or null when lab.json is missing or invalid (listings show the lab anyway). */
export function tryLoadLabMeta(repo: LabRepo, lab: Lab): LabMeta | null {
  try {
    return loadLabMeta(repo, lab);
  } catch (error) {
    if (error instanceof UserError) return null;
    throw error;
  }
}

/** The JSON schema of lab.json, generated from the zod schema (labs/lab.schema.json). */
export function labMetaJsonSchema(): string {
  const { $schema, ...schema } = z.toJSONSchema(LabMetaSchema, { target: 'draft-2020-12' });
  const header = { $schema, title: 'lab.json', $comment: 'Generated by `npm run lab schema` from scripts/lab/lab-meta.ts; do not edit.' };
  return `${JSON.stringify({ ...header, ...schema }, null, 2)}\n`;
}
