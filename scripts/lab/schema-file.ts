// labs/lab.schema.json: the JSON-schema form of lab.json's zod schema, for editors
// ("$schema": "../lab.schema.json" in a lab.json). Generated, and checked by `lab check`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { labMetaJsonSchema } from './lab-meta.ts';
import { schemaFile, type LabRepo } from './paths.ts';

export function writeSchemaFile(repo: LabRepo): string {
  writeFileSync(schemaFile(repo), labMetaJsonSchema());
  return schemaFile(repo);
}

export function isSchemaFileFresh(repo: LabRepo): boolean {
  const path = schemaFile(repo);
  return existsSync(path) && readFileSync(path, 'utf8') === labMetaJsonSchema();
}
