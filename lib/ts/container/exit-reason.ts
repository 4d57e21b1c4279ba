// What an app's exit status means, for `status` and the logs. An exit by a
// signal shows as 128+N. A SIGKILL (137) the ship did not send came from
// outside the app: the kernel's OOM killer enforcing the container's memory
// limit, or someone's kill -9; the ship cannot tell which, so it names both.
const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };

export function describeExit(code: number | null, memoryLimit: string): string {
  if (code === null) return 'exited with status unknown';
  const base = `exited with status ${code}`;
  if (code <= 128 || code > 128 + 64) return base;
  const sig = SIGNALS[code - 128] ?? `signal ${code - 128}`;
  if (code === 137) return `${base} (${sig}: killed from outside the app, by a kill -9 or by its memory limit of ${memoryLimit} if it reached it: MEMORY_LIMIT in the orders)`;
  return `${base} (${sig})`;
}
