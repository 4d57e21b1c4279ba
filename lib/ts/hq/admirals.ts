// Admirals: people whose public keys sit in the headquarters' authorized_keys/
// folder (one per file) may ssh to the ship as the admiral user, who has sudo.
// lib/sh/admiral-sync does the system work; this module runs it and turns its
// output into a report for `status` and `info`.
import { join } from 'node:path';
import { runScript } from '../core/sh.js';

export interface AdmiralKey {
  file: string;         // authorized_keys/NAME
  bits: number;
  fingerprint: string;  // SHA256:...
  type: string;         // ED25519, RSA, ...
  comment: string;
}

export interface AdmiralsReport {
  user: string;
  hqCommit: string;
  keys: AdmiralKey[];
  errors: string[];     // files skipped, sudo missing, ...
  notes: string[];
  syncedAt: string;
}

/** Parse admiral-sync's tab-separated output (pure). */
export function parseAdmiralSync(user: string, hqCommit: string, stdout: string, at = new Date()): AdmiralsReport {
  const report: AdmiralsReport = { user, hqCommit, keys: [], errors: [], notes: [], syncedAt: at.toISOString() };
  for (const line of stdout.split('\n')) {
    const [kind, ...f] = line.split('\t');
    if (kind === 'key' && f.length >= 5) {
      report.keys.push({ file: f[0], bits: Number(f[1]) || 0, fingerprint: f[2], type: f[3], comment: f.slice(4).join('\t') });
    } else if (kind === 'error' && f.length > 0) {
      report.errors.push(f.join('\t'));
    } else if (kind === 'note' && f.length > 0) {
      report.notes.push(f.join('\t'));
    }
  }
  return report;
}

/**
 * Make the admiral user match SNAPSHOT/authorized_keys. A fatal failure (the
 * user or its keys file cannot be written) throws; per-file problems come
 * back as report errors while the valid keys still apply.
 */
export async function syncAdmirals(shDir: string, user: string, snapshot: string, hqCommit: string, managedFile?: string): Promise<AdmiralsReport> {
  const args = [user, join(snapshot, 'authorized_keys'), ...(managedFile ? [managedFile] : [])];
  const r = await runScript(`${shDir}/admiral-sync`, args, { timeoutSeconds: 60 });
  if (r.code !== 0) {
    const last = (r.stderr.trim() || r.stdout.trim()).split('\n').filter(Boolean).pop();
    throw new Error(r.timedOut ? 'admiral-sync timed out' : (last ?? `admiral-sync exited with status ${r.code}`));
  }
  return parseAdmiralSync(user, hqCommit, r.stdout);
}

/** The "admirals:" block of `starphleet info` (pure). */
export function formatAdmirals(report: AdmiralsReport | null | undefined, user?: string): string {
  const lines: string[] = [];
  if (!report) {
    lines.push(`admirals: (not synced yet${user ? `; user ${user}` : ''})`);
    return lines.join('\n');
  }
  lines.push(`admirals: user ${report.user}, ${report.keys.length} key${report.keys.length === 1 ? '' : 's'} from headquarters ${report.hqCommit.slice(0, 12)}`);
  for (const k of report.keys) {
    lines.push(`  ${k.fingerprint}  ${k.comment || '(no comment)'}  ${k.type} ${k.bits}  ${k.file}`);
  }
  for (const n of report.notes) lines.push(`  note: ${n}`);
  for (const e of report.errors) lines.push(`  error: ${e}`);
  return lines.join('\n');
}
