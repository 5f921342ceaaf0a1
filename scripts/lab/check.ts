// `npm run lab check`: the repository's own rules, one function per rule (rustlings' dev check
// style). Each returns its problems with the fix; `runChecks` runs them in order.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cheatDescription, cheatsDir, readCheats } from './cheats.ts';
import { LAB_FOLDER, listLabs, VARIANTS, type Lab } from './catalog.ts';
import { CHECKLIST_COMMAND, isChecklistFresh } from './checklist.ts';
import { isUserError } from './errors.ts';
import { labMetaFile, validateLabMeta, type LabMeta } from './lab-meta.ts';
import { cheatCriterion, cheatIdOf } from './lock-file.ts';
import { findStaleLocks, staleProblem } from './lock.ts';
import { hasConflictMarkers } from './merge-file.ts';
import { overlayProblems, readOverlay, type Overlay, type Problem } from './overlay.ts';
import { BASELINE_FOLDER, checklistFile, schemaFile, shown, type LabRepo } from './paths.ts';
import { isSchemaFileFresh } from './schema-file.ts';
import { idsInSource, labTestFiles } from './test-files.ts';
import { baselineTree, blobAt, labTree } from './tree.ts';

export interface Rule {
  title: string;
  run: (repo: LabRepo) => Problem[];
}

/** labs/ holds 00-baseline and NN-slug folders numbered 01, 02, … without gaps or twins. */
export function checkFolderNames(repo: LabRepo): Problem[] {
  const problems: Problem[] = [];
  if (!existsSync(join(repo.labsDir, BASELINE_FOLDER))) {
    problems.push({ message: `${shown(repo, join(repo.labsDir, BASELINE_FOLDER))} is missing`, fix: 'restore it with git checkout -- labs/00-baseline' });
  }
  const folders = existsSync(repo.labsDir) ? readdirSync(repo.labsDir, { withFileTypes: true }).filter((entry) => entry.isDirectory()) : [];
  for (const { name } of folders) {
    if (name !== BASELINE_FOLDER && !LAB_FOLDER.test(name)) {
      problems.push({
        message: `${shown(repo, join(repo.labsDir, name))} is not named NN-slug`,
        fix: 'rename it to two digits, a dash and a kebab-case slug, e.g. labs/07-metrics-health',
      });
    }
  }
  const labs = listLabs(repo);
  labs.forEach((lab, index) => {
    const expected = index + 1;
    if (lab.number !== expected) {
      const twin = labs.find((other) => other !== lab && other.number === lab.number);
      problems.push({
        message: twin ? `${shown(repo, lab.dir)} and ${shown(repo, twin.dir)} share number ${lab.nn}` : `${shown(repo, lab.dir)} should be number ${String(expected).padStart(2, '0')}: labs are numbered without gaps`,
        fix: 'renumber the lab folders 01, 02, … in order',
      });
    }
  });
  return problems;
}

/** Each lab has its lesson, metadata and tests; the baseline has service files. */
export function checkLabFiles(repo: LabRepo): Problem[] {
  const problems: Problem[] = [];
  try {
    baselineTree(repo);
  } catch (error) {
    if (!isUserError(error)) throw error;
    problems.push({ message: error.message, fix: error.fix ?? '' });
  }
  for (const lab of listLabs(repo)) {
    for (const [name, fix] of [
      ['README.md', 'write the lesson (see the README format in the blueprint)'],
      ['lab.json', 'describe the lab (see labs/lab.schema.json)'],
      ['test', 'add the vitest files, one or more tests per criterion'],
    ] as const) {
      if (!existsSync(join(lab.dir, name))) problems.push({ message: `${shown(repo, join(lab.dir, name))} is missing`, fix });
    }
  }
  return problems;
}

