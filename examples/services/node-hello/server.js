// Starphleet sample service: answers every request on $PORT.
// HOST is optional (tests bind to 127.0.0.1); in a container it listens on all addresses.
const http = require('http');
const ms = require('ms');

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || undefined;

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`Hello from Starphleet\none day is ${ms('1d')} ms (${ms(86400000, { long: true })}, courtesy of the ms package)\n`);
});

server.listen(port, host, () => {
  console.log(`node-hello listening on ${host || '*'}:${port}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
