// What the agent's wiring, control answers, service registry and reconcile
// see of the agent: its context plus its parts. An interface, so those
// modules depend on this file and never on agent.ts (which builds them).
import type { ServiceMetricsView } from '../metrics/view.js';
import type { RouteSwitch } from './routes.js';
import type { TrimReport } from '../core/memory-trim.js';
import type { CertStore } from '../tls/cert-store.js';
import type { CertKeeper } from '../tls/keeper.js';
import type { Expiring } from '../dashboard/server.js';
import type { LogHub } from '../logs/hub.js';
import type { AdmiralSync } from './admirals-sync.js';
import type { AgentContext } from './context.js';
import type { Deployer } from './deploy.js';
import type { Drainer } from './drain.js';
import type { Healer } from './heal.js';
import type { HqPoller } from './hq-poll.js';
import type { ServicePipeline } from './service-pipeline.js';
import type { ServiceRecord } from './state.js';
import type { ShipStatus } from './status.js';

export interface Ship extends AgentContext {
  readonly hub: LogHub;
  readonly loginCodes: Expiring;
  readonly admirals: AdmiralSync;
  readonly deployer: Deployer;
  readonly drainer: Drainer;
  readonly healer: Healer;
  readonly hq: HqPoller;
  readonly certKeeper: CertKeeper;
  readonly certs: CertStore;
  readonly services: { readonly pipelines: Map<string, ServicePipeline> };
  serviceById(serviceId: string): ServiceRecord | undefined;
  rolloutVersion(): number;
  status(): ShipStatus;
  /** Each service's request metrics (the last hour's points with points=true). */
  metricsView(points: boolean): ServiceMetricsView[];
  /** Ask nginx for the open streams now (metricsView then shows them as they are). */
  refreshStreams(): Promise<void>;
  /** The last nginx apply's figures (routes.ts), for benches. */
  lastNginxApply(): RouteSwitch['lastApply'];
  /** The last memory trim (core/memory-trim.ts), for benches and tests. */
  lastTrim(): TrimReport | null;
  /** One pulse: kick the HQ and every pipeline; resolves when the HQ read is done. */
  pulse(): Promise<void>;
  wakeUp(): void;
}
