// Request metrics per service, pure: counters by status class, a latency
// histogram, bytes sent, and a series of 10 s points for the last hour
// (requests, 5xx, p95, memory, CPU), bounded whatever the traffic. Fed by the
// front door's per-request lines (collector.ts); rendered as Prometheus text.

/** Histogram bucket bounds, seconds (Prometheus `le`). */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const POINT_SECONDS = 10;
/** Points kept: one hour at 10 s. */
export const POINTS = 360;

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
const CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export interface Point {
  at: string;            // the end of the 10 s interval
  requests: number;
  errors: number;        // 5xx
  p95Seconds: number | null;
  memoryBytes: number | null;
  cpuPercent: number | null;   // of one core, over the interval
  restarts: number;            // crash restarts of the service's containers in the interval
  openStreams: number | null;  // websockets and event streams open at its end
}

/** What the serving container's cgroup says at a tick. */
export interface Usage {
  container: string;
  memoryBytes: number | null;
  cpuSeconds: number | null;   // cumulative since the container started
  restarts: number;            // the service's containers' restarts, cumulative
  openStreams?: number | null; // websockets and event streams open through the front door now
}

export interface AccessLine {
  service: string;
  status: number;
  seconds: number;
  bytes: number;
}

/** One line of the front door's metrics log: "SERVICE STATUS REQUEST_TIME BYTES_SENT" (after the syslog header). */
export function parseAccessLine(datagram: string): AccessLine | null {
  const at = datagram.indexOf('starphleet: ');
  const text = (at === -1 ? datagram : datagram.slice(at + 'starphleet: '.length)).trim();
  const m = /^(\/\S*) (\d{3}) (\d+(?:\.\d+)?) (\d+)$/.exec(text);
  if (!m) return null;
  return { service: m[1], status: Number(m[2]), seconds: Number(m[3]), bytes: Number(m[4]) };
}

function classOf(status: number): StatusClass {
  return CLASSES[Math.min(4, Math.max(0, Math.floor(status / 100) - 1))];
}

/** The q-quantile (0..1) from bucket counts (upper bound of the bucket it falls in; +Inf: the largest bound). */
export function quantile(bucketCounts: number[], total: number, q: number): number | null {
  if (total === 0) return null;
  const want = Math.ceil(total * q);
  let seen = 0;
  for (let i = 0; i < BUCKETS.length; i++) {
    seen += bucketCounts[i];
    if (seen >= want) return BUCKETS[i];
  }
  return BUCKETS[BUCKETS.length - 1];
}

export class ServiceMetrics {
  readonly classes: Record<StatusClass, number> = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  readonly buckets = new Array<number>(BUCKETS.length).fill(0);   // non-cumulative; the rest is +Inf
  count = 0;
  sumSeconds = 0;
  bytes = 0;
  readonly points: Point[] = [];
  private interval = { requests: 0, errors: 0, buckets: new Array<number>(BUCKETS.length).fill(0) };
  private lastCpu: { container: string; seconds: number; at: number } | null = null;
  private lastRestarts: number | null = null;

  record(l: AccessLine): void {
    this.classes[classOf(l.status)] += 1;
    this.count += 1;
    this.sumSeconds += l.seconds;
    this.bytes += l.bytes;
    const i = BUCKETS.findIndex((b) => l.seconds <= b);
    if (i !== -1) { this.buckets[i] += 1; this.interval.buckets[i] += 1; }
    this.interval.requests += 1;
    if (l.status >= 500) this.interval.errors += 1;
  }

  /** Close the current 10 s interval as a point (CPU: the container's use since the last tick, if it is the same container). */
  tick(at: Date, usage: Usage | null): void {
    const iv = this.interval;
    let cpuPercent: number | null = null;
    if (usage && usage.cpuSeconds !== null) {
      const prev = this.lastCpu;
      const elapsed = prev ? (at.getTime() - prev.at) / 1000 : 0;
      if (prev && prev.container === usage.container && elapsed > 0 && usage.cpuSeconds >= prev.seconds) {
        cpuPercent = Number((((usage.cpuSeconds - prev.seconds) / elapsed) * 100).toFixed(1));
      }
      this.lastCpu = { container: usage.container, seconds: usage.cpuSeconds, at: at.getTime() };
    } else this.lastCpu = null;
    const restarts = usage && this.lastRestarts !== null ? Math.max(0, usage.restarts - this.lastRestarts) : 0;
    this.lastRestarts = usage ? usage.restarts : null;
    this.points.push({
      at: at.toISOString(), requests: iv.requests, errors: iv.errors, p95Seconds: quantile(iv.buckets, iv.requests, 0.95),
      memoryBytes: usage?.memoryBytes ?? null, cpuPercent, restarts, openStreams: usage?.openStreams ?? null,
    });
    if (this.points.length > POINTS) this.points.splice(0, this.points.length - POINTS);
    this.interval = { requests: 0, errors: 0, buckets: new Array<number>(BUCKETS.length).fill(0) };
  }

