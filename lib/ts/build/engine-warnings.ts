// Pure: npm's engine mismatches (EBADENGINE) in a build's output, as one
// line for `status`: a dependency that wants another Node.js than the build
// used (better-sqlite3 wanting ≥ 22 on 20 built, then crashed at start).
// Fed line by line as the build streams, so a long build's tail cap never
// loses them; keeps at most three.

const MAX = 3;

export class EngineWarnings {
  private block: string[] | null = null;
  private readonly found: string[] = [];

  /** One line of build output (a buildpack may have indented it). */
  push(raw: string): void {
    const line = raw.trim();
    const m = /^npm (?:warn|WARN) EBADENGINE\s?(.*)$/.exec(line);
    if (!m) return;
    const text = m[1].trim();
    if (text.startsWith('Unsupported engine')) { this.block = []; return; }
    if (this.block === null) return;
    if (text === '}') {
      this.finish(this.block.join(' '));
      this.block = null;
      return;
    }
    if (this.block.length < 8) this.block.push(text);
  }

  private finish(fields: string): void {
    if (this.found.length >= MAX) return;
    const pkg = /package: '([^']+)'/.exec(fields)?.[1];
    const wants = /required: \{ node: '([^']+)'/.exec(fields)?.[1];
    const current = /current: \{ node: '([^']+)'/.exec(fields)?.[1];
    if (pkg && wants) this.found.push(`${pkg} wants node ${wants}${current ? `, built with ${current}` : ''}`);
  }

  /** "engines: a wants node X, built with vY; …", or null. */
  summary(): string | null {
    return this.found.length ? `npm EBADENGINE: ${this.found.join('; ')} (set engines.node in package.json)` : null;
  }
}
