// Where the ship's non-TypeScript parts live: shell scripts, buildpacks,
// LXC recipes and templates. From a checkout (bun/npm) they are the repo's
// own folders; the compiled binary unpacks its embedded copy (see
// assets-embedded.ts) and calls setAssetRoot().
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Assets {
  root: string;       // folder holding lib/sh, buildpacks, lxc, lib/templates
  sh: string;         // lib/sh/host: scripts the agent runs on the host
  shContainer: string; // lib/sh/container: the only scripts mounted into containers (/starphleet)
  buildpacks: string; // buildpacks
  lxc: string;        // lxc
  templates: string;  // lib/templates
  libexec: string;    // lib/libexec: compiled helpers (the supervisor), built by make
}

export function assetsAt(root: string): Assets {
  return {
    root,
    sh: join(root, 'lib', 'sh', 'host'),
    shContainer: join(root, 'lib', 'sh', 'container'),
    buildpacks: join(root, 'buildpacks'),
    lxc: join(root, 'lxc'),
    templates: join(root, 'lib', 'templates'),
    libexec: join(root, 'lib', 'libexec'),
  };
}

let current: Assets = assetsAt(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'));

export function assets(): Assets {
  return current;
}

export function setAssetRoot(root: string): void {
  current = assetsAt(root);
}

/** Assets unpacked under a ship root are used through the root's reachable path (see reachable-root.ts). */
export function reachAssetsThrough(root: string, reachable: string): void {
  if (reachable !== root && current.root.startsWith(`${root}/`)) current = assetsAt(reachable + current.root.slice(root.length));
}
