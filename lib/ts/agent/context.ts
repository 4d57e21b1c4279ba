// What the agent's parts share: the ship's settings, paths and state, the
// log, and the few services every part calls. The agent is the one owner of
// the state object and the only one that saves it; the parts change it
// through this context.
import type { NotifyEventName } from '../notify/events.js';
import type { ShipConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import type { ShipPaths } from '../core/paths.js';
import type { ContainerIds } from '../container/idmap.js';
import type { Subnet } from '../container/network.js';
import type { LogFollower } from '../logs/follow.js';
import type { ShipSecrets } from '../secrets/store.js';
import type { HealthSeen } from './status.js';
import type { ContainerRecord, ServiceRecord, ShipState } from './state.js';

export interface AgentContext {
  readonly config: ShipConfig;
  readonly paths: ShipPaths;
  readonly subnet: Subnet;
  readonly secrets: ShipSecrets;
  readonly follower: LogFollower;
  /** The host ids containers run as (a user namespace's, or the host's own). */
  readonly containerIds: ContainerIds;
  /** The last healthcheck result of each container, for `status`. */
  readonly healthSeen: Map<string, HealthSeen>;
  state(): ShipState;
  log: Logger;
  save(): void;
  stopping(): boolean;
  /** Render, test, reload and confirm nginx for the current routes. */
  applyRoutes(startIfNeeded?: boolean): Promise<void>;
  /** Which container a service's route points at while its switch is confirmed. */
  switching: Map<string, string>;
  startDrain(c: ContainerRecord): void;
  discard(c: ContainerRecord, why: string): Promise<void>;
  serviceOf(c: ContainerRecord): ServiceRecord | undefined;
  /** The phleet secrets as export lines for a container start; throws when they cannot be read. */
  secretLines(): Buffer;
  /** Tell the phleet's notification URLs (if any): a deploy live or failed, a crash loop, … */
  notify(event: NotifyEventName, f?: { service?: string | null; commit?: string | null; cause?: string | null }): void;
}
