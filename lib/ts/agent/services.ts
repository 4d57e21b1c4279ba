// The ship's services as the HQ lists them: each has a record in the state
// and a pipeline of its own. New ones are adopted, gone ones retired (their
// serving container drains), and once a gone service's last container went,
// its slugs, caches, repo and build logs are swept.
import { serviceIdFor } from '../core/service-names.js';
import type { FoundService } from '../hq/scan.js';
import { servicePathProblem } from '../nginx/config.js';
import type { Ship } from './ship.js';
import { ServicePipeline } from './service-pipeline.js';
import { sweepServiceFiles } from './service-leftovers.js';
import type { ServiceRecord } from './state.js';
import { pipelineSteps } from './wiring.js';

export class Services {
  readonly pipelines = new Map<string, ServicePipeline>();

  constructor(private readonly agent: Ship) {}

  /** Services known from the last run keep their pipelines even before the HQ answers. */
  resume(): void {
    for (const s of Object.values(this.agent.state().services)) this.pipelineFor(s);
  }

  private pipelineFor(s: ServiceRecord): ServicePipeline {
    let p = this.pipelines.get(s.path);
    if (!p) {
      p = new ServicePipeline(s, pipelineSteps(this.agent));
      this.pipelines.set(s.path, p);
    }
    return p;
  }

  /** The HQ at `commit` lists these services: new ones get a pipeline, gone ones are retired. */
  async adopt(found: FoundService[], commit: string): Promise<void> {
    const agent = this.agent;
    const state = agent.state();
    const now = new Date().toISOString();
    let added = false;
    for (const f of found) {
      let s = state.services[f.path];
      if (!s) {
        s = { path: f.path, id: serviceIdFor(f.path), ordersFile: f.ordersRel, updatedAt: now };
        state.services[f.path] = s;
        added = true;
        agent.log('agent', s.path, `new service from ${f.ordersRel}`);
      }
      const pipeline = this.pipelineFor(s);
      const problem = servicePathProblem(f.path);
      if (problem) {
        s.ordersError = `${f.ordersRel}: the path ${f.path} ${problem}`;
        s.lastError = s.ordersError;
        continue;
      }
      pipeline.setOrders(f, commit);
      pipeline.kick();
    }
    const present = new Set(found.map((f) => f.path));
    for (const s of Object.values(state.services)) {
      if (!present.has(s.path)) await this.retire(s);
    }
    agent.save();
    // A new path is routed from the moment it is read: its own 503 until a
    // version of it is live, never the answer of the service above it.
    if (added) await agent.applyRoutes().catch((err: Error) => agent.log('agent', null, `routes: ${err.message}`));
  }

  private async retire(s: ServiceRecord): Promise<void> {
    const agent = this.agent;
    const state = agent.state();
    agent.log('agent', s.path, 'no longer in the headquarters; removing');
    this.pipelines.get(s.path)?.retire();
    this.pipelines.delete(s.path);
    delete state.services[s.path];
    await agent.applyRoutes();
    for (const c of Object.values(state.containers)) {
      if (c.serviceId !== s.id) continue;
      // The serving container is unrouted now; let its requests finish.
      if (c.state === 'online' || c.state === 'restarting') agent.startDrain(c);
      else if (c.state !== 'draining') await agent.discard(c, 'service removed');
    }
  }

  /** Slugs, caches, repo and build logs of services gone from the HQ, once their last container went. */
  sweepGone(hqReadByThisAgent: boolean): void {
    const state = this.agent.state();
    // Only against an HQ read by this agent: a state that lost its services must not empty the ship.
    if (!hqReadByThisAgent || state.hqError) return;
    const keep = new Set([
      ...Object.values(state.services).map((s) => s.id),
      ...Object.values(state.containers).map((c) => c.serviceId),
    ]);
    for (const what of sweepServiceFiles(this.agent.paths, keep)) this.agent.log('agent', null, `removed ${what}: its service is gone`);
  }

  kickAll(): void {
    for (const p of this.pipelines.values()) p.kick();
  }

  retireAll(): void {
    for (const p of this.pipelines.values()) p.retire();
  }
}
