import t from 'tap';
import { certDates, renewalDue } from '../../../lib/ts/tls/cert-store.js';
import { acmeReason } from '../../../lib/ts/tls/keeper.js';

t.test('renewal is due once a third of the lifetime is left', async (t) => {
  const cert = { notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-04-01T00:00:00.000Z' }; // 90 days
  t.equal(renewalDue(cert, Date.parse('2026-02-28T00:00:00.000Z')), false, '32 days left');
  t.equal(renewalDue(cert, Date.parse('2026-03-02T00:00:00.000Z')), true, '30 days left');
  t.equal(renewalDue(cert, Date.parse('2026-05-01T00:00:00.000Z')), true, 'expired');
});

t.test("a certificate's dates, or one clear line for anything else", async (t) => {
  t.throws(() => certDates('not a certificate'), /not a PEM certificate/);
});

t.test("lego's reason: the line that says why, without its timestamp", async (t) => {
  t.equal(acmeReason([
    '2026/12/02 16:55:28 [INFO] [shop.test] acme: Obtaining bundled SAN certificate',
    '2026/12/02 16:55:29 Could not create client: get directory at \'https://127.0.0.1:1/dir\': connection refused',
  ]), "Could not create client: get directory at 'https://127.0.0.1:1/dir': connection refused");
  t.equal(acmeReason(['only one line']), 'only one line');
  t.equal(acmeReason([]), null);
});
