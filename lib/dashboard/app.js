// The ship dashboard: one server-sent event stream (/starphleet/api/events)
// carries `status` (every second) and `log` (every new line); the charts are
// metrics.js's (uPlot).
(() => {
  'use strict';
  const MAX_LINES = 2000;
  const lines = [];           // { rec, el }
  const $ = (id) => document.getElementById(id);
  const logEl = $('log');
  let filter = null;

  const fmtSeconds = (n) => n == null ? '' : n < 60 ? `${n}s` : n < 3600 ? `${Math.floor(n / 60)}m${String(n % 60).padStart(2, '0')}s` : `${Math.floor(n / 3600)}h${String(Math.floor(n % 3600 / 60)).padStart(2, '0')}m`;
  const fmtBytes = (n) => n == null ? '' : n < 1048576 ? `${Math.round(n / 1024)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
  const td = (text, cls) => { const el = document.createElement('td'); el.textContent = text == null ? '' : String(text); if (cls) el.className = cls; return el; };

  function renderStatus(doc) {
    $('ship').textContent = `${doc.ship.root} · headquarters ${doc.ship.headquarters || '-'} @ ${(doc.ship.hqCommit || 'not fetched').slice(0, 12)}`;
    const body = $('services').tBodies[0];
    body.textContent = '';
    for (const s of doc.services) {
      const tr = document.createElement('tr');
      tr.dataset.path = s.path;
      tr.append(
        td(s.path),
        td(s.state, `state state-${s.state}`),
        td(s.release == null ? '' : `v${s.release}`),
        td((s.servingCommit || s.commit || '').slice(0, 12)),
        td((s.processes || []).map((p) => `${p.type}.${p.instance} ${p.state}${p.restarts ? ` (${p.restarts} restarts)` : ''}`).join(', ') || s.container),
        td(s.health ? `${s.health.ok ? 'ok' : 'FAIL'} ${s.health.checkedAt.slice(11, 19)}` : ''),
        td(fmtSeconds(s.uptimeSeconds)),
        td(fmtBytes(s.memoryBytes)),
        td(s.restarts),
        td(s.error, 'error'),
      );
      body.append(tr);
    }
    const sel = $('service');
    const have = new Set([...sel.options].map((o) => o.value));
    for (const s of doc.services) {
      if (!have.has(s.path)) { const o = document.createElement('option'); o.value = o.textContent = s.path; sel.append(o); }
    }
  }

  // The release history (GET ../api/releases), every 5 s: newest first per service.
  async function loadReleases() {
    try {
      const res = await fetch('../api/releases', { credentials: 'same-origin' });
      if (!res.ok) return;
      const body = $('releases').tBodies[0];
      body.textContent = '';
      const services = (await res.json()).services;
      window.starphleetMetrics?.releases(services);
      for (const s of services) {
        for (const r of [...s.releases].reverse()) {
          const tr = document.createElement('tr');
          tr.append(td(s.path), td(`v${r.number}`), td(r.commit.slice(0, 12)), td(r.at.slice(0, 19).replace('T', ' ')),
            td(r.changed.join(', ')), td(r.serving ? 'serving' : `${r.outcome}${r.cause ? `: ${r.cause}` : ''}`, r.outcome === 'failed' ? 'error' : ''));
          body.append(tr);
        }
      }
    } catch { /* offline: the next round */ }
  }
  loadReleases();
  setInterval(loadReleases, 5000);

  function visible(rec) {
    const svc = $('service').value;
    if (svc && rec.service !== svc) return false;
    if (filter) { filter.lastIndex = 0; return filter.test(`${rec.service || '-'} ${rec.container || '-'} ${rec.process || ''} ${rec.source} ${rec.line}`); }
    return true;
  }

  function lineEl(rec) {
    const el = document.createElement('div');
    el.className = rec.gap ? 'l-gap' : rec.stream === 'stderr' ? 'l-stderr' : `l-${rec.source}`;
    el.textContent = `${rec.time.slice(11, 23)} ${rec.service || '-'} ${rec.container || '-'}${rec.process ? ` ${rec.process}` : ''} ${rec.source}${rec.stream === 'stderr' ? '/stderr' : ''}: ${rec.line}`;
    return el;
  }

  function addLine(rec) {
    const el = lineEl(rec);
    el.hidden = !visible(rec);
    lines.push({ rec, el });
    const stick = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 4;
    logEl.append(el);
    while (lines.length > MAX_LINES) lines.shift().el.remove();
    if (stick && !$('pause').checked) logEl.scrollTop = logEl.scrollHeight;
    updateCount();
  }

  function updateCount() {
    const shown = lines.filter((l) => !l.el.hidden).length;
    $('count').textContent = `${shown} of ${lines.length} lines`;
  }

  function refilter() {
    const text = $('filter').value;
    try {
      filter = text ? new RegExp(text, 'i') : null;
      $('filter').setCustomValidity('');
    } catch (err) {
      $('filter').setCustomValidity(err.message);
      return;
    }
    for (const l of lines) l.el.hidden = !visible(l.rec);
    if (!$('pause').checked) logEl.scrollTop = logEl.scrollHeight;
    updateCount();
  }
  $('filter').addEventListener('input', refilter);
  $('service').addEventListener('change', refilter);

  function connect() {
    const es = new EventSource('../api/events?lines=200');
    // Every (re)connection starts with the tail again: start the view over.
    es.addEventListener('open', () => { for (const l of lines) l.el.remove(); lines.length = 0; $('conn').textContent = 'live'; $('conn').classList.add('live'); });
    es.addEventListener('error', () => { $('conn').textContent = 'reconnecting'; $('conn').classList.remove('live'); });
    es.addEventListener('status', (ev) => renderStatus(JSON.parse(ev.data)));
    es.addEventListener('log', (ev) => addLine(JSON.parse(ev.data)));
    return es;
  }
  connect();
})();
