// bench/metrics-memory's simulation: an hour of front-door lines for N
// services fed through the agent's own metrics code (aggregate.ts), 360
// ticks of 10 s, and the heap it holds afterwards.
// usage: bun bench/lib/metrics-hour.ts SERVICES REQUESTS_PER_SECOND
import { POINTS, POINT_SECONDS, ServiceMetrics } from '../../lib/ts/metrics/aggregate.js';

const services = Number(process.argv[2] ?? 20);
const rate = Number(process.argv[3] ?? 100);
const bun = (globalThis as { Bun?: { gc(full: boolean): void } }).Bun;
const heap = (): number => { bun?.gc(true); return process.memoryUsage().heapUsed; };
const before = heap();
const all = new Map<string, ServiceMetrics>();
for (let i = 1; i <= services; i++) all.set(`/s${i}`, new ServiceMetrics());
const t0 = Date.now();
let lines = 0;
for (let tick = 0; tick < POINTS; tick++) {
  for (const [path, m] of all) {
    for (let r = 0; r < rate * POINT_SECONDS; r++) {
      m.record({ service: path, status: r % 50 === 0 ? 503 : 200, seconds: (r % 97) / 1000, bytes: 512 });
      lines += 1;
    }
    m.tick(new Date(t0 + tick * POINT_SECONDS * 1000), { container: `${path}-c`, memoryBytes: 50e6 + tick, cpuSeconds: tick * 0.5, restarts: 0 });
  }
}
const after = heap();
const points = [...all.values()].reduce((n, m) => n + m.points.length, 0);
console.log(JSON.stringify({ services, requestsPerSecond: rate, lines, points, heapBytes: after - before, seconds: (Date.now() - t0) / 1000 }));
