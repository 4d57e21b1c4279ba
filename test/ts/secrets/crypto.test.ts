import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signPayload, verifyPayload } from '../../../lib/ts/secrets/admiral-sign.js';
import {
  applyMessage, emptySet, exportLines, generateShipKeyPair, open, openSet, seal, secretProblem,
  shipFingerprint, type SecretMessage, type SecretSet, type SignedMessage,
} from '../../../lib/ts/secrets/crypto.js';
import { ShipSecrets } from '../../../lib/ts/secrets/store.js';

const ship = generateShipKeyPair();
const other = generateShipKeyPair();
const fp = shipFingerprint(ship.publicRaw);

function message(op: 'set' | 'unset', name: string, version: number, value?: string, restart = true): SignedMessage {
  const m: SecretMessage = {
    v: 1, op, name, version, at: new Date().toISOString(), ship: fp, restart,
    sealed: value === undefined ? undefined : seal(Buffer.from(value), name, ship.publicRaw),
  };
  return { payload: JSON.stringify(m), signature: 'verified elsewhere' };
}

t.test('seal/open round trip, byte-exact for newlines, quotes, $ and non-UTF-8 bytes', async (t) => {
  const value = Buffer.concat([Buffer.from("line one\nit's \"quoted\" $HOME `x` \\\n"), Buffer.from([0xff, 0xfe, 0x01])]);
  const sealed = seal(value, 'DB_PASSWORD', ship.publicRaw);
  t.ok(open(sealed, 'DB_PASSWORD', ship.privatePem).equals(value));
  t.notOk(JSON.stringify(sealed).includes('line one'), 'the sealed form holds no plaintext');
  const again = seal(value, 'DB_PASSWORD', ship.publicRaw);
  t.not(again.ct, sealed.ct, 'a fresh ephemeral key and IV every time');
});

t.test('tampering, the wrong ship key or another name fail to open', async (t) => {
  const sealed = seal(Buffer.from('s3cret'), 'TOKEN', ship.publicRaw);
  const ct = Buffer.from(sealed.ct, 'base64');
  ct[0] ^= 1;
  t.throws(() => open({ ...sealed, ct: ct.toString('base64') }, 'TOKEN', ship.privatePem), /tampered/);
  const tag = Buffer.from(sealed.tag, 'base64');
  tag[3] ^= 0x80;
  t.throws(() => open({ ...sealed, tag: tag.toString('base64') }, 'TOKEN', ship.privatePem), /tampered/);
  t.throws(() => open(sealed, 'TOKEN', other.privatePem), /another ship|tampered/);
  t.throws(() => open(sealed, 'OTHER_NAME', ship.privatePem), /does not decrypt/);
});

t.test('names, sizes and PORT are checked', async (t) => {
  t.equal(secretProblem('GOOD_name1'), null);
  t.match(secretProblem('1BAD') ?? '', /not valid/);
  t.match(secretProblem('BAD-NAME') ?? '', /not valid/);
  t.match(secretProblem('PORT') ?? '', /PORT cannot be set/);
  t.match(secretProblem('BIG', Buffer.alloc(64 * 1024 + 1, 97)) ?? '', /at most 65536 bytes/);
  t.equal(secretProblem('OK', Buffer.alloc(64 * 1024, 97)), null);
  t.match(secretProblem('NUL', Buffer.from([97, 0, 98])) ?? '', /NUL/);
});

t.test('the set is versioned: replays, stale versions and a set replayed after its unset are refused', async (t) => {
  let set: SecretSet = emptySet();
  const m1 = message('set', 'A', 1, 'one');
  set = applyMessage(set, m1, fp).set;
  const m2 = message('set', 'B', 2, 'two', false);
  set = applyMessage(set, m2, fp).set;
  t.equal(set.version, 2);
  t.equal(set.rollout, 1, '--no-restart leaves the rollout version');
  t.throws(() => applyMessage(set, m1, fp), /replayed or stale.*version 1.*at version 2/);
  t.throws(() => applyMessage(set, m2, fp), /replayed or stale/, 'the same message twice');
  const m3 = message('unset', 'A', 3);
  set = applyMessage(set, m3, fp).set;
  t.equal(set.entries.A.op, 'unset', 'a tombstone stays');
  t.throws(() => applyMessage(set, m1, fp), /A was unset at version 3/);
  t.throws(() => applyMessage(set, message('set', 'A', 3, 'x'), fp), /replayed or stale/);
  t.same(Object.keys(openSet(set, ship.privatePem)), ['B']);
  t.throws(() => applyMessage(set, { ...message('set', 'C', 9, 'x'), payload: message('set', 'C', 9, 'x').payload.replace(fp, 'SHA256:other') }, fp), /another ship/);
  t.throws(() => applyMessage(set, message('set', 'PORT', 10, '1'), fp), /PORT cannot/);
});

t.test('export lines keep values byte-exact through bash', async (t) => {
  const values = { B: Buffer.from("it's\n$x `y` \\\n\n"), A: Buffer.from('plain') };
  t.equal(exportLines(values).toString(), "export A='plain'\nexport B='it'\\''s\n$x `y` \\\n\n'\n");
  const r = execFileSync('bash', ['-c', 'eval "$(cat)"; printf %s "$B"'], { input: exportLines(values) }).toString();
  t.equal(r, "it's\n$x `y` \\\n\n", 'bash reads back exactly the value');
  t.equal(exportLines({}).length, 0);
});

t.test('ssh-keygen signatures: a trusted key verifies, another key or a changed payload does not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'admiral-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const k of ['good', 'rogue']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, k)]);
  const good = readFileSync(join(dir, 'good.pub'), 'utf8');
  const sig = await signPayload(join(dir, 'good'), '{"hello":1}');
  t.ok(await verifyPayload([good], '{"hello":1}', sig, dir));
  t.notOk(await verifyPayload([good], '{"hello":2}', sig, dir), 'changed payload');
  const rogueSig = await signPayload(join(dir, 'rogue'), '{"hello":1}');
  t.notOk(await verifyPayload([good], '{"hello":1}', rogueSig, dir), 'untrusted key');
  t.notOk(await verifyPayload([], '{"hello":1}', sig, dir), 'nobody trusted');
  t.notOk(await verifyPayload([good], '{"hello":1}', 'unsigned', dir), 'no signature');

  // The ship store end to end: key pair 0600, enroll, receive, replay refused.
  const store = new ShipSecrets(join(dir, 'root'));
  store.ensureKey();
  t.equal(statSync(store.p.shipKey).mode & 0o777, 0o600);
  await store.enroll(good);
  const m: SecretMessage = {
    v: 1, op: 'set', name: 'TOKEN', version: 1, at: 'now', ship: store.fingerprint(), restart: true,
    sealed: seal(Buffer.from('tok"en'), 'TOKEN', store.publicKey()),
  };
  const payload = JSON.stringify(m);
  const signed = { payload, signature: await signPayload(join(dir, 'good'), payload) };
  await store.receive(signed);
  t.equal(store.values().TOKEN.toString(), 'tok"en');
  t.equal(statSync(store.p.set).mode & 0o777, 0o600);
  t.notOk(readFileSync(store.p.set, 'utf8').includes('tok"en'), 'stored encrypted');
  await t.rejects(store.receive(signed), /replayed or stale/);
  const forged = { payload: payload.replace('"version":1', '"version":2'), signature: signed.signature };
  await t.rejects(store.receive(forged), /not signed by an admiral key/);
});
