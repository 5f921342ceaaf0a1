// No console.* left in the service: every line goes through the logger. This is the source
// half, run through ESLint's Node API over the tree's service code with inline
// `eslint-disable` comments ignored (a disabled rule is still a console call): ESLint's own
// no-console, plus the aliases that no-console does not see (`const { log } = console`,
// `globalThis.console`, `node:console`, `const { stdout } = process`, `fs.writeSync(1, …)`).
// The run-time half, a probe inside each process, is in json-lines.test.ts.
import { ESLint } from 'eslint';
import type { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, inject, it } from 'vitest';

/** The service code: the three processes and their shared library (not web/, not load/). */
const serviceFolders = ['api', 'optimizer', 'worker', 'lib'];

const streams = '/^std(out|err)$/';
const aroundTheLogger = 'write log lines through the logger (lib/logger.ts)';

/** The rules this lab enforces; `npx eslint --rule` takes the same. */
const noConsoleRules: Linter.RulesRecord = {
  'no-console': 'error',
  // Any use of the console object, under whatever name it is then called.
  'no-restricted-globals': ['error', { name: 'console', message: `${aroundTheLogger}, not the console under another name` }],
  'no-restricted-syntax': [
    'error',
    ...[
      // process.stdout / process.stderr, except asking whether it is a terminal.
      `MemberExpression[object.name='process'][property.name=${streams}]:not(MemberExpression[property.name='isTTY'] > MemberExpression.object)`,
      `MemberExpression[object.name='process'][property.value=${streams}]`,
      `VariableDeclarator[init.name='process'] > ObjectPattern > Property[key.name=${streams}]`,
      `VariableDeclarator[init.name='process'] > Identifier.id`,
      "MemberExpression[object.name='process'][property.name=/^(_rawDebug|binding)$/]",
      // The console reached through the global object, or imported as a module.
      "MemberExpression[object.name=/^(globalThis|global)$/][property.name='console']",
      "Literal[value=/^(node:)?console$/]",
      // File descriptors 1 and 2, written by hand or opened by name.
      "CallExpression[arguments.0.value=1][callee.name=/^write/]",
      "CallExpression[arguments.0.value=2][callee.name=/^write/]",
      "CallExpression[arguments.0.value=1][callee.property.name=/^write/]",
      "CallExpression[arguments.0.value=2][callee.property.name=/^write/]",
      'Literal[value=/^\\/(dev\\/(stdout|stderr|fd\\/[12])|proc\\/self\\/fd\\/[12])$/]',
    ].map((selector) => ({ selector, message: `${aroundTheLogger}, not to stdout/stderr by hand` })),
  ],
};

describe('no console', () => {
  it('03.no-console finds no console.* call, alias of the console, nor hand-written stdout/stderr write in api/, optimizer/, worker/ and lib/', { timeout: 20_000 }, async () => {
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
    // One finding per place: console.log(…) is both a console call and a use of the console.
    const byPlace = new Map<string, string>();
    for (const result of results) {
      for (const message of result.messages) {
        const place = `${result.filePath.slice(tree.length + 1)}:${message.line}:${message.column}`;
        if (!byPlace.has(place)) byPlace.set(place, `${place} ${message.message}`);
      }
    }
    const findings = [...byPlace.values()];
    if (findings.length > 0) {
      const shown = findings.slice(0, 12).join('\n  ');
      expect.fail(`${findings.length} console call(s) or hand-written write(s) left; log through lib/logger.ts instead:\n  ${shown}${findings.length > 12 ? `\n  … and ${findings.length - 12} more` : ''}`);
    }
  });
});
