// After an agent restart: pick up every version as the last agent left it.
// A deploy it did not finish is started over, a drain goes on to its
// deadline, a serving container that ended while no agent watched is said
// and restarted at the healer's first look.
import { exitStatus, supervisorAlive } from '../container/container.js';
import { describeExit } from '../container/exit-reason.js';
import type { Ship } from './ship.js';
import { settleInterrupted } from '../process/releases.js';

export async function reconcile(agent: Ship): Promise<void> {
  // A release the last agent was deploying did not go live.
  for (const s of Object.values(agent.state().services)) if (s.releases) settleInterrupted(s.releases);
  for (const c of Object.values(agent.state().containers)) {
    if (c.state === 'starting' || c.state === 'checking' || c.state === 'queued' || c.state === 'building') {
      await agent.discard(c, 'interrupted by an agent restart');
    } else if (c.state === 'draining') {
      agent.drainer.schedule(c);
    } else if ((c.state === 'online' || c.state === 'restarting') && !supervisorAlive(agent.paths, c.name)) {
      const code = exitStatus(agent.paths, c.name);
      const why = code === null ? 'is not running' : describeExit(code, agent.serviceOf(c)?.orders?.env.MEMORY_LIMIT || agent.config.memoryLimit);
      agent.log('agent', c.servicePath, `${c.name} ${why}; restarting it`);
      c.crash = `${c.name} ${why}`;
      agent.healer.restartAtOnce(c);
    }
  }
  agent.save();
}
