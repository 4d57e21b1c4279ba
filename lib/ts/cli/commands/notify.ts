// `starphleet notify add URL`, `notify remove URL`, `notify list`: where the
// phleet's ships POST their events (deploy live or failed, crash loop, …).
// The URLs carry tokens: they travel as one ship setting (sealed to each
// ship, signed by the admiral, never in a service's environment; a change
// restarts nothing), and are shown redacted.
import { UsageError } from '../../core/config.js';
import { loadProfile, starphleetHome } from '../../phleet/profile.js';
import { NOTIFY_URLS } from '../../secrets/crypto.js';
import { AdmiralCopy } from '../../secrets/sync.js';
import { parseUrlList, redact, urlProblem } from '../../notify/events.js';
import type { CommandInput } from '../command.js';
import { Failure } from '../errors.js';
import { out } from '../shared.js';
import { changeSecret } from './set.js';

const MAX_URLS = 10;

async function current(flags: CommandInput['flags']): Promise<string[]> {
  const profile = await loadProfile(starphleetHome(), flags.phleet as string | undefined);
  return parseUrlList(new AdmiralCopy(profile.dir).value(NOTIFY_URLS)?.toString('utf8'));
}

export async function notifyAdd({ flags, positionals }: CommandInput): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('notify add: needs exactly one URL');
  const url = positionals[0];
  const problem = urlProblem(url);
  if (problem) throw new UsageError(`notify add: ${problem}`);
  const urls = await current(flags);
  if (urls.includes(url)) { out(`notify: ${redact(url)} is already there; nothing changed`); return 0; }
  if (urls.length >= MAX_URLS) throw new Failure(`notify add: the phleet has ${MAX_URLS} URLs already; remove one first`);
  return changeSecret('set', NOTIFY_URLS, Buffer.from([...urls, url].join('\n')), flags, false);
}

export async function notifyRemove({ flags, positionals }: CommandInput): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('notify remove: needs exactly one URL');
  const urls = await current(flags);
  if (!urls.includes(positionals[0])) throw new Failure(`notify remove: ${redact(positionals[0])} is not one of the phleet's notification URLs`);
  const rest = urls.filter((u) => u !== positionals[0]);
  return rest.length === 0
    ? changeSecret('unset', NOTIFY_URLS, undefined, flags, false)
    : changeSecret('set', NOTIFY_URLS, Buffer.from(rest.join('\n')), flags, false);
}

export async function notifyList({ flags }: CommandInput): Promise<number> {
  const urls = await current(flags);
  if (flags.json) out(JSON.stringify({ urls: urls.map(redact) }, null, 2));
  else out(urls.length === 0 ? 'no notification URLs (add one: starphleet notify add URL)' : urls.map(redact).join('\n'));
  return 0;
}
