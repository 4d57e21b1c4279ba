import t from 'tap';
import { join } from 'node:path';
import { bindMount, cgroupLimits, overlayMount, renderContainerConfig, toBytes } from '../../../lib/ts/container/lxc-config.js';

const lxcDir = join(import.meta.dirname, '..', '..', '..', 'lxc');

t.test('cgroup keys follow the host layout (v1 here, v2 on stock Debian 12)', async (t) => {
  t.same(cgroupLimits('512M', 100, { memory: 1, pids: 1 }), { 'lxc.cgroup.memory.limit_in_bytes': '536870912', 'lxc.cgroup.pids.max': '100' });
  t.same(cgroupLimits('1G', 64, { memory: 2, pids: 2 }), { 'lxc.cgroup2.memory.max': '1073741824', 'lxc.cgroup2.pids.max': '64' });
  t.equal(toBytes('2K'), 2048);
  t.throws(() => toBytes('lots'), /memory limit/);
});

t.test('mount entries refuse paths LXC cannot express', async (t) => {
  t.equal(bindMount('/srv/x', '/starphleet', true), '/srv/x starphleet none ro,bind,nosuid,nodev,create=dir 0 0');
  t.equal(bindMount('/srv/y', 'tmp/cache', false), '/srv/y tmp/cache none bind,nosuid,nodev,create=dir 0 0');
  t.throws(() => bindMount('/srv/a b', 'x', true), /not usable/);
  t.match(overlayMount('/l', '/u', '/w', '/app'), /^overlay app overlay nosuid,nodev,lowerdir=\/l,upperdir=\/u,workdir=\/w/);
});

t.test('an app container config has the network, limits, mounts and base lines', async (t) => {
  const conf = renderContainerConfig({
    name: 'api-abc123--deadbeef-1', kind: 'app', dir: '/r/containers/api-abc123--deadbeef-1',
    baseName: 'host', baseRootfs: '/r/bases/host/rootfs', baseConf: 'lxc.mount.entry = /usr usr none ro,bind 0 0',
    net: { bridge: 'lxcbr0', ip: '10.0.3.5', prefix: 24, gateway: '10.0.3.1', mac: '00:16:3e:00:03:05' },
    cgroup: { 'lxc.cgroup.pids.max': '10' }, mounts: ['/a app none bind 0 0'],
  }, lxcDir);
  t.match(conf, 'lxc.rootfs.path = overlay:/r/bases/host/rootfs:/r/containers/api-abc123--deadbeef-1/delta');
  t.match(conf, 'lxc.net.0.ipv4.address = 10.0.3.5/24');
  t.match(conf, 'lxc.net.0.hwaddr = 00:16:3e:00:03:05');
  t.match(conf, 'lxc.cgroup.pids.max = 10');
  t.match(conf, 'lxc.mount.entry = /a app none bind 0 0');
  t.match(conf, 'lxc.log.level = WARN');
  t.match(conf, '/usr usr none ro,bind');
  t.match(conf, 'lxc.rootfs.options = nosuid,nodev');
  t.notMatch(conf, 'lxc.idmap', 'no range given: the host user namespace');
  const bare = renderContainerConfig({
    name: 'b', kind: 'build', dir: '/d', baseName: 'host', baseRootfs: '/b', baseConf: '', cgroup: {}, mounts: [],
  }, lxcDir);
  t.match(bare, 'lxc.net.0.type = none');
  t.notMatch(bare, 'veth');
});

t.test('an unprivileged container maps root and the app user into the ship range', async (t) => {
  const conf = renderContainerConfig({
    name: 'b', kind: 'build', dir: '/d', baseName: 'host', baseRootfs: '/b', baseConf: '', cgroup: {}, mounts: [],
    idmap: { first: 231072, count: 65536 },
    net: { bridge: 'br', ip: '10.0.3.254', prefix: 24, gateway: '10.0.3.1', mac: '00:16:3e:00:03:fe', upScript: '/s/veth-isolate' },
  }, lxcDir);
  t.match(conf, 'lxc.idmap = u 0 231072 65536');
  t.match(conf, 'lxc.idmap = g 0 231072 65536');
  t.match(conf, 'app user 241072');
  t.match(conf, 'lxc.net.0.script.up = /s/veth-isolate');
});
