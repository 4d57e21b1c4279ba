// The process model, pure: a slug's process types (Procfile lines, else the
// pack's default_process_types; `release:` is the release phase, not a
// process), the orders' PROCESSES counts, and the instances a release runs.
import { parseProcfile, parseRelease } from '../build/release.js';

/** Instances of one type on one ship, at most. */
export const MAX_INSTANCES = 16;

export interface ProcessInstance {
  type: string;      // web, worker, …
  index: number;     // 1, 2, …
  label: string;     // "worker.1"
  command: string;
}

/** Every process type of a slug with its command; the Procfile's lines win over the pack's defaults. */
export function processTypes(procfile: string | null, releaseYml: string): Record<string, string> {
  const types: Record<string, string> = { ...parseRelease(releaseYml), ...(procfile === null ? {} : parseProcfile(procfile)) };
  delete types.release;
  return types;
}

/** The Procfile's `release:` command, if any. */
export function releaseCommand(procfile: string | null): string | undefined {
  return procfile === null ? undefined : parseProcfile(procfile).release;
}

/** PROCESSES="web=2 worker=1" → counts; throws a one-line reason for the orders file. */
export function parseProcessCounts(text: string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const word of (text ?? '').split(/[\s,]+/).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]+)=(\d+)$/.exec(word);
    if (!m) throw new Error(`PROCESSES must be TYPE=COUNT words (like "web=2 worker=1"), got '${word}'`);
    const n = Number(m[2]);
    if (n > MAX_INSTANCES) throw new Error(`PROCESSES: ${m[1]}=${n} is more than ${MAX_INSTANCES} instances of one type on a ship`);
    if (m[1] === 'release') throw new Error('PROCESSES: release is the release phase, not a process type');
    counts[m[1]] = n;
  }
  return counts;
}

/** What a release runs: `web` first, then the other types by name; 1 of each unless PROCESSES says otherwise. */
export function planInstances(types: Record<string, string>, counts: Record<string, number>): ProcessInstance[] {
  const names = Object.keys(types).sort((a, b) => (a === 'web' ? -1 : b === 'web' ? 1 : a.localeCompare(b)));
  const out: ProcessInstance[] = [];
  for (const type of names) {
    const n = counts[type] ?? 1;
    for (let index = 1; index <= n; index++) out.push({ type, index, label: `${type}.${index}`, command: types[type] });
  }
  return out;
}

/** PROCESSES naming a type the slug does not have (said in the build log, not an error: the next commit may add it). */
export function unknownTypes(types: Record<string, string>, counts: Record<string, number>): string[] {
  return Object.keys(counts).filter((t) => !(t in types)).sort();
}

/** The process type of a container record's label ("web.2" → "web"); records from before processes are web. */
export function typeOf(label: string | undefined): string {
  return (label ?? 'web.1').replace(/\.\d+$/, '');
}
