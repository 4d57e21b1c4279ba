// `starphleet top` and `/starphleet/api/metrics`: each service's request
// metrics as JSON, and the table top prints (pure).
import { POINT_SECONDS, type Point, type ServiceMetrics, type StatusClass, type Usage } from './aggregate.js';

export interface ServiceMetricsView {
  path: string;
  requests: Record<StatusClass, number>;
  total: number;
  requestsPerSecond: number;   // over the last 10 s point
  errorsPerSecond: number;     // 5xx, the same
  p50Seconds: number | null;
  p95Seconds: number | null;
  p99Seconds: number | null;
  bytes: number;
  memoryBytes: number | null;
  cpuPercent: number | null;   // over the last 10 s point
  openStreams: number | null;  // websockets and event streams open now (as of the last ask)
  points: Point[];             // the last hour at 10 s (with points=true)
}

export function metricsView(services: Map<string, ServiceMetrics>, paths: string[], usage: (path: string) => Usage | null, withPoints: boolean): ServiceMetricsView[] {
  return [...paths].sort().map((path) => {
    const m = services.get(path);
    const last = m?.points[m.points.length - 1];
    const s = m?.summary() ?? { p50Seconds: null, p95Seconds: null, p99Seconds: null };
    return {
      path,
      requests: { ...(m?.classes ?? { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }) },
      total: m?.count ?? 0,
      requestsPerSecond: last ? last.requests / POINT_SECONDS : 0,
      errorsPerSecond: last ? last.errors / POINT_SECONDS : 0,
      ...s,
      bytes: m?.bytes ?? 0,
      memoryBytes: usage(path)?.memoryBytes ?? null,
      cpuPercent: last?.cpuPercent ?? null,
      openStreams: usage(path)?.openStreams ?? null,
      points: withPoints && m ? [...m.points] : [],
    };
  });
}

const ms = (s: number | null): string => (s === null ? '-' : `${Math.round(s * 1000)}ms`);
const mib = (b: number | null): string => (b === null ? '-' : `${(b / 1024 / 1024).toFixed(1)}M`);

/** One line per service: requests/s, 5xx/s, totals by class, p50/p95/p99 (bucket bounds), memory, CPU (last 10 s), open streams. */
export function formatTop(list: ServiceMetricsView[]): string {
  const head = ['SERVICE', 'REQ/S', '5XX/S', 'TOTAL', '2XX', '3XX', '4XX', '5XX', 'P50', 'P95', 'P99', 'MEM', 'CPU', 'STREAMS'];
  const rows = list.map((v) => [
    v.path, v.requestsPerSecond.toFixed(1), v.errorsPerSecond.toFixed(1), String(v.total),
    String(v.requests['2xx']), String(v.requests['3xx']), String(v.requests['4xx']), String(v.requests['5xx']),
    ms(v.p50Seconds), ms(v.p95Seconds), ms(v.p99Seconds), mib(v.memoryBytes), v.cpuPercent === null ? '-' : `${v.cpuPercent.toFixed(1)}%`,
    v.openStreams === null ? '-' : String(v.openStreams),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}
