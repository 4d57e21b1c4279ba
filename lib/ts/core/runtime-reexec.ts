// The agent runs with JavaScriptCore's JIT off. It spends its life waiting on
// timers, pipes and child processes; the interpreter keeps up with that, and
// without the JIT tiers' compiled code and their bookkeeping the agent holds
// several MiB less (docs/agent-memory.md has the figures). JSC reads its
// options once, at start, from BUN_JSC_* variables, so `ship run` replaces
// itself (execve: same pid, no extra process) with the variable set.
// STARPHLEET_AGENT_JIT=on keeps the JIT.

export interface Reexec {
  file: string;
  argv: string[];
  env: Record<string, string>;
}

/** Whether and how to re-exec (pure): null when the JIT is already off, asked for, or execve is missing. */
export function jitOffReexec(
  env: NodeJS.ProcessEnv,
  command: string[],
  args: string[],
  canExec: boolean,
): Reexec | null {
  if (!canExec || command.length === 0) return null;
  if (env.STARPHLEET_AGENT_JIT === 'on') return null;
  if (env.BUN_JSC_useJIT !== undefined) return null; // set already: by our own re-exec, or by the admiral
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) next[k] = v;
  next.BUN_JSC_useJIT = '0';
  return { file: command[0], argv: [...command, ...args], env: next };
}

type Execve = (file: string, argv: string[], env: Record<string, string>) => never;

/** Re-exec this process with the JIT off if it should be; returns only when it should not (or could not). */
export function reexecWithJitOff(command: string[], args: string[]): void {
  const execve = (process as unknown as { execve?: Execve }).execve;
  const plan = jitOffReexec(process.env, command, args, typeof execve === 'function' && process.versions.bun !== undefined);
  if (plan === null || execve === undefined) return;
  try {
    execve(plan.file, plan.argv, plan.env);
  } catch (err) {
    process.stderr.write(`starphleet: could not restart with the JIT off (${(err as Error).message}); running with it on\n`);
  }
}
