// The phleet dashboard's state, pure: every ship's last answer (status and
// metrics, or why it did not answer) and the merged log lines of all ships,
// bounded. phleet-server.ts feeds it from the ships and serves it.
import type { ShipStatus } from '../agent/status.js';
import type { LogRecord } from '../logs/ring.js';
import type { ServiceMetricsView } from '../metrics/view.js';

export interface ShipView {
  name: string;
  target: string | null;
  ok: boolean;
  error: string | null;
  checkedAt: string | null;      // the last answer or failure
  status: ShipStatus | null;     // the last status that came (kept while a ship is down, marked by ok=false)
  metrics: ServiceMetricsView[];
}

export interface PhleetDoc {
  phleet: string;
  ships: ShipView[];
}

export type ShipLogRecord = LogRecord & { ship: string };

/** Lines of merged logs the dashboard keeps and hands to a new page. */
export const PHLEET_LOG_LINES = 2000;

export class PhleetView {
  private readonly ships = new Map<string, ShipView>();
  private readonly lines: ShipLogRecord[] = [];

  constructor(readonly phleet: string, ships: Array<{ name: string; target: string | null }>) {
    for (const s of ships) this.ships.set(s.name, { ...s, ok: false, error: 'not asked yet', checkedAt: null, status: null, metrics: [] });
  }

  answered(name: string, status: ShipStatus, metrics: ServiceMetricsView[], at: Date): void {
    const s = this.ships.get(name);
    if (!s) return;
    Object.assign(s, { ok: true, error: null, checkedAt: at.toISOString(), status, metrics });
  }

  failed(name: string, error: string, at: Date): void {
    const s = this.ships.get(name);
    if (!s) return;
    Object.assign(s, { ok: false, error, checkedAt: at.toISOString() });
  }

  /** A log line of a ship; the oldest go past PHLEET_LOG_LINES. */
  line(r: ShipLogRecord): void {
    this.lines.push(r);
    if (this.lines.length > PHLEET_LOG_LINES) this.lines.splice(0, this.lines.length - PHLEET_LOG_LINES);
  }

  /** The last n lines, in time order. */
  tail(n: number): ShipLogRecord[] {
    return this.lines.slice(-n).map((r, i) => ({ r, i })).sort((a, b) => a.r.time.localeCompare(b.r.time) || a.i - b.i).map((x) => x.r);
  }

  doc(): PhleetDoc {
    return { phleet: this.phleet, ships: [...this.ships.values()].map((s) => ({ ...s })) };
  }
}