/** Every lab.json matches the schema; ids are unique and carry the lab's number. */
export function checkLabMeta(repo: LabRepo): Problem[] {
  return listLabs(repo).flatMap((lab) => {
    const path = labMetaFile(lab);
    if (!existsSync(path)) return [];
    const { problems } = validateLabMeta(readFileSync(path, 'utf8'), shown(repo, path), lab);
    return problems.map((message) => ({ message, fix: 'fix lab.json (its schema is labs/lab.schema.json)' }));
  });
}

/** A lab's overlays: starter, solution, then its cheats. */
const overlaysOf = (repo: LabRepo, lab: Lab): Overlay[] => [...VARIANTS.map((variant) => readOverlay(repo, lab, variant)), ...readCheats(repo, lab)];

/** Every overlay file has a lock entry, deletions have no file, entries have their file. */
export function checkStrayFiles(repo: LabRepo): Problem[] {
  return listLabs(repo).flatMap((lab) => overlaysOf(repo, lab).flatMap((overlay) => overlayProblems(repo, overlay)));
}

/** Every lock is fresh: no earlier lab changed a file after a later overlay was made against it. */
export function checkLocksFresh(repo: LabRepo): Problem[] {
  return findStaleLocks(repo).map(staleProblem);
}

/** No overlay file still holds conflict markers from a re-base. */
export function checkConflictMarkers(repo: LabRepo): Problem[] {
  return listLabs(repo).flatMap((lab) =>
    overlaysOf(repo, lab).flatMap((overlay) => {
      return overlay.files
        .filter((path) => hasConflictMarkers(readFileSync(join(overlay.dir, path), 'latin1')))
        .map((path) => ({
          message: `${shown(repo, join(overlay.dir, path))} has conflict markers from npm run lab rebase ${lab.nn}`,
          fix: 'resolve them (keep the right lines, delete the <<<<<<< ||||||| ======= >>>>>>> lines)',
        }));
    }),
  );
}

/** The labs whose lab.json is valid, with it; the others are checkLabMeta's to report. */
function* labsWithMeta(repo: LabRepo): Generator<{ lab: Lab; meta: LabMeta; path: string }> {
  for (const lab of listLabs(repo)) {
    const path = labMetaFile(lab);
    if (!existsSync(path)) continue;
    const { meta } = validateLabMeta(readFileSync(path, 'utf8'), shown(repo, path), lab);
    if (meta) yield { lab, meta, path };
  }
}

/** Every required criterion has at least one test; no test names a criterion lab.json lacks. */
export function checkCriteriaTests(repo: LabRepo): Problem[] {
  const problems: Problem[] = [];
  for (const { lab, meta, path } of labsWithMeta(repo)) {
    const named = new Map<string, string>();
    for (const file of labTestFiles(lab)) {
      for (const id of idsInSource(readFileSync(file, 'utf8'))) if (!named.has(id)) named.set(id, file);
    }
    const known = new Set(meta.criteria.map((criterion) => criterion.id));
    for (const criterion of meta.criteria) {
      if (criterion.level === 'required' && !named.has(criterion.id)) {
        problems.push({
          message: `${shown(repo, lab.dir)} has no test for criterion ${criterion.id}`,
          fix: `add one under ${shown(repo, join(lab.dir, 'test'))}/ whose title starts with "${criterion.id}"`,
        });
      }
    }
    for (const [id, file] of named) {
      if (id.startsWith(`${lab.nn}.`) && !known.has(id)) {
        problems.push({ message: `${shown(repo, file)} names criterion ${id}, which ${shown(repo, path)} does not have`, fix: 'fix the test title or add the criterion' });
      }
    }
  }
  return problems;
}

/**
 * Every required criterion has a cheat; each cheat names a criterion of its lab, says what it
 * fakes, and changes the solution (a cheat equal to the solution proves nothing).
 */
