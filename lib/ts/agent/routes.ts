// The front door's routing table from the ship's state: one route per
// service to its serving containers (or the ones being switched to), with
// the hold socket behind them. Applying it: when only containers changed (a
// rollover, a restart), nginx's shared table of peers is switched in place
// (no reload, no client connection closed); otherwise the config is
// rendered, tested, reloaded and confirmed. Serialized, so generations stay
// in order.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { assets } from '../core/assets.js';
import type { ShipConfig } from '../core/config.js';
import type { ShipPaths } from '../core/paths.js';
import type { HoldProxy } from '../nginx/hold-proxy.js';
import { renderNginxConfig, servicePathProblem, type NginxRoute, type NginxTls } from '../nginx/config.js';
import { stripsPrefix } from '../hq/orders.js';
import { ownedDomains, shipDomains } from './domain-claims.js';
import { applyNginxConfig, ipv6Available, nginxRunning, startNginx } from '../nginx/reload.js';
import { peersBody, pushPeers, withoutPeers } from '../nginx/peers.js';
import type { ShipState } from './state.js';
import { webMembers } from '../process/members.js';

export class RouteSwitch {
  /** Service path → container nginx is being switched to (not yet confirmed). */
  readonly switching = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: ShipConfig,
    private readonly paths: ShipPaths,
    private readonly state: () => ShipState,
    private readonly hold: HoldProxy,
    private readonly save: () => void,
    private readonly tls: () => NginxTls,
    private readonly metricsAddress: () => string | null = () => null,
  ) {}

  routes(): NginxRoute[] {
    const state = this.state();
    const routes: NginxRoute[] = [];
    const domains = shipDomains(state.services);
    for (const s of Object.values(state.services)) {
      // A path nginx cannot carry stays out (its orders error says why).
      if (servicePathProblem(s.path) !== null) continue;
      const name = this.switching.get(s.path) ?? s.serving;
      const c = name ? state.containers[name] : undefined;
      const stripPrefix = stripsPrefix(s.orders?.env);
      const owned = ownedDomains(domains, s.path);
      const hsts = /^(1|true|yes|on)$/i.test(s.orders?.env.HSTS ?? '');
      // Every path of the HQ is its own service's from the moment it is read:
      // until something of it is live it answers its own 503.
      // Its release's web instances, balanced round-robin (none: PROCESSES web=0, its own 503).
      const webs = c ? webMembers(state, c) : [];
      routes.push(webs.length > 0
        ? {
          path: s.path, serviceId: s.id, container: webs[0].name, upstreams: webs.map((w) => `${w.ip}:${w.port}`),
          ...(webs.length > 1 ? { upstreamContainers: webs.map((w) => w.name) } : {}),
          holdSocket: this.hold.socketPath(s.id), stripPrefix, domains: owned, hsts,
        }
        : { path: s.path, serviceId: s.id, upstreams: [], stripPrefix, domains: owned, hsts });
    }
    return routes.sort((a, b) => a.path.localeCompare(b.path));
  }

  /**
   * nginx's old workers keep long connections (websockets, SSE) at most this
   * long after a reload: never shorter than the longest drain wait of any
   * service (orders may raise STARPHLEET_DRAINSTOP_WAIT above the ship's).
   */
  private workerShutdownSeconds(): number {
    const waits = Object.values(this.state().services).map((s) => Number(s.orders?.env.STARPHLEET_DRAINSTOP_WAIT ?? this.config.drainSeconds));
    const longest = Math.max(this.config.drainSeconds, ...waits.filter((n) => Number.isFinite(n) && n >= 0));
    return Math.max(40, Math.ceil(longest) + 10);
  }

  /**
   * Render, test, reload and confirm; serialized so generations stay in
   * order. Calls that arrive while one waits its turn join it: it renders
   * the state as it is when it starts, so a batch of changes (services going
   * live together) costs one reload, not one each.
   */
  apply(startIfNeeded = false): Promise<void> {
    if (this.queued) {
      this.queued.start ||= startIfNeeded;
      return this.queued.done;
    }
    const queued: { start: boolean; done: Promise<void> } = { start: startIfNeeded, done: Promise.resolve() };
    const run = async (): Promise<void> => {
      this.queued = null;
      startIfNeeded = queued.start;
      const state = this.state();
      const routes = this.routes();
      await this.hold.ensure(routes.filter((r) => r.container !== undefined).map((r) => r.serviceId));
      const render = (generation: number): string => renderNginxConfig({
        listenPort: this.config.httpPort,
        prefix: this.paths.nginx,
        controlSocket: this.paths.nginxControlSocket,
        generation,
        routes,
        workerShutdownTimeoutSeconds: this.workerShutdownSeconds(),
        dashboardSocket: this.paths.dashboardSocket,
        listenAddresses: ipv6Available() ? undefined : ['0.0.0.0'],
        acmeWebroot: this.paths.acmeWebroot,
        tls: this.tls(),
        metricsAddress: this.metricsAddress() ?? undefined,
      }, assets().templates);
      const ms = (n: number): number => Math.round(n * 10) / 10;
      const t0 = performance.now();
      const running = nginxRunning(this.paths.nginx);
      const live = running && existsSync(this.paths.nginxConf) ? readFileSync(this.paths.nginxConf, 'utf8') : null;
      const same = render(state.nginxGeneration);
      if (live !== null && withoutPeers(live) === withoutPeers(same)) {
        // The routing table is as nginx has it; only containers changed (a
        // rollover, a restart): the file first (the next start or reload
        // reads it), then the running nginx's table. No reload.
        const t1 = performance.now();
        if (live !== same) {
          writeFileSync(`${this.paths.nginxConf}.peers`, same);
          renameSync(`${this.paths.nginxConf}.peers`, this.paths.nginxConf);
          await pushPeers(this.paths.nginxControlSocket, peersBody(routes));
        }
        this.lastApply = { generation: state.nginxGeneration, routes: routes.length, renderMs: ms(t1 - t0), reloadMs: 0, switchMs: ms(performance.now() - t1), at: new Date().toISOString() };
        this.save();
        return;
      }
      state.nginxGeneration += 1;
      const generation = state.nginxGeneration;
      const config = render(generation);
      const t1 = performance.now();
      if (startIfNeeded && !running) {
        writeFileSync(this.paths.nginxConf, config);
        await startNginx(this.paths.nginx, this.paths.nginxConf);
      } else {
        await applyNginxConfig(this.paths.nginx, config, generation);
      }
      this.lastApply = { generation, routes: routes.length, renderMs: ms(t1 - t0), reloadMs: ms(performance.now() - t1), switchMs: 0, at: new Date().toISOString() };
      this.save();
    };
    const next = this.chain.then(run, run);
    queued.done = next;
    this.queued = queued;
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The last apply that went through: how many routes, how long rendering took, and nginx's test + reload + confirm (a routing change) or the table switch (containers only) (benches read it). */
  lastApply: { generation: number; routes: number; renderMs: number; reloadMs: number; switchMs: number; at: string } | null = null;

  /** The apply waiting its turn, if any (later calls join it). */
  private queued: { start: boolean; done: Promise<void> } | null = null;
}
