// Help texts of the phleet profile and secrets commands (init, info, set,
// unset, secrets).
const PHLEET = `--phleet NAME  the phleet profile (default: the only one, or the last used)
  --root DIR     the ship (default: STARPHLEET_ROOT, else the profile's ships, else /var/starphleet)`;

const NOTIFY_HELP = `Every ship of the phleet POSTs a JSON event to each URL (at most 10):
deploy.live, deploy.failed (with the cause line), crash.loop (3 restarts of
a container within 5 minutes), health.failing (a serving version stopped
answering its healthcheck), cert.failed and agent.restarted. Fields: event,
ship, service, commit, cause, at, and the same one-line summary as text
(Slack's incoming webhooks) and content (Discord's). A URL that does not
answer 2xx within 5 s is tried again after 2, 4, 8 and 16 s; at most 10
events per service in 10 minutes. The URLs carry tokens: they travel as a
ship setting (sealed to each ship, signed; no service sees them, a change
restarts nothing), list shows them redacted, and they are never logged whole.`;

export const SECRETS_HELP = {
  init: `usage: starphleet init NAME --headquarters URL [--key PRIVATE_KEY_FILE] [--root DIR]

Creates the phleet profile NAME under $STARPHLEET_HOME (default ~/.starphleet):
the headquarters URL and the admiral key, an OpenSSH private key (ed25519 or
RSA, without a passphrase; a new ed25519 key when --key is not given), kept
there with mode 0600. Run as root on a ship (--root, STARPHLEET_ROOT or
/var/starphleet), it also enrolls the key on that ship through its root-only
control channel. Other ships trust keys listed in the headquarters'
authorized_keys/ folder.`,
  info: `usage: starphleet info [--phleet NAME] [--root DIR]

Prints the phleet profile, if there is one: headquarters, admiral key
fingerprint and public key (never the private key). Then, for each ship: its
key fingerprint, how many secrets it holds and the secret set's version; the
ship's admirals: the admiral user, and the fingerprint and comment of each key
from the headquarters' authorized_keys/ folder (files that were skipped are
listed with the reason); and the privatize key's fingerprint.

  ${PHLEET}`,
  set: `usage: starphleet set NAME VALUE [--no-restart] [--phleet NAME] [--root DIR]
       starphleet set NAME - ...    (the value from stdin, byte for byte)

Sets a phleet-wide secret: the last override of every service's environment
(after .env, .profile.d and orders). The value is encrypted to each ship's key
and signed with the admiral key; ships store it encrypted. Every service then
restarts with it by a zero-downtime rolling restart (no rebuild);
--no-restart leaves it to each service's next start.
NAME is [A-Za-z_][A-Za-z0-9_]* and not PORT; a value is at most 64 KiB.
Use - to keep the value out of shell history and the process list.

  ${PHLEET}`,
  'notify add': `usage: starphleet notify add URL [--phleet NAME]

${NOTIFY_HELP}`,
  'notify remove': `usage: starphleet notify remove URL [--phleet NAME]

${NOTIFY_HELP}`,
  'notify list': `usage: starphleet notify list [--json] [--phleet NAME]

${NOTIFY_HELP}`,
  'webhook secret': `usage: starphleet webhook secret - [--phleet NAME] [--root DIR]
       starphleet webhook secret --remove [--phleet NAME] [--root DIR]

Sets (from stdin, at least 16 bytes; e.g. openssl rand -hex 32 |
starphleet webhook secret -) or removes the secret each ship checks a git
host's push hook against: POST http(s)://SHIP/starphleet/hooks/git with
GitHub's X-Hub-Signature-256, Gitea's or Forgejo's X-Gitea-Signature (an
HMAC-SHA256 of the body) or GitLab's X-Gitlab-Token. A hook that checks out
makes the ship poll its headquarters and every service repo at once (the
hook carries no code; the ship still pulls). It travels like a phleet
secret, sealed to each ship and signed with the admiral key, but it is a
ship setting: no service or build sees it, and setting it restarts nothing.
Without it the hook answers 404.`,
  unset: `usage: starphleet unset NAME [--no-restart] [--phleet NAME] [--root DIR]

Removes a phleet-wide secret (a signed tombstone: an older 'set' of it can
not be replayed). Services roll over as for set.

  ${PHLEET}`,
  secrets: `usage: starphleet secrets [--phleet NAME] [--root DIR]

Lists the phleet's secrets, one a line: NAME  set TIME  (version N), the
set version that last changed it; with none, the set version.
Never the values.

  ${PHLEET}`,
} as const;
