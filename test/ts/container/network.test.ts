import t from 'tap';
import { allocateIp, buildIp, macForIp, parseSubnet } from '../../../lib/ts/container/network.js';

t.test('subnet parsing and allocation skip the gateway and used addresses', async (t) => {
  const s = parseSubnet('10.0.3.0/24');
  t.equal(s.gateway, '10.0.3.1');
  t.equal(allocateIp(s, []), '10.0.3.2');
  t.equal(allocateIp(s, ['10.0.3.2', '10.0.3.3']), '10.0.3.4');
  const tiny = parseSubnet('10.9.9.0/29');
  t.throws(() => allocateIp(tiny, ['10.9.9.2', '10.9.9.3', '10.9.9.4', '10.9.9.5', '10.9.9.6']), /no free container address/);
  t.throws(() => parseSubnet('10.0.3.0'), /subnet must look like/);
});

t.test('a fixed MAC per address', async (t) => {
  t.equal(macForIp('10.0.3.2'), '00:16:3e:00:03:02');
  t.equal(macForIp('10.213.31.250'), '00:16:3e:d5:1f:fa', 'the last three octets, in hex');
  t.not(macForIp('10.0.3.2'), macForIp('10.0.3.3'));
});

t.test('builds take the top addresses, one per slot; apps never get them', async (t) => {
  const s = parseSubnet('10.0.3.0/24');
  t.equal(buildIp(s, 0), '10.0.3.254');
  t.equal(buildIp(s, 1), '10.0.3.253');
  const tiny = parseSubnet('10.9.9.0/29');
  t.equal(buildIp(tiny, 0), '10.9.9.6');
  t.equal(allocateIp(tiny, ['10.9.9.2', '10.9.9.3', '10.9.9.4'], 1), '10.9.9.5');
  t.throws(() => allocateIp(tiny, ['10.9.9.2', '10.9.9.3', '10.9.9.4', '10.9.9.5'], 1), /no free container address/, 'the build address is not handed out');
});
