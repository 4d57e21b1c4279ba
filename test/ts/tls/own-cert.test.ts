// Own certificates: the checks before a certificate leaves the admiral's
// machine, and the checks a ship makes on a message (wrong ship, replayed).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { domainProblem, ownCertProblem, parseCertMessage } from '../../../lib/ts/tls/own-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'own-cert-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate for names, valid `days` (openssl, as a user would make one). */
function selfSigned(name: string, sans: string, days = 2): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  writeFileSync(join(dir, `${name}.cnf`), `subjectAltName=${sans}\n`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', String(days), '-subj', `/CN=${name}`, '-addext', `subjectAltName=${sans}`], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

t.test('a certificate must parse, cover the domain, match its key and not be expired', async (t) => {
  const a = selfSigned('a.test', 'DNS:a.test,DNS:*.w.test');
  const b = selfSigned('b.test', 'DNS:b.test');
  const now = Date.now();
  t.equal(ownCertProblem('a.test', a.cert, a.key, now), null);
  t.equal(ownCertProblem('x.w.test', a.cert, a.key, now), null, 'a wildcard name covers one label');
  t.match(ownCertProblem('b.test', a.cert, a.key, now), /does not cover b\.test \(it names DNS:a\.test, DNS:\*\.w\.test\)/);
  t.match(ownCertProblem('a.test', a.cert, b.key, now), /the key does not belong to the certificate/);
  t.match(ownCertProblem('a.test', 'junk', a.key, now), /the certificate is not PEM/);
  t.match(ownCertProblem('a.test', a.cert, 'junk', now), /the key is not a PEM private key/);
  t.match(ownCertProblem('a.test', a.cert, a.key, now + 3 * 86400_000), /the certificate expired on /);
});

t.test('domain names', async (t) => {
  t.equal(domainProblem('shop.example.com'), null);
  t.match(domainProblem('Shop.example.com'), /not a host name/);
  t.match(domainProblem('localhost'), /not a host name/);
  t.match(domainProblem('a..b'), /not a host name/);
  t.match(domainProblem('../etc'), /not a host name/);
});

t.test('a ship takes a message for itself, newer than what it holds', async (t) => {
  const msg = (over: Record<string, unknown>): string => JSON.stringify({
    v: 1, kind: 'cert', op: 'add', domain: 'a.test', version: 3, at: '2026-12-02T00:00:00Z', ship: 'SHA256:me',
    cert: 'PEM', sealed: { v: 1, epk: '', iv: '', ct: '', tag: '' }, ...over,
  });
  t.equal(parseCertMessage(msg({}), 'SHA256:me', 2).version, 3);
  t.throws(() => parseCertMessage(msg({}), 'SHA256:other', 2), /for another ship \(SHA256:me\), not this one/);
  t.throws(() => parseCertMessage(msg({}), 'SHA256:me', 3), /replayed or stale certificate message: add a\.test version 3, but .* at version 3/);
  t.throws(() => parseCertMessage(msg({ sealed: undefined }), 'SHA256:me', 0), /carries none/);
  t.throws(() => parseCertMessage(msg({ domain: '../x' }), 'SHA256:me', 0), /not a host name/);
  t.throws(() => parseCertMessage(msg({ kind: 'secret' }), 'SHA256:me', 0), /malformed/);
  t.throws(() => parseCertMessage('{', 'SHA256:me', 0), /not JSON/);
  t.equal(parseCertMessage(msg({ op: 'remove', cert: undefined, sealed: undefined, version: 4 }), 'SHA256:me', 3).op, 'remove');
});
