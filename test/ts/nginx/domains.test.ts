import t from 'tap';
import { domainOwners, parseDomains, pathUnder } from '../../../lib/ts/nginx/domains.js';

t.test('DOMAINS: host names, lower-cased, spaces or commas between; a bad one is named', async (t) => {
  t.same(parseDomains('Shop.Example.com  www.shop.example.com,shop.example.com'), ['shop.example.com', 'www.shop.example.com']);
  t.same(parseDomains(undefined), []);
  t.same(parseDomains('  '), []);
  t.throws(() => parseDomains('shop.example.com bad_name.com'), /DOMAINS: 'bad_name\.com' is not a host name/);
  t.throws(() => parseDomains('localhost'), /is not a host name/, 'one label is not a domain');
  t.throws(() => parseDomains('*.example.com'), /is not a host name/);
  t.throws(() => parseDomains('a;b.com'), /is not a host name/, 'nothing nginx would read as syntax');
});

t.test('two services claiming one domain: the path that sorts first owns it, the other gets the error', async (t) => {
  const { owner, conflicts } = domainOwners([
    { path: '/shop2', domains: ['shop.example.com', 'b.example.com'] },
    { path: '/shop', domains: ['shop.example.com'] },
  ]);
  t.equal(owner.get('shop.example.com'), '/shop');
  t.equal(owner.get('b.example.com'), '/shop2', 'its other domains stay its own');
  t.equal(conflicts.get('/shop2'), "DOMAINS: shop.example.com is already /shop's (not routed here)");
  t.notOk(conflicts.has('/shop'));
});

t.test('paths under a domain: the owner at /, the services below it relative to it', async (t) => {
  t.equal(pathUnder('/shop', '/shop'), '/');
  t.equal(pathUnder('/shop', '/shop/api'), '/api');
  t.equal(pathUnder('/shop', '/shopping'), null);
  t.equal(pathUnder('/shop', '/'), null);
  t.equal(pathUnder('/', '/api'), '/api');
  t.equal(pathUnder('/', '/'), '/');
});
