// No console.* left in the service: every line goes through the logger. The rule is ESLint's
// own no-console, run through ESLint's Node API over the tree's service code, with inline
// `eslint-disable` comments ignored (a disabled rule is still a console call).
import { ESLint } from 'eslint';
import type { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, inject, it } from 'vitest';

/** The service code: the three processes and their shared library (not web/, not load/). */
const serviceFolders = ['api', 'optimizer', 'worker', 'lib'];

/** The rules this lab enforces; `npx eslint --rule` takes the same. */
const noConsoleRules: Linter.RulesRecord = {
  'no-console': 'error',
  // The other way round the logger: writing to the streams by hand.
  'no-restricted-syntax': [
    'error',
    {
      selector: "CallExpression[callee.property.name='write'][callee.object.property.name=/^std(out|err)$/][callee.object.object.name='process']",
      message: 'write log lines through the logger (lib/logger.ts), not to process.stdout/stderr by hand',
    },
  ],
};

describe('no console', () => {
  it('03.no-console finds no console.* call (nor process.stdout/stderr.write) in api/, optimizer/, worker/ and lib/', { timeout: 20_000 }, async () => {
    const tree = inject('tree');
    const eslint = new ESLint({
      cwd: tree,
      // Only this lab's rules, not the repository's config: a style finding is not this criterion.
      overrideConfigFile: true,
      overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser as Linter.Parser }, rules: noConsoleRules }],
      allowInlineConfig: false,
    });
    const results = await eslint.lintFiles(serviceFolders);
    expect(results.length, `ESLint found no .ts file under ${serviceFolders.join(', ')} of ${tree}`).toBeGreaterThan(10);
    const findings = results.flatMap((result) =>
      result.messages.map((message) => `${result.filePath.slice(tree.length + 1)}:${message.line} ${message.message}`),
    );
    if (findings.length > 0) {
      const shown = findings.slice(0, 12).join('\n  ');
      expect.fail(`${findings.length} console call(s) left; log through lib/logger.ts instead:\n  ${shown}${findings.length > 12 ? `\n  … and ${findings.length - 12} more` : ''}`);
    }
  });
});
