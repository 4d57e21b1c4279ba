// The line format of a container's log file, written by its supervisor and
// read by the agent's follower: "TIME SEQ SOURCE TEXT". SEQ counts every
// line the supervisor wrote, so a reader that lost lines (the capped file
// rotated twice before it read them) knows exactly how many. Files written
// before SEQ existed ("TIME SOURCE TEXT") still parse, with seq null.

export type SupervisorSource = 'stdout' | 'stderr' | 'supervisor';

export interface SupervisorLine {
  time: string | null;
  seq: number | null;
  stream: 'stdout' | 'stderr' | null;
  text: string;
}

export function formatSupervisorLine(at: string, seq: number, source: SupervisorSource, text: string): string {
  return `${at} ${seq} ${source} ${text}\n`;
}

/** "2026-11-26T12:00:00.000Z 42 stdout text" → fields; anything else is kept whole. */
export function parseSupervisorLine(line: string): SupervisorLine {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (?:(\d+) )?(stdout|stderr|supervisor) ?(.*)$/s.exec(line);
  if (!m) return { time: null, seq: null, stream: null, text: line };
  const seq = m[2] === undefined ? null : Number(m[2]);
  if (m[3] === 'supervisor') return { time: m[1], seq, stream: null, text: `supervisor: ${m[4]}` };
  return { time: m[1], seq, stream: m[3] as 'stdout' | 'stderr', text: m[4] };
}

/**
 * Lines lost between two sequence numbers read one after the other: the
 * count skipped, or 0. A lower number is a new supervisor (a restart that
 * reuses the file), not a loss.
 */
export function linesLost(previous: number | null, next: number | null): number {
  if (previous === null || next === null || next <= previous) return 0;
  return next - previous - 1;
}
