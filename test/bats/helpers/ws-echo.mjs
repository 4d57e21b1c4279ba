// usage: node ws-echo.mjs URL MESSAGE — prints the first message the server sends back.
import WebSocket from 'ws';

const [url, message] = process.argv.slice(2);
const ws = new WebSocket(url);
const timer = setTimeout(() => { console.error('websocket: no echo within 5 s'); process.exit(1); }, 5000);
ws.on('open', () => ws.send(message));
ws.on('message', (data) => { console.log(String(data)); clearTimeout(timer); ws.close(); });
ws.on('error', (err) => { console.error(`websocket: ${err.message}`); process.exit(1); });
