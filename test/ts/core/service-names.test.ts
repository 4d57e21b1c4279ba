import t from 'tap';
import { containerNameFor, serviceIdFor, serviceIdOfContainer, servicePathFor } from '../../../lib/ts/core/service-names.js';

t.test('HQ directories map to service paths', async (t) => {
  t.equal(servicePathFor(''), '/');
  t.equal(servicePathFor('users'), '/users');
  t.equal(servicePathFor('users/admin'), '/users/admin');
  t.equal(servicePathFor('./users/'), '/users');
});

t.test('service ids are readable, unique and never a prefix of another service', async (t) => {
  const api = serviceIdFor('/api');
  const apiV2 = serviceIdFor('/api-v2');
  t.match(api, /^api-[0-9a-f]{6}$/);
  t.match(serviceIdFor('/'), /^root-[0-9a-f]{6}$/);
  t.match(serviceIdFor('/users/admin'), /^users\.admin-[0-9a-f]{6}$/);
  t.not(serviceIdFor('/a_b'), serviceIdFor('/a-b'), 'paths that sanitize alike still differ');
  const a = containerNameFor(api, 'abcdef0123456789', 1);
  const b = containerNameFor(apiV2, 'abcdef0123456789', 1);
  t.notOk(b.startsWith(`${api}--`), 'api-v2 containers do not start with the api prefix');
  t.notOk(a.startsWith(`${apiV2}--`));
  t.equal(serviceIdOfContainer(a), api);
  t.equal(serviceIdOfContainer(b), apiV2);
});

t.test('container names stay within 63 characters for long paths', async (t) => {
  const id = serviceIdFor('/' + 'very-long-segment/'.repeat(10));
  const name = containerNameFor(id, 'f'.repeat(40), 99999);
  t.ok(name.length <= 63, name);
  t.match(name, /--ffffffff-99999$/);
});
