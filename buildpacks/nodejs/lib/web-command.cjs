// usage: node web-command.cjs BUILD_DIR
// The web command of a Node.js app, resolved from `npm start` at build time
// (bin/release; bin/compile asks too, in the node it starts anyway): the
// start script's own command, or npm's default `node server.js`, printed as
// a JSON string. Exit 1 when the start needs npm itself: a prestart or
// poststart script, a start script that reads npm's environment
// ($npm_package_…, $npm_config_…) or spans lines, or no package.json to read.
'use strict';
const fs = require('fs');
const path = require('path');

function webCommand(dir) {
  let p;
  try { p = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')); } catch { return null; }
  const s = (p && typeof p.scripts === 'object' && p.scripts) || {};
  if (s.prestart || s.poststart) return null;
  let start = typeof s.start === 'string' ? s.start.trim() : '';
  if (!start && fs.existsSync(path.join(dir, 'server.js'))) start = 'node server.js';
  if (!start || /\n/.test(start) || /\$\{?npm_/.test(start)) return null;
  return JSON.stringify(start);
}

module.exports = { webCommand };

if (require.main === module) {
  const answer = webCommand(process.argv[2] || '.');
  if (answer === null) process.exit(1);
  console.log(answer);
}
