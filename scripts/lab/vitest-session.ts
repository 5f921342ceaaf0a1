// One vitest kept inside the verify process for `verify --watch`: its global setup (the
// servers) runs once, and a rerun only forks the test workers, so it starts within a second.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { createVitest, type Reporter } from 'vitest/node';
import type { LabRepo } from './paths.ts';
import QuietReporter from './quiet-reporter.ts';
import { dropReportLine, freshReportFile, readReport, type FileOutcome } from './run-vitest.ts';

const REPORT = 'watch-report.json';

export interface SessionRun {
  outcomes: FileOutcome[];
  /** performance.now() when the first test file and the first test of the run started. */
  firstFileAt?: number;
  firstTestAt?: number;
}

export interface VitestSession {
  /** Runs the files again; `changed` are absolute paths saved since the last run (tests may import them). */
  run(changed: readonly string[]): Promise<SessionRun>;
  /** Ends the run in progress early: what it would report is already out of date. */
  cancel(): Promise<void>;
  /** Stops the workers, then the global setups' teardown stops the servers they started. */
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Absolute path of the service tree the tests run against (LAB_TREE). */
  tree: string;
  testNamePattern?: string;
  verbose?: boolean;
}

export async function openSession(repo: LabRepo, files: readonly string[], options: SessionOptions): Promise<VitestSession> {
  // Read by shared/harness/global-setup.ts, which runs in this process.
  process.env.LAB_TREE = options.tree;
  // Its own report file: a one-shot verify running meanwhile writes report.json.
  const report = freshReportFile(repo, REPORT);
  let marks: { firstFileAt?: number; firstTestAt?: number } = {};
  const timing: Reporter = {
    onTestModuleStart: () => void (marks.firstFileAt ??= performance.now()),
    onTestCaseReady: () => void (marks.firstTestAt ??= performance.now()),
  };
  // Drops the JSON reporter's "JSON report written to …" line, as runVitest does.
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      process.stdout.write(dropReportLine(chunk.toString()));
      done();
    },
  });
  const vitest = await createVitest(
    {
      root: repo.root,
      config: join(repo.root, 'vitest.config.ts'),
      watch: false,
      reporters: [['json', { outputFile: report }], options.verbose ? 'default' : new QuietReporter(), timing],
      ...(options.testNamePattern ? { testNamePattern: options.testNamePattern } : {}),
    },
    {},
    { stdout },
  );
  const wanted = new Set(files);
  const specifications = (await vitest.globTestSpecifications()).filter((spec) => wanted.has(spec.moduleId));
  await vitest.standalone();
  return {
    async run(changed) {
      for (const path of changed) vitest.invalidateFile(path);
      freshReportFile(repo, REPORT);
      marks = {};
      await vitest.runTestSpecifications(specifications, true);
      return { outcomes: readReport(report, 'the run ended early'), ...marks };
    },
    cancel: () => vitest.cancelCurrentRun('keyboard-input'),
    close: () => vitest.close(),
  };
}
