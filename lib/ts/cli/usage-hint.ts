// The two lines a usage error prints (pure): the message, without node's
// parseArgs advice about '--', and where to read more — the command's own
// help when the message names a command that has one.

export function usageLines(message: string, hasHelp: (command: string) => boolean): string {
  const text = message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '');
  const m = /^([a-z][a-z-]*(?: [a-z][a-z-]*)?): /.exec(text);
  const command = m ? [m[1], m[1].split(' ')[0]].find((c) => hasHelp(c)) : undefined;
  return `starphleet: ${text}\n(see 'starphleet ${command ? `help ${command}` : '--help'}')\n`;
}
