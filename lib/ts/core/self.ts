// How to run this same program again (for detached supervisors): the
// compiled binary is just its own path; from a checkout it is bun + main.ts.
let selfCommand: string[] = [process.execPath, process.argv[1] ?? ''];

export function setSelfCommand(argv: string[]): void {
  selfCommand = argv;
}

export function self(): string[] {
  return [...selfCommand];
}
