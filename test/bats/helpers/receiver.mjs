// A local HTTP receiver for notification tests: every POST's path and JSON
// body, one line each, appended to OUT; a path containing "flaky" answers
// 500 the first time, everything else 204. Loopback only.
// usage: node receiver.mjs OUT PORT_FILE
import { appendFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [out, portFile] = process.argv.slice(2);
const seen = new Set();
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { if (body.length < 65536) body += c; });
  req.on('end', () => {
    appendFileSync(out, `${JSON.stringify({ path: req.url, body })}\n`);
    if (req.url.includes('flaky') && !seen.has(req.url + body)) {
      seen.add(req.url + body);
      res.writeHead(500).end();
      return;
    }
    res.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(server.address().port)));
setTimeout(() => process.exit(0), 15 * 60 * 1000).unref();
