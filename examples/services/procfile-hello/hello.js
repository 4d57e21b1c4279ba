// Starphleet sample: an app that brings its own runtime (the container's
// node) and says how to run it in a Procfile; no package.json, no build.
// HOST is optional (tests bind to 127.0.0.1).
const http = require('http');

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || undefined;

http
  .createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Procfile says hello from Starphleet\n');
  })
  .listen(port, host, () => console.log(`procfile-hello listening on ${host || '*'}:${port}`));

process.on('SIGTERM', () => process.exit(0));
