// A log file that never grows past its cap: at the cap it is renamed to
// NAME.1 (replacing the older one) and a new file is started.
import { appendFileSync, existsSync, renameSync, statSync } from 'node:fs';

export class CappedLog {
  private size: number;

  constructor(private readonly file: string, private readonly capBytes = 5 * 1024 * 1024) {
    this.size = existsSync(file) ? statSync(file).size : 0;
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.size + bytes > this.capBytes && this.size > 0) {
      renameSync(this.file, `${this.file}.1`);
      this.size = 0;
    }
    appendFileSync(this.file, text);
    this.size += bytes;
  }
}
