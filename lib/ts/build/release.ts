// What a built slug runs: the Procfile's `web` line wins, else the
// buildpack's `bin/release` default_process_types.web. Pure.
import { parse as parseYaml } from 'yaml';

export function parseProcfile(text: string): Record<string, string> {
  const processes: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (m && m[2].trim() !== '') processes[m[1]] = m[2].trim();
  }
  return processes;
}

export function parseRelease(text: string): Record<string, string> {
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`bin/release printed invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || typeof doc !== 'object') return {};
  const types = (doc as Record<string, unknown>).default_process_types;
  if (types === null || types === undefined || typeof types !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(types as Record<string, unknown>)) {
    if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  }
  return out;
}

export function webCommand(procfile: string | null, release: string): string {
  const fromProcfile = procfile === null ? undefined : parseProcfile(procfile).web;
  const web = fromProcfile ?? parseRelease(release).web;
  if (!web) throw new Error('no web process: add a Procfile with a `web:` line');
  return web;
}