export function checkCheats(repo: LabRepo): Problem[] {
  const problems: Problem[] = [];
  for (const { lab, meta, path } of labsWithMeta(repo)) {
    const cheats = readCheats(repo, lab);
    const ids = new Set(cheats.map((cheat) => cheatCriterion(cheatIdOf(cheat.variant)!)));
    const known = new Set(meta.criteria.map((criterion) => criterion.id));
    for (const criterion of meta.criteria) {
      if (criterion.level === 'required' && !ids.has(criterion.id)) {
        problems.push({
          message: `${shown(repo, lab.dir)} has no cheat for required criterion ${criterion.id}`,
          fix: `add ${shown(repo, cheatsDir(lab))}/${criterion.id}/ with the solution's files faked the cheapest way (first lines: "// Cheat: what it fakes"), then npm run lab lock ${lab.nn}`,
        });
      }
    }
    let solution: ReturnType<typeof labTree> | null = null;
    for (const cheat of cheats) {
      const id = cheatCriterion(cheatIdOf(cheat.variant)!);
      const where = shown(repo, cheat.dir);
      if (!known.has(id)) {
        problems.push({ message: `${where} is named for ${id}, which ${shown(repo, path)} does not have`, fix: 'rename the folder to the criterion id it fakes' });
        continue;
      }
      if (cheat.files.length === 0 && Object.keys(cheat.lock).length === 0) continue; // an empty folder: reported above as missing, or harmless
      if (cheat.files.length > 0 && cheatDescription(cheat) === null) {
        problems.push({ message: `${where} does not say what it fakes`, fix: 'put a "// Cheat: <what it fakes>" line in the first lines of one of its files' });
      }
      solution ??= labTree(repo, lab, 'solution', false);
      const changes = cheat.files.some((file) => blobAt(solution!, file) === null || readFileSync(join(cheat.dir, file), 'latin1') !== readFileSync(solution!.get(file)!.source, 'latin1'));
      const deletes = Object.values(cheat.lock).some((entry) => entry.delete);
      if (!changes && !deletes) problems.push({ message: `${where} changes nothing in solution ${lab.nn}`, fix: 'make it fake the criterion, or remove it' });
    }
  }
  return problems;
}

/** CHECKLIST.md is what `npm run lab checklist` would write now. */
export function checkChecklist(repo: LabRepo): Problem[] {
  if (checkLabMeta(repo).length > 0) return []; // cannot render it; the metadata problems come first
  if (isChecklistFresh(repo)) return [];
  const state = existsSync(checklistFile(repo)) ? 'is out of date with labs/*/lab.json' : 'is missing';
  return [{ message: `${shown(repo, checklistFile(repo))} ${state}`, fix: CHECKLIST_COMMAND }];
}

/** labs/lab.schema.json is what `npm run lab schema` would write now. */
export function checkSchemaFile(repo: LabRepo): Problem[] {
  return isSchemaFileFresh(repo) ? [] : [{ message: `${shown(repo, schemaFile(repo))} is missing or out of date`, fix: 'npm run lab schema' }];
}

export const RULES: Rule[] = [
  { title: 'lab folders are named NN-slug', run: checkFolderNames },
  { title: 'labs have README.md, lab.json and test/', run: checkLabFiles },
  { title: 'lab.json files match the schema', run: checkLabMeta },
  { title: 'no stray overlay files', run: checkStrayFiles },
  { title: 'locks are fresh', run: checkLocksFresh },
  { title: 'no conflict markers in overlays', run: checkConflictMarkers },
  { title: 'every required criterion has a test', run: checkCriteriaTests },
  { title: 'every required criterion has a cheat that says what it fakes', run: checkCheats },
  { title: 'CHECKLIST.md is up to date', run: checkChecklist },
  { title: 'labs/lab.schema.json is up to date', run: checkSchemaFile },
];

export interface RuleResult {
  rule: Rule;
  problems: Problem[];
}

/** Runs every rule; a rule that hits an expected problem (UserError) reports it as its problem. */
export function runChecks(repo: LabRepo, rules: Rule[] = RULES): RuleResult[] {
  return rules.map((rule) => {
    try {
      return { rule, problems: rule.run(repo) };
    } catch (error) {
      if (!isUserError(error)) throw error;
      return { rule, problems: [{ message: error.message, fix: error.fix ?? '' }] };
    }
  });
}
