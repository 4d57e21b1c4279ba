// Agent events: one line each on the agent's stdout,
// "<ISO time> <source> <service path or -> <message>".
export type LogSource = 'agent' | 'build' | 'health' | 'app';

export type Logger = (source: LogSource, service: string | null, message: string) => void;

export function formatLine(at: Date, source: LogSource, service: string | null, message: string): string {
  return `${at.toISOString()} ${source} ${service ?? '-'} ${message}`;
}
