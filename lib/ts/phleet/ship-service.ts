// `ship service install|uninstall`: on a ship host, hand the agent to the
// host's init (lib/sh/ship-service picks systemd, Upstart or ship-keepalive).
import { assets } from '../core/assets.js';
import { runScript } from '../core/sh.js';
import { self } from '../core/self.js';
import { Failure } from '../cli/errors.js';

export async function shipService(action: 'install' | 'uninstall', root: string): Promise<number> {
  const me = self();
  if (me.length !== 1) throw new Failure('ship service works from the single binary (make → dist/starphleet), as installed by add ship');
  const r = await runScript(`${assets().sh}/ship-service`, [action, root, me[0]], { timeoutSeconds: 120 });
  process.stdout.write(r.stdout);
  if (r.code !== 0) throw new Failure(`ship service ${action}: ${(r.stderr.trim().split('\n').pop() ?? `exit status ${r.code}`)}`);
  return 0;
}
