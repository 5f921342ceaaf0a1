import { describe, expect, it } from 'vitest';
import { labMetaJsonSchema, validateLabMeta } from '../lab-meta.ts';
import { labJson } from './fixture.ts';

const FILE = 'labs/07-metrics-health/lab.json';
const lab = { nn: '07' };
const valid = () => JSON.parse(labJson('07', 'See it in Prometheus', ['ready', 'health'])) as Record<string, unknown> & { criteria: Record<string, unknown>[] };
const problemsOf = (json: unknown) => validateLabMeta(JSON.stringify(json), FILE, lab).problems;

describe('lab.json schema', () => {
  it('accepts a complete lab.json', () => {
    const { meta, problems } = validateLabMeta(JSON.stringify(valid()), FILE, lab);
    expect(problems).toEqual([]);
    expect(meta?.criteria.map((criterion) => criterion.id)).toEqual(['07.ready', '07.health']);
  });

  it('names the file and the field of every problem', () => {
    const json = valid();
    json.level = 'expert';
    json.criteria[1]!.hints = [];
    expect(problemsOf(json)).toEqual([
      `${FILE}: level: Invalid option: expected one of "beginner"|"intermediate"|"advanced"`,
      `${FILE}: criteria[1].hints: needs at least one hint`,
    ]);
  });

  it('rejects unknown keys, so a typo never silently drops a field', () => {
    const json = valid();
    json.criteria[0]!.hint = ['typo'];
    expect(problemsOf(json)).toEqual([`${FILE}: criteria[0]: Unrecognized key: "hint"`]);
  });

  it('rejects an empty hint, a missing formatVersion and a bad duration', () => {
    const json = valid();
    delete json.formatVersion;
    json.duration = 'two hours';
    json.criteria[0]!.hints = ['   '];
    expect(problemsOf(json)).toEqual([
      `${FILE}: formatVersion: Invalid input: expected 1`,
      `${FILE}: duration: must be a duration like 2h, 1.5h, 1h30 or 45min`,
      `${FILE}: criteria[0].hints[0]: a hint must not be empty`,
    ]);
  });

  it('rejects duplicate criterion ids and ids without the lab\'s number', () => {
    const json = valid();
    json.criteria[1]!.id = '07.ready';
    expect(problemsOf(json)).toEqual([`${FILE}: criteria[1].id: duplicate id 07.ready`]);
    json.criteria[1]!.id = '08.health';
    expect(problemsOf(json)).toEqual([`${FILE}: criteria[1].id: 08.health must start with this lab's number, "07."`]);
  });

  it('says which file is not JSON at all', () => {
    expect(validateLabMeta('{ "title": ', FILE, lab).problems[0]).toMatch(/^labs\/07-metrics-health\/lab\.json is not valid JSON: /);
  });

  it('exports a strict JSON schema with a description on every field', () => {
    const schema = JSON.parse(labMetaJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    const criterion = schema.properties.criteria.items;
    expect(criterion.additionalProperties).toBe(false);
    for (const field of [...Object.values(schema.properties), ...Object.values(criterion.properties)]) {
      expect((field as { description?: string }).description).toBeTruthy();
    }
  });
});