  /** p50/p95/p99 over everything counted. */
  summary(): { p50Seconds: number | null; p95Seconds: number | null; p99Seconds: number | null } {
    return {
      p50Seconds: quantile(this.buckets, this.count, 0.5),
      p95Seconds: quantile(this.buckets, this.count, 0.95),
      p99Seconds: quantile(this.buckets, this.count, 0.99),
    };
  }
}

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The Prometheus text exposition of every service's metrics (and its serving container's memory and CPU). */
export function renderPrometheus(services: Map<string, ServiceMetrics>, usage: (path: string) => Usage | null): string {
  const out: string[] = [];
  const paths = [...services.keys()].sort();
  out.push('# HELP starphleet_http_requests_total Requests through the front door, by service and status class.');
  out.push('# TYPE starphleet_http_requests_total counter');
  for (const p of paths) for (const c of CLASSES) out.push(`starphleet_http_requests_total{service="${label(p)}",class="${c}"} ${services.get(p)?.classes[c] ?? 0}`);
  out.push('# HELP starphleet_http_request_duration_seconds Time to answer, by service (nginx $request_time).');
  out.push('# TYPE starphleet_http_request_duration_seconds histogram');
  for (const p of paths) {
    const m = services.get(p) as ServiceMetrics;
    let cumulative = 0;
    BUCKETS.forEach((b, i) => {
      cumulative += m.buckets[i];
      out.push(`starphleet_http_request_duration_seconds_bucket{service="${label(p)}",le="${b}"} ${cumulative}`);
    });
    out.push(`starphleet_http_request_duration_seconds_bucket{service="${label(p)}",le="+Inf"} ${m.count}`);
    out.push(`starphleet_http_request_duration_seconds_sum{service="${label(p)}"} ${Number(m.sumSeconds.toFixed(6))}`);
    out.push(`starphleet_http_request_duration_seconds_count{service="${label(p)}"} ${m.count}`);
  }
  out.push('# HELP starphleet_http_response_bytes_total Bytes sent to clients, by service.');
  out.push('# TYPE starphleet_http_response_bytes_total counter');
  for (const p of paths) out.push(`starphleet_http_response_bytes_total{service="${label(p)}"} ${services.get(p)?.bytes ?? 0}`);
  const now = new Map(paths.map((p) => [p, usage(p)]));
  out.push('# HELP starphleet_http_open_streams Websockets and server-sent event streams open through the front door, by service.');
  out.push('# TYPE starphleet_http_open_streams gauge');
  for (const p of paths) {
    const n = now.get(p)?.openStreams;
    if (n !== undefined && n !== null) out.push(`starphleet_http_open_streams{service="${label(p)}"} ${n}`);
  }
  out.push('# HELP starphleet_container_memory_bytes Memory of the service\'s serving container (its cgroup).');
  out.push('# TYPE starphleet_container_memory_bytes gauge');
  for (const p of paths) {
    const mem = now.get(p)?.memoryBytes ?? null;
    if (mem !== null) out.push(`starphleet_container_memory_bytes{service="${label(p)}"} ${mem}`);
  }
  out.push('# HELP starphleet_container_cpu_seconds_total CPU time of the service\'s serving container since it started (its cgroup).');
  out.push('# TYPE starphleet_container_cpu_seconds_total counter');
  for (const p of paths) {
    const cpu = now.get(p)?.cpuSeconds ?? null;
    if (cpu !== null) out.push(`starphleet_container_cpu_seconds_total{service="${label(p)}"} ${Number(cpu.toFixed(6))}`);
  }
  return `${out.join('\n')}\n`;
}
