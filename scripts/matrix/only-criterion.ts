// Setup file of a cheat's run: only the tests of the criterion the cheat fakes run (a name
// filter per project, which vitest's own -t cannot be); the file's hooks still start its service.
import { beforeEach, inject } from 'vitest';
import { leadingId } from '../lab/test-files.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    only: string;
  }
}

const only = inject('only');

beforeEach((ctx) => {
  const titles: string[] = [];
  for (let node: { name: string; suite?: unknown } | undefined = ctx.task; node; node = node.suite as typeof node) titles.push(node.name);
  if (!titles.some((title) => leadingId(title) === only)) ctx.skip();
});
