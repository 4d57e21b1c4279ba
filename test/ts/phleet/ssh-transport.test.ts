import t from 'tap';
import { formatTarget, parseTarget, sshArgs, validateRemoteRoot } from '../../../lib/ts/phleet/ssh-transport.js';
import { shipEnvText } from '../../../lib/ts/phleet/ship-install.js';

t.test('targets: [user@]host[:port]', async (t) => {
  t.same(parseTarget('10.0.0.5'), { user: 'root', host: '10.0.0.5', port: 22 });
  t.same(parseTarget('deploy@ship1.example.com:2222'), { user: 'deploy', host: 'ship1.example.com', port: 2222 });
  t.same(parseTarget('root@[::1]:22'), { user: 'root', host: '[::1]', port: 22 });
  t.equal(formatTarget(parseTarget('a@h:2200')), 'a@h:2200');
  t.throws(() => parseTarget('a b@h'), /not a user name/);
  t.throws(() => parseTarget('h;rm:22'), /not a host/);
  t.throws(() => parseTarget('h:99999'), /port must be/);
});

t.test('ssh arguments never prompt and use the given key', async (t) => {
  const a = sshArgs({ user: 'root', host: '[::1]', port: 2222, root: '/r', identity: '/k', knownHosts: '/kh' });
  t.ok(a.includes('BatchMode=yes'));
  t.ok(a.includes('StrictHostKeyChecking=accept-new'));
  t.ok(a.includes('UserKnownHostsFile=/kh'));
  t.same(a.slice(-5), ['-o', 'IdentitiesOnly=yes', '-l', 'root', '::1']);
  t.ok(a.includes('2222'));
});

t.test('remote roots are plain absolute paths', async (t) => {
  t.doesNotThrow(() => validateRemoteRoot('/var/starphleet'));
  t.throws(() => validateRemoteRoot('/var/$(reboot)'), /absolute path/);
  t.throws(() => validateRemoteRoot('relative'), /absolute path/);
  t.throws(() => validateRemoteRoot('/'), /system folder/);
  t.throws(() => validateRemoteRoot('/usr/'), /system folder/);
  t.doesNotThrow(() => validateRemoteRoot('/srv/ship2'));
});

t.test('ship.env holds plain KEY=value lines and refuses what it cannot carry', async (t) => {
  const text = shipEnvText('/var/sp', { headquarters: 'file:///srv/hq.git#main', pulseSeconds: 5, nat: false });
  t.match(text, /^STARPHLEET_ROOT=\/var\/sp$/m);
  t.match(text, /^STARPHLEET_HEADQUARTERS=file:\/\/\/srv\/hq\.git#main$/m);
  t.match(text, /^STARPHLEET_PULSE=5$/m);
  t.match(text, /^STARPHLEET_NAT=off$/m);
  t.notMatch(text, /HTTP_PORT/);
  t.match(shipEnvText('/r', { headquarters: 'file:///hq', init: 'keepalive' }), /^STARPHLEET_INIT=keepalive$/m);
  t.match(shipEnvText('/r', { headquarters: 'file:///hq', awaitSecrets: 7 }), /^STARPHLEET_AWAIT_SECRETS=7$/m);
  t.notMatch(shipEnvText('/r', { headquarters: 'file:///hq' }), /AWAIT_SECRETS/);
  t.throws(() => shipEnvText('/r', { headquarters: 'file:///x y' }), /cannot carry/);
  const https = shipEnvText('/r', { headquarters: 'file:///hq', httpsPort: 8443, acmeDirectory: 'https://acme.example/dir', acmeEmail: 'ops@example.com' });
  t.match(https, /^STARPHLEET_HTTPS_PORT=8443$/m);
  t.match(https, /^STARPHLEET_ACME_DIRECTORY=https:\/\/acme\.example\/dir$/m);
  t.match(https, /^STARPHLEET_ACME_EMAIL=ops@example\.com$/m);
  t.notMatch(shipEnvText('/r', { headquarters: 'file:///hq' }), /ACME|HTTPS/, 'nothing given, nothing written');
});
