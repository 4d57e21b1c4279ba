import t from 'tap';
import { LETS_ENCRYPT_DIRECTORY, resolveShipConfig } from '../../../lib/ts/core/config.js';

t.test('HTTPS settings: flag > environment > default; off turns ACME off; bad values are usage errors', async (t) => {
  const d = resolveShipConfig({}, {});
  t.equal(d.httpsPort, 443);
  t.equal(d.acmeDirectory, LETS_ENCRYPT_DIRECTORY, "Let's Encrypt unless told otherwise");
  t.equal(d.acmeEmail, undefined);
  t.equal(resolveShipConfig({ 'acme-directory': 'off' }, {}).acmeDirectory, null);
  t.equal(resolveShipConfig({}, { STARPHLEET_ACME_DIRECTORY: 'off' }).acmeDirectory, null);
  const c = resolveShipConfig({ 'https-port': '8443', 'acme-directory': 'https://127.0.0.1:14000/dir' },
    { STARPHLEET_ACME_EMAIL: 'ops@example.com', STARPHLEET_ACME_CA: '/etc/pebble/ca.pem', STARPHLEET_HTTPS_PORT: '9443' });
  t.equal(c.httpsPort, 8443, 'the flag wins');
  t.equal(c.acmeDirectory, 'https://127.0.0.1:14000/dir');
  t.equal(c.acmeEmail, 'ops@example.com');
  t.equal(c.acmeCa, '/etc/pebble/ca.pem');
  t.throws(() => resolveShipConfig({ 'acme-directory': 'http://insecure.example/dir' }, {}), /--acme-directory must be an https:\/\/ URL or off, got 'http:\/\/insecure.example\/dir'/);
  t.throws(() => resolveShipConfig({ 'acme-email': 'nobody' }, {}), /--acme-email must be an e-mail address/);
  t.throws(() => resolveShipConfig({ 'https-port': '0' }, {}), /https port must be a whole number from 1 to 65535/);
  t.throws(() => resolveShipConfig({}, { STARPHLEET_ACME_CA: 'ca.pem' }), /STARPHLEET_ACME_CA must be an absolute path/);
});
