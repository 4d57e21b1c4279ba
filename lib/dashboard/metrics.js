// The dashboard's charts: per service, request and 5xx rate, p95 latency,
// memory and CPU over the last hour (GET ../api/metrics every 10 s), drawn
// with uPlot, with the service's releases and restarts marked on every chart
// and listed as a timeline beside them. app.js hands over the releases.
(() => {
  'use strict';
  const POINT_SECONDS = 10;
  const COLORS = { live: '#2b7a3d', failed: '#b02a2a', restart: '#c77700' };
  const root = document.getElementById('metrics');
  const charts = new Map();     // path -> { el, plots: [{ u, pick }], timeline, marks }
  let releases = new Map();     // path -> release views (oldest first)

  const seconds = (iso) => Date.parse(iso) / 1000;
  const hhmmss = (t) => new Date(t * 1000).toISOString().slice(11, 19);

  // What each chart draws, from a service's points.
  const CHARTS = [
    { key: 'rate', title: 'requests/s', series: [
      { label: 'all', stroke: '#2b6cb0', pick: (p) => p.requests / POINT_SECONDS },
      { label: '5xx', stroke: COLORS.failed, pick: (p) => p.errors / POINT_SECONDS },
    ] },
    { key: 'p95', title: 'p95 latency (ms)', series: [{ label: 'p95', stroke: '#6b46c1', pick: (p) => (p.p95Seconds == null ? null : p.p95Seconds * 1000) }] },
    { key: 'memory', title: 'memory (MiB)', series: [{ label: 'memory', stroke: '#2c7a7b', pick: (p) => (p.memoryBytes == null ? null : p.memoryBytes / 1048576) }] },
    { key: 'cpu', title: 'CPU (% of a core)', series: [{ label: 'cpu', stroke: '#975a16', pick: (p) => p.cpuPercent }] },
  ];

  // The marks of a service: its releases (live or failed) and its restarts.
  function marksOf(path, points) {
    const marks = [];
    for (const r of releases.get(path) || []) {
      if (r.outcome === 'pending') continue;
      marks.push({ t: seconds(r.at), kind: r.outcome === 'failed' ? 'failed' : 'live',
        text: `v${r.number} ${r.outcome === 'failed' ? `failed${r.cause ? `: ${r.cause}` : ''}` : r.serving ? 'live (serving)' : r.outcome} · ${r.changed.join(', ') || 'restart'} · ${r.commit.slice(0, 12)}` });
    }
    for (const p of points) {
      if (p.restarts > 0) marks.push({ t: seconds(p.at), kind: 'restart', text: `${p.restarts} restart${p.restarts === 1 ? '' : 's'}` });
    }
    return marks.sort((a, b) => a.t - b.t);
  }

  // A uPlot plugin: a vertical line at each mark inside the chart's time range.
  function marksPlugin(entry) {
    return {
      hooks: {
        draw: [(u) => {
          const [min, max] = [u.scales.x.min, u.scales.x.max];
          const ctx = u.ctx;
          ctx.save();
          ctx.lineWidth = 2 * devicePixelRatio;
          for (const m of entry.marks) {
            if (m.t < min || m.t > max) continue;
            const x = Math.round(u.valToPos(m.t, 'x', true));
            ctx.strokeStyle = COLORS[m.kind];
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          }
          ctx.restore();
        }],
      },
    };
  }

  function dataOf(chart, points) {
    return [points.map((p) => seconds(p.at)), ...chart.series.map((s) => points.map((p) => { const v = s.pick(p); return v == null ? null : Number(v.toFixed(3)); }))];
  }

  function build(path) {
    const el = document.createElement('div');
    el.className = 'svc-metrics';
    el.dataset.path = path;
    const h = document.createElement('h3');
    h.textContent = path;
    const row = document.createElement('div');
    row.className = 'row';
    const timeline = document.createElement('ol');
    timeline.className = 'timeline';
    el.append(h, row);
    const entry = { el, plots: [], timeline, marks: [] };
    for (const chart of CHARTS) {
      const box = document.createElement('div');
      box.className = 'chart';
      box.dataset.metric = chart.key;
      row.append(box);
      const u = new uPlot({
        title: chart.title, width: 300, height: 140,
        // Always the last hour, whatever the points cover.
        scales: { x: { time: true, range: () => { const now = Date.now() / 1000; return [now - 3600, now]; } } },
        series: [{}, ...chart.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, spanGaps: false }))],
        axes: [{ space: 60 }, { size: 44 }],
        legend: { show: false },
        plugins: [marksPlugin(entry)],
      }, dataOf(chart, []), box);
      entry.plots.push({ u, chart, box });
    }
    row.append(timeline);
    return entry;
  }

  function renderTimeline(entry) {
    entry.timeline.textContent = '';
    for (const m of [...entry.marks].reverse().slice(0, 10)) {
      const li = document.createElement('li');
      li.className = m.kind;
      const time = document.createElement('time');
      time.textContent = hhmmss(m.t);
      li.append(time, document.createTextNode(m.text));
      entry.timeline.append(li);
    }
    if (!entry.marks.length) { const li = document.createElement('li'); li.textContent = 'no releases or restarts yet'; entry.timeline.append(li); }
  }

  function render(services) {
    if (root.querySelector('.empty') && services.some((s) => s.points.some((p) => p.requests > 0 || p.memoryBytes != null))) root.textContent = '';
    const seen = new Set();
    for (const s of services) {
      // A service with nothing to draw yet (no container, no request) gets no card.
      if (!charts.has(s.path) && !s.points.some((p) => p.requests > 0 || p.memoryBytes != null)) continue;
      seen.add(s.path);
      let entry = charts.get(s.path);
      if (!entry) { entry = build(s.path); charts.set(s.path, entry); root.append(entry.el); }
      entry.lastPoints = s.points;
      entry.marks = marksOf(s.path, s.points);
      for (const p of entry.plots) p.u.setData(dataOf(p.chart, s.points));
      renderTimeline(entry);
      // For a reader (and the browser test): how much is drawn.
      entry.el.dataset.points = String(s.points.length);
      entry.el.dataset.requests = String(s.points.reduce((n, p) => n + p.requests, 0));
      entry.el.dataset.marks = String(entry.marks.length);
    }
    for (const [path, entry] of charts) {
      if (!seen.has(path)) { for (const p of entry.plots) p.u.destroy(); entry.el.remove(); charts.delete(path); }
    }
  }

  async function load() {
    try {
      const res = await fetch('../api/metrics', { credentials: 'same-origin' });
      if (res.ok) render((await res.json()).services);
    } catch { /* offline: the next round */ }
  }

  window.starphleetMetrics = {
    /** The release history from app.js: marks are redrawn at once. */
    releases(list) {
      releases = new Map(list.map((s) => [s.path, s.releases]));
      for (const [path, entry] of charts) {
        const points = entry.lastPoints || [];
        entry.marks = marksOf(path, points);
        entry.el.dataset.marks = String(entry.marks.length);
        renderTimeline(entry);
        for (const p of entry.plots) p.u.redraw(false);
      }
    },
    load,
  };
  load();
  setInterval(load, POINT_SECONDS * 1000);
})();
