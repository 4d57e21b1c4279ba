// Entry point of the single compiled binary (`make` → dist/starphleet).
// The embedded tar holds lib/sh, buildpacks, lxc and lib/templates.
import { readFileSync } from 'node:fs';
// @ts-expect-error bun embeds the file and gives its path
import assetsTar from '../../dist/assets.tar' with { type: 'file' };
import { setAssetRoot } from './core/assets.js';
import { assetsHome, unpackAssets } from './core/assets-embedded.js';
import { main } from './cli/cli.js';
import { setSelfCommand } from './core/self.js';

const argv = process.argv.slice(2);
setSelfCommand([process.execPath]);
const needsAssets = !(argv.length === 0 || ['--help', '-h', 'help', 'version', '--version'].includes(argv[0]));
if (needsAssets) {
  setAssetRoot(await unpackAssets(readFileSync(assetsTar as string), assetsHome(argv, process.env)));
}
process.exitCode = await main(argv);
