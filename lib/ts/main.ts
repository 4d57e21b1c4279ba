// Entry point from a checkout or an npm install: assets are the repo's own files.
import { fileURLToPath } from 'node:url';
import { main } from './cli/cli.js';
import { setSelfCommand } from './core/self.js';

setSelfCommand([process.execPath, fileURLToPath(import.meta.url)]);
process.exitCode = await main(process.argv.slice(2));
