// A ship just added by `add ship` waits (bounded) for the phleet's secrets
// before its first poll, so no service goes live without them: `add ship`
// writes the admiral's set version as STARPHLEET_AWAIT_SECRETS in ship.env
// and delivers the set right after the agent answers.

/** Resolves once version() reaches want, or after timeoutMs; says which. */
export async function awaitSecrets(
  version: () => number, want: number, timeoutMs: number, log: (line: string) => void, stepMs = 100,
): Promise<boolean> {
  if (!Number.isInteger(want) || want <= 0 || version() >= want) return true;
  log(`waiting up to ${Math.round(timeoutMs / 1000)} s for the phleet's secrets (set version ${want}) before the first deploy`);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, stepMs));
    if (version() >= want) {
      log(`secrets at set version ${version()}: deploying`);
      return true;
    }
  }
  log(`warning: the phleet's secrets (set version ${want}) did not arrive within ${Math.round(timeoutMs / 1000)} s; deploying with set version ${version()}`);
  return false;
}
