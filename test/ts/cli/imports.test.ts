import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// No import cycle runs through the command line: command modules import
// shared helpers, never dispatch or the table; the table imports commands
// only lazily, and nothing imports the table back.
const lib = resolve(dirname(fileURLToPath(import.meta.url)), '../../../lib/ts');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of a file, static (`from '…'`) or dynamic (`import('…')`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)\.js'/g)].map((m) => resolve(dirname(file), `${m[1]}.ts`));
}

t.test('no import cycle through lib/ts/cli', async (t) => {
  const graph = new Map(sources(lib).map((f) => [f, importsOf(f)]));
  const cycles: string[] = [];
  const cli = [...graph.keys()].filter((f) => f.startsWith(join(lib, 'cli') + '/'));
  for (const start of cli) {
    // Is start reachable from one of its own imports?
    const seen = new Set<string>();
    const todo = [...(graph.get(start) ?? [])];
    while (todo.length) {
      const f = todo.pop() as string;
      if (f === start) { cycles.push(relative(lib, start)); break; }
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...(graph.get(f) ?? []));
    }
  }
  t.same(cycles, []);
});
