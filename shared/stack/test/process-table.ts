// The machine's process table through `ps` (Linux and macOS), for the no-orphan checks.
import { execFileSync } from 'node:child_process';

export interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  /** Z for a zombie: dead, only waiting for a parent that may never reap it. */
  stat: string;
  command: string;
}

export function processTable(): ProcessRow[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 5)
    .map(([pid, ppid, pgid, stat, ...command]) => ({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), stat: stat!, command: command.join(' ') }));
}

/** Every live process in the given groups, plus their descendants (Erlang's helpers start their own sessions). */
export function membersOf(groups: readonly number[], table = processTable()): ProcessRow[] {
  const found = new Map(table.filter((row) => groups.includes(row.pgid)).map((row) => [row.pid, row]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of table) {
      if (!found.has(row.pid) && found.has(row.ppid)) {
        found.set(row.pid, row);
        grew = true;
      }
    }
  }
  return [...found.values()].filter((row) => !row.stat.startsWith('Z'));
}

/** Which of these processes still run (zombies count as gone). */
export function survivors(rows: readonly ProcessRow[]): ProcessRow[] {
  const alive = new Set(processTable().filter((row) => !row.stat.startsWith('Z')).map((row) => row.pid));
  return rows.filter((row) => alive.has(row.pid));
}

/** Polls until nothing survives or the deadline passes; returns what is left. */
export async function waitUntilGone(rows: readonly ProcessRow[], timeoutMs: number): Promise<ProcessRow[]> {
  const deadline = Date.now() + timeoutMs;
  let left = survivors(rows);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = survivors(rows);
  }
  return left;
}
