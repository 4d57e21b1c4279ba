import t from 'tap';
import { listenHint, parseListeners } from '../../../lib/ts/health/listen-hint.js';

const head = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const row = (addr: string, st = '0A'): string => `   0: ${addr} 00000000:0000 ${st} 00000000:00000000 00:00000000 00000000  10000        0 1 1 0 100 0 0 10 0\n`;

t.test('parseListeners: listening sockets only, IPv4 and IPv6 addresses decoded', async (t) => {
  t.same(parseListeners(head + row('0100007F:0BB8') + row('00000000:1F90') + row('0300D50A:0BB8', '01')), [
    { address: '127.0.0.1', port: 3000 }, { address: '0.0.0.0', port: 8080 },
  ]);
  t.same(parseListeners(head + row('00000000000000000000000001000000:0BB8') + row('00000000000000000000000000000000:0BB9')), [
    { address: '::1', port: 3000 }, { address: '::', port: 3001 },
  ]);
});

t.test('listenHint: localhost only, another port, nothing, or nothing to say', async (t) => {
  t.match(listenHint([{ address: '127.0.0.1', port: 3000 }], 3000), /listens on 127\.0\.0\.1:3000 only; it must listen on all interfaces/);
  t.match(listenHint([{ address: '0.0.0.0', port: 8080 }], 3000), /listens on port 8080, not on PORT=3000/);
  t.match(listenHint([], 3000), /nothing listens in the container/);
  t.equal(listenHint([{ address: '0.0.0.0', port: 3000 }], 3000), null, 'listening where it should: no hint');
  t.equal(listenHint([{ address: '127.0.0.1', port: 3000 }, { address: '::', port: 3000 }], 3000), null);
});

t.test('settled hints: what a still-starting app would not show; never "nothing listens"', async (t) => {
  t.equal(listenHint([], 3000, true), null, 'nothing listens yet: it may still be starting');
  t.match(listenHint([{ address: '127.0.0.1', port: 3000 }], 3000, true), /127\.0\.0\.1:3000 only/);
  t.match(listenHint([{ address: '0.0.0.0', port: 8080 }], 3000, true), /port 8080, not on PORT=3000/);
});
