// The end of a version: a replaced one drains (stays up, unrouted, for
// STARPHLEET_DRAINSTOP_WAIT), then it is stopped with a grace period and its
// container, log and record go. Drain deadlines are in the state, so an
// agent restart picks them up.
import { rmSync } from 'node:fs';
import { assets } from '../core/assets.js';
import { destroyContainer, stopContainer } from '../container/container.js';
import { removeContainerLog } from '../logs/container-logs.js';
import type { AgentContext } from './context.js';
import type { ContainerRecord } from './state.js';
import { advance } from './version-states.js';
import { typeOf } from '../process/process-plan.js';

export class Drainer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly ctx: Omit<AgentContext, 'startDrain' | 'discard'>, private readonly forgetHealth: (name: string) => void) {}

  startDrain(c: ContainerRecord): void {
    const ctx = this.ctx;
    // Only web instances serve requests to finish; a worker of the old release stops at once (with its grace).
    const waitSeconds = typeOf(c.process) !== 'web' ? 0 : Number(ctx.serviceOf(c)?.orders?.env.STARPHLEET_DRAINSTOP_WAIT ?? ctx.config.drainSeconds);
    advance(c, 'drain');
    c.drainUntil = new Date(Date.now() + (Number.isFinite(waitSeconds) ? waitSeconds : ctx.config.drainSeconds) * 1000).toISOString();
    ctx.save();
    ctx.log('agent', c.servicePath, `draining ${c.name} until ${c.drainUntil}`);
    this.schedule(c);
  }

  /** Its drain deadline (from the state) ends it. */
  schedule(c: ContainerRecord): void {
    const ms = Math.max(0, Date.parse(c.drainUntil ?? '') - Date.now() || 0);
    this.timers.set(c.name, setTimeout(() => {
      this.timers.delete(c.name);
      void this.discard(c, 'drained');
    }, ms));
  }

  /** Stop and destroy a container this ship created, and forget it. */
  async discard(c: ContainerRecord, why: string): Promise<void> {
    const ctx = this.ctx;
    const grace = Number(ctx.serviceOf(c)?.orders?.env.STARPHLEET_STOP_GRACE ?? 10) || 10;
    await stopContainer(ctx.paths, assets().sh, c.name, grace).catch((e: Error) => ctx.log('agent', c.servicePath, e.message));
    await destroyContainer(ctx.paths, assets().sh, c.name).catch((e: Error) => ctx.log('agent', c.servicePath, e.message));
    rmSync(ctx.paths.supervisorExit(c.name), { force: true });
    ctx.follower.unfollow(c.name);
    removeContainerLog(ctx.paths, c.name);
    ctx.healthSeen.delete(c.name);
    this.forgetHealth(c.name);
    if (c.state !== 'stopped') advance(c, 'stop');
    delete ctx.state().containers[c.name];
    ctx.save();
    ctx.log('agent', c.servicePath, `removed ${c.name} (${why})`);
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
