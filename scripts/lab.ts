// `npm run lab <command>`: parses the command line and hands over to scripts/lab/commands.ts.
import { listLabs, resolveLab, type Lab } from './lab/catalog.ts';
import { assertBranchCarries } from './lab/branches.ts';
import { parseCommandLine } from './lab/cli-args.ts';
import {
  cmdBranches, cmdCheck, cmdChecklist, cmdDebrief, cmdDiff, cmdHint, cmdList, cmdLock, cmdRebase, cmdReport, cmdSchema, cmdStart, cmdTree,
} from './lab/commands.ts';
import { runMain, UserError } from './lab/errors.ts';
import { defaultRepo, type LabRepo } from './lab/paths.ts';
import { runPreflight } from './lab/preflight.ts';

const HELP = `Usage: npm run lab <command> [lab] [-- options]

Learners
  list                      the labs with level, duration and your progress (and the ones not written yet)
  status                    the same, plus what workspace/ holds
  start <lab>               write lab <lab>'s starter (built on the previous lab's solution) into workspace/,
                            after a backup. Your edits stay unless the previous lab passed verify or you add
                            --force; --carry merges the starter into your code instead
  solution <lab>            write lab <lab>'s solution into workspace/ (--force as above)
  hint <lab> [criterion]    reveal the next hint of that criterion (04.drain or drain), else of the
                            first criterion still failing whose hints are not all revealed
  diff <lab>                what the lab changes: starter → solution (--mine: workspace/ → solution,
                            --stat: a summary, --whitespace: keep whitespace-only changes)
  debrief <lab>             where the lab's debrief (the answers) is, and its first screen
  report <lab>              start your lab report, reports/lab-NN.md, from a template (never overwritten)

Authors and instructors
  check                     every repository rule; ends with "Everything looks fine!" or the fixes
  lock <lab> | --all        record overlay locks after editing overlays (--force: accept stale bases)
  rebase <lab> | --all      merge upstream changes into stale overlays (three-way, conflicts marked)
  tree <lab>                materialize a lab tree (--solution, or --cheat <criterion id>: the solution
                            with that cheat; --out <dir>, default .lab/trees/)
  branches                  write branches lab-NN-starter / lab-NN-solution (one linear history on HEAD;
                            a starter branch carries no answers, no branch carries a later lab)
  preflight                 check this machine before a workshop: Node, npm ci, servers, Chromium, pprof,
                            ports, disk (--verify <lab>: also time npm run verify <lab> -- --solution)
  checklist                 regenerate CHECKLIST.md from labs/*/lab.json
  schema                    regenerate labs/lab.schema.json from the lab.json schema

A lab is named 7, 07, lab-07 or 07-metrics-health. Options go after "--" (npm run lab start 07 -- --force).
Verify a lab with: npm run verify lab-07`;

const OPTIONS = {
  force: { type: 'boolean' },
  carry: { type: 'boolean' },
  all: { type: 'boolean' },
  mine: { type: 'boolean' },
  stat: { type: 'boolean' },
  whitespace: { type: 'boolean' },
  solution: { type: 'boolean' },
  out: { type: 'string' },
  cheat: { type: 'string' },
  verify: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Commands that act on the whole repository and take no lab. */
const NO_LAB = new Set(['list', 'status', 'branches', 'preflight', 'checklist', 'schema', 'check']);

function labsArg(repo: LabRepo, ref: string | undefined, all: boolean, command: string): Lab[] {
  if (all) return listLabs(repo);
  if (ref === undefined) throw new UserError(`lab ${command} needs a lab number, or --all`, `npm run lab ${command} 07 (or npm run lab ${command} -- --all)`);
  return [resolveLab(repo, ref)];
}

await runMain(() => {
  const { positionals, flags } = parseCommandLine(process.argv.slice(2), OPTIONS, 'npm run lab help');
  const [command, ref, ...extra] = positionals;
  if (flags.help || command === undefined || command === 'help') {
    console.log(HELP);
    return 0;
  }
  const unexpected = NO_LAB.has(command) ? ref : command === 'hint' ? extra[1] : extra[0];
  if (unexpected !== undefined) throw new UserError(`unexpected argument "${unexpected}"`, 'npm run lab help');
  const repo = defaultRepo();
  const force = flags.force === true;
  // A workshop branch lacks later labs and its own answers: say which branch has them instead of failing on a missing overlay.
  const needs: Record<string, 'starter' | 'solution'> = {
    start: 'starter', hint: 'starter', solution: 'solution', diff: 'solution', debrief: 'solution', tree: flags.solution || flags.cheat ? 'solution' : 'starter',
  };
  if (needs[command]) assertBranchCarries(repo, ref, needs[command]);
  switch (command) {
    case 'list':
      return cmdList(repo, false);
    case 'status':
      return cmdList(repo, true);
    case 'start':
    case 'solution':
      return cmdStart(repo, resolveLab(repo, ref), command === 'start' ? 'starter' : 'solution', { force, carry: flags.carry === true });
    case 'hint':
      return cmdHint(repo, resolveLab(repo, ref), extra[0]);
    case 'debrief':
      return cmdDebrief(repo, resolveLab(repo, ref));
    case 'report':
      return cmdReport(repo, resolveLab(repo, ref));
    case 'diff':
      return cmdDiff(repo, resolveLab(repo, ref), { mine: flags.mine === true, stat: flags.stat === true, whitespace: flags.whitespace === true });
    case 'lock':
      return cmdLock(repo, labsArg(repo, ref, flags.all === true, 'lock'), force);
    case 'rebase':
      return cmdRebase(repo, labsArg(repo, ref, flags.all === true, 'rebase'));
    case 'tree':
      return cmdTree(repo, resolveLab(repo, ref), flags.solution === true ? 'solution' : 'starter', flags.out as string | undefined, flags.cheat as string | undefined);
    case 'branches':
      return cmdBranches(repo);
    case 'preflight':
      return runPreflight(repo, { verify: flags.verify as string | undefined });
    case 'checklist':
      return cmdChecklist(repo);
    case 'schema':
      return cmdSchema(repo);
    case 'check':
      return cmdCheck(repo);
    default:
      throw new UserError(`unknown command "${command}"`, 'npm run lab help');
  }
});
