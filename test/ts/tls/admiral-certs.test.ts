// Catch-up of own certificates: a ship that missed changes gets exactly the
// ones it lacks, in order, each key sealed to that ship; a replay is refused.
// The ship's side is real (its key, store and control handler); only the
// transport is a function call and the signature check is left out (both
// are exercised end to end by test/bats/tls-phleet.bats).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shipPaths } from '../../../lib/ts/core/paths.js';
import type { ControlRequest, ControlResponse, ShipTransport } from '../../../lib/ts/phleet/transport.js';
import { ShipSecrets } from '../../../lib/ts/secrets/store.js';
import { AdmiralCerts, applyCertChange, catchUpCerts, listCerts } from '../../../lib/ts/tls/admiral-certs.js';
import { handleCertRequest } from '../../../lib/ts/tls/cert-control.js';
import { CertStore } from '../../../lib/ts/tls/cert-store.js';

const dir = mkdtempSync(join(tmpdir(), 'admiral-certs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

function ship(name: string): { t: ShipTransport; store: CertStore; requests: ControlRequest[] } {
  const root = join(dir, name);
  const secrets = new ShipSecrets(root);
  secrets.ensureKey();
  const store = new CertStore(shipPaths(root), secrets);
  const requests: ControlRequest[] = [];
  const transport: ShipTransport = {
    describe: name,
    async request(req: ControlRequest): Promise<ControlResponse> {
      requests.push(req);
      if (req.cmd === 'secrets-key') return { ok: true, publicKey: secrets.publicKey(), fingerprint: secrets.fingerprint() };
      return handleCertRequest({
        store, shipFingerprint: () => secrets.fingerprint(), signedByAdmiral: async () => true,
        prepare: async () => {}, changed: async () => {}, log: () => {},
      }, req);
    },
    stream: () => Promise.reject(new Error('no streams here')),
  } as unknown as ShipTransport;
  return { t: transport, store, requests };
}

const sign = async (payload: string): Promise<string> => `signed:${payload.length}`;

t.test('a ship that missed changes gets exactly those, in order; one that is current gets none', async (t) => {
  const profile = join(dir, 'profile');
  execFileSync('mkdir', ['-p', profile]);
  const copy = new AdmiralCerts(profile);
  const a = selfSigned('a.test');
  const b = selfSigned('b.test');
  copy.record({ op: 'add', domain: 'a.test', version: 1, at: '2026-12-02T10:00:00Z', cert: a.cert, key: Buffer.from(a.key) });
  copy.record({ op: 'add', domain: 'b.test', version: 2, at: '2026-12-02T10:01:00Z', cert: b.cert, key: Buffer.from(b.key) });
  copy.record({ op: 'remove', domain: 'a.test', version: 3, at: '2026-12-02T10:02:00Z' });
  t.notOk(readFileSync(join(profile, 'certs.json'), 'utf8').includes('PRIVATE KEY'), 'the profile keeps keys sealed');

  const late = ship('late');
  t.equal(await catchUpCerts(copy, late.t, sign), 2, 'b.test added, a.test removed (its add is superseded)');
  t.same((await listCerts(late.t)).certs.map((c) => `${c.domain} ${c.source}`), ['b.test own']);
  t.equal((await listCerts(late.t)).version, 3);
  t.equal(late.store.read('b.test')?.version, 2);
  t.equal(readFileSync(shipPaths(join(dir, 'late')).tlsLive('b.test').key, 'utf8'), b.key, 'the live copy is the key, opened with the ship key');
  t.notOk(readFileSync(shipPaths(join(dir, 'late')).certFile('b.test'), 'utf8').includes('PRIVATE KEY'), 'sealed at rest');
  t.equal(await catchUpCerts(copy, late.t, sign), 0, 'current: nothing goes');

  // A replayed change (the same version again) is refused and changes nothing.
  await t.rejects(applyCertChange(late.t, { op: 'add', domain: 'a.test', version: 1, at: '2026-12-02T10:00:00Z', cert: a.cert, key: Buffer.from(a.key) }, sign),
    /replayed or stale certificate message: add a\.test version 1/);
  t.equal(late.store.read('a.test'), null);
});
