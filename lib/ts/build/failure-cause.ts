// Pure: the line of a failed build's (or a failed start's) output that says
// why, instead of its last lines: a buildpack's "!  npm install failed
// (exit 1)" names the symptom; npm's own `npm error …`, a compiler's
// `file:line:col: error: …`, `vite: not found`, a Python traceback's last
// line or pip's `ERROR: …` name the cause; else the pack's own first `!`
// line. Rules run in order; the first that matches wins; null when none does
// (the caller shows the last lines).

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const MAX_CAUSE = 300;

/** A line without colours, the buildpack's indentation, and its "remote:" or "!" markers. */
function clean(line: string): string {
  return line.replace(ANSI, '').replace(/^\s*(remote:\s*)?/, '').replace(/\s+$/, '');
}

/** npm's detail lines that name no cause (error code fields, stack, the debug-log pointer). */
const NPM_NOISE = /^(code|errno|syscall|path|dest|command|cwd|signal|type|address|port|requiredBy)\b|^A complete log|^Log files were not written|^Did you mean|^To see a list|^npm (run|star)|^at |^[{}]|^\}|^$/;

type Rule = (lines: string[]) => string | null;

const first = (lines: string[], re: RegExp): string | null => lines.find((l) => re.test(l)) ?? null;
const last = (lines: string[], re: RegExp): string | null => [...lines].reverse().find((l) => re.test(l)) ?? null;

const rules: Rule[] = [
  // node-gyp fetching headers from the Node.js site (no network, or none wanted).
  (lines) => {
    const get = lines.findIndex((l) => /^gyp http GET \S*headers\.tar\.gz/.test(l));
    if (get < 0) return null;
    const url = /GET (\S+)/.exec(lines[get])?.[1] ?? '';
    const err = lines.slice(get).find((l) => /^gyp ERR! stack \w*Error: /.test(l));
    return err ? `node-gyp could not download the Node.js headers (${url}): ${err.replace(/^gyp ERR! stack /, '')}` : null;
  },
  // A program the build or app ran that its base cannot load.
  (lines) => first(lines, /error while loading shared libraries: \S+/),
  // A compiler's first error (gcc, clang, go, rustc-style file:line:col).
  (lines) => first(lines, /^\S+:\d+(:\d+)?: (fatal )?error: \S/),
  (lines) => first(lines, /^\S+\.go:\d+:\d+: \S/),
  // npm: the first `npm error` (`npm ERR!`) line that says something.
  (lines) => {
    for (const l of lines) {
      const m = /^npm (?:error|ERR!)\s?(.*)$/.exec(l);
      if (m && !NPM_NOISE.test(m[1].trim())) return `npm error ${m[1].trim()}`;
    }
    return null;
  },
  // Node.js ended by an uncaught exception: the error above its stack.
  (lines) => {
    const end = lines.map((l, i) => (/^Node\.js v\d+/.test(l) ? i : -1)).filter((i) => i >= 0).pop();
    const upTo = end ?? lines.length;
    for (let i = upTo - 1; i >= 0; i--) {
      if (/^(\w*Error|\w*Exception)( \[\w+\])?: \S/.test(lines[i]) && (end !== undefined || /^at /.test(lines[i + 1] ?? ''))) return lines[i];
    }
    return null;
  },
  // A command the build or start script needed and the slug lacks.
  (lines) => first(lines, /(^|: )[^\s:]+: (command )?not found$/),
  // Next.js and other bundlers: after "Failed to compile", the first file and
  // the message under it; after "Build error occurred", the error.
  (lines) => {
    const at = lines.findIndex((l) => /Failed to compile|Build error occurred/.test(l));
    if (at < 0) return null;
    const after = lines.slice(at + 1);
    const file = after.findIndex((l) => /^\.{0,2}\/\S+$/.test(l));
    if (file >= 0 && after[file + 1]) return `${after[file]}: ${after[file + 1]}`;
    return after.find((l) => /^(\w*Error|Type error|Syntax error|Module not found)\b.*:/i.test(l)) ?? null;
  },
  // Python: a traceback's last line (the exception), or pip's last ERROR.
  (lines) => {
    const tb = lines.map((l, i) => (l.startsWith('Traceback (most recent call last)') ? i : -1)).filter((i) => i >= 0).pop();
    if (tb === undefined) return null;
    return lines.slice(tb + 1).find((l) => /^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b/.test(l)) ?? null;
  },
  (lines) => last(lines, /^ERROR: \S/),
  // node-gyp's own reason, Go's module errors.
  (lines) => first(lines, /^gyp ERR! stack \w*Error: /)?.replace(/^gyp ERR! stack /, 'node-gyp: ') ?? null,
  (lines) => first(lines, /^go: .*(error|cannot|not found|no such|dial tcp|missing|invalid)/i),
  // Nothing from a tool: the pack's own first failure line ("!     …", the
  // Heroku convention), before the ones that only name the failed step.
  (lines) => {
    const packs = lines.filter((l) => /^!\s/.test(l)).map((l) => l.replace(/^!\s+/, ''));
    return packs.find((l) => !/^build failed: \S+ compile exited \d+$|^\S+ install failed \(exit \d+\)$/.test(l)) ?? packs[0] ?? null;
  },
];

/** The cause line of a failure's output, or null. */
export function failureCause(output: string | string[]): string | null {
  const lines = (Array.isArray(output) ? output : output.split('\n')).map(clean).filter((l) => l !== '');
  for (const rule of rules) {
    const cause = rule(lines);
    if (cause) return cause.length > MAX_CAUSE ? `${cause.slice(0, MAX_CAUSE - 1)}…` : cause;
  }
  return null;
}
