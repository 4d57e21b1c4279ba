// The phleet dashboard (served by `starphleet dashboard --serve`): one
// server-sent event stream (/api/events) carries `phleet` (every ship's last
// answer, every 2 s) and `log` (each ship's lines, merged). No libraries.
(() => {
  'use strict';
  const MAX_LINES = 2000;
  const $ = (id) => document.getElementById(id);
  const lines = [];
  let filter = null;
  const td = (text, cls) => { const el = document.createElement('td'); el.textContent = text == null ? '' : String(text); if (cls) el.className = cls; return el; };
  const fmtBytes = (n) => n == null ? '' : n < 1048576 ? `${Math.round(n / 1024)} KiB` : `${(n / 1048576).toFixed(1)} MiB`;
  const ms = (s) => s == null ? '' : `${Math.round(s * 1000)} ms`;

  function render(doc) {
    $('phleet').textContent = `phleet ${doc.phleet} · ${doc.ships.filter((s) => s.ok).length} of ${doc.ships.length} ships answering`;
    const ships = $('ships').tBodies[0];
    ships.textContent = '';
    const services = $('services').tBodies[0];
    services.textContent = '';
    for (const s of doc.ships) {
      const tr = document.createElement('tr');
      tr.dataset.ship = s.name;
      tr.append(td(s.name), td(s.target || 'this machine'), td(s.ok ? 'up' : 'UNREACHABLE', `state ${s.ok ? 'state-online' : 'state-failed'}`),
        td(s.status ? `${s.status.ship.headquarters || '-'} @ ${(s.status.ship.hqCommit || 'not fetched').slice(0, 12)}` : ''),
        td(s.status ? s.status.services.length : ''), td(s.checkedAt ? s.checkedAt.slice(11, 19) : ''), td(s.error, 'error'));
      ships.append(tr);
      const metrics = new Map((s.metrics || []).map((m) => [m.path, m]));
      for (const v of (s.status ? s.status.services : [])) {
        const m = metrics.get(v.path);
        const row = document.createElement('tr');
        row.dataset.ship = s.name;
        row.dataset.path = v.path;
        if (!s.ok) row.className = 'stale';
        row.append(td(s.name), td(v.path), td(s.ok ? v.state : `${v.state} (last known)`, `state state-${v.state}`), td(v.release == null ? '' : `v${v.release}`),
          td((v.servingCommit || v.commit || '').slice(0, 12)), td(v.health ? `${v.health.ok ? 'ok' : 'FAIL'} ${v.health.checkedAt.slice(11, 19)}` : ''),
          td(m ? m.requestsPerSecond.toFixed(1) : ''), td(m ? m.errorsPerSecond.toFixed(1) : ''), td(m ? ms(m.p95Seconds) : ''),
          td(fmtBytes(v.memoryBytes)), td(v.restarts), td(v.error, 'error'));
        services.append(row);
      }
    }
  }

  const visible = (r) => { if (!filter) return true; filter.lastIndex = 0; return filter.test(`${r.ship} ${r.service || '-'} ${r.container || '-'} ${r.source} ${r.line}`); };
  function addLine(r) {
    const el = document.createElement('div');
    el.className = r.gap ? 'l-gap' : r.stream === 'stderr' ? 'l-stderr' : `l-${r.source}`;
    el.textContent = `${r.time.slice(11, 23)} ${r.ship} ${r.service || '-'} ${r.container || '-'}${r.process ? ` ${r.process}` : ''} ${r.source}: ${r.line}`;
    el.hidden = !visible(r);
    const log = $('log');
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    lines.push({ r, el });
    log.append(el);
    while (lines.length > MAX_LINES) lines.shift().el.remove();
    if (stick) log.scrollTop = log.scrollHeight;
    $('count').textContent = `${lines.filter((l) => !l.el.hidden).length} of ${lines.length} lines`;
  }
  $('filter').addEventListener('input', () => {
    try { filter = $('filter').value ? new RegExp($('filter').value, 'i') : null; } catch { return; }
    for (const l of lines) l.el.hidden = !visible(l.r);
  });

  const es = new EventSource('api/events');
  es.addEventListener('open', () => { for (const l of lines) l.el.remove(); lines.length = 0; $('conn').textContent = 'live'; $('conn').classList.add('live'); });
  es.addEventListener('error', () => { $('conn').textContent = 'reconnecting'; $('conn').classList.remove('live'); });
  es.addEventListener('phleet', (ev) => render(JSON.parse(ev.data)));
  es.addEventListener('log', (ev) => addLine(JSON.parse(ev.data)));
})();
