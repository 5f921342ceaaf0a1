// `npm run lab <command>`: parses the command line and hands over to scripts/lab/commands.ts.
import { listLabs, resolveLab, type Lab } from './lab/catalog.ts';
import { parseCommandLine } from './lab/cli-args.ts';
import {
  cmdBranches, cmdCheck, cmdChecklist, cmdDiff, cmdHint, cmdList, cmdLock, cmdRebase, cmdSchema, cmdStart, cmdTree,
} from './lab/commands.ts';
import { runMain, UserError } from './lab/errors.ts';
import { defaultRepo, type LabRepo } from './lab/paths.ts';

const HELP = `Usage: npm run lab <command> [lab] [-- options]

Learners
  list                      the labs with level, duration and your progress
  status                    the same, plus what workspace/ holds
  start <lab>               write lab <lab>'s starter into workspace/ (--force: overwrite your edits, after a backup)
  solution <lab>            write lab <lab>'s solution into workspace/ (--force as above)
  hint <lab>                reveal the next hint of the first criterion still failing
  diff <lab>                what the lab changes: starter → solution (--mine: workspace/ → solution,
                            --stat: a summary, --whitespace: keep whitespace-only changes)

Authors and instructors
  check                     every repository rule; ends with "Everything looks fine!" or the fixes
  lock <lab> | --all        record overlay locks after editing overlays (--force: accept stale bases)
  rebase <lab> | --all      merge upstream changes into stale overlays (three-way, conflicts marked)
  tree <lab>                materialize a lab tree (--solution, or --cheat <criterion id>: the solution
                            with that cheat; --out <dir>, default .lab/trees/)
  branches                  write branches lab-NN-starter / lab-NN-solution (one linear history on HEAD)
  checklist                 regenerate CHECKLIST.md from labs/*/lab.json
  schema                    regenerate labs/lab.schema.json from the lab.json schema

A lab is named 7, 07, lab-07 or 07-metrics-health. Options go after "--" (npm run lab start 07 -- --force).
Verify a lab with: npm run verify lab-07`;

const OPTIONS = {
  force: { type: 'boolean' },
  all: { type: 'boolean' },
  mine: { type: 'boolean' },
  stat: { type: 'boolean' },
  whitespace: { type: 'boolean' },
  solution: { type: 'boolean' },
  out: { type: 'string' },
  cheat: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Commands that act on the whole repository and take no lab. */
const NO_LAB = new Set(['list', 'status', 'branches', 'checklist', 'schema', 'check']);

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
  const unexpected = NO_LAB.has(command) ? ref : extra[0];
  if (unexpected !== undefined) throw new UserError(`unexpected argument "${unexpected}"`, 'npm run lab help');
  const repo = defaultRepo();
  const force = flags.force === true;
  switch (command) {
    case 'list':
      return cmdList(repo, false);
    case 'status':
      return cmdList(repo, true);
    case 'start':
    case 'solution':
      return cmdStart(repo, resolveLab(repo, ref), command === 'start' ? 'starter' : 'solution', force);
    case 'hint':
      return cmdHint(repo, resolveLab(repo, ref));
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
