// Tells every test file which service tree it verifies: labs/00-baseline unless LAB_TREE says otherwise.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    tree: string;
  }
}

export default function setup(project: TestProject): void {
  const root = resolve(import.meta.dirname, '../..');
  const tree = resolve(root, process.env.LAB_TREE ?? 'labs/00-baseline');
  if (!existsSync(resolve(tree, 'api'))) throw new Error(`LAB_TREE=${tree} is not a service tree (no api/ folder)`);
  project.provide('tree', tree);
}
