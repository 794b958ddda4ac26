// Live log: GET /admin/api/events (Server-Sent Events) — audit rows and delivery attempts of
// every merchant as any instance writes them. Filterable and pausable. EventSource cannot send
// headers, so the admin token goes in ?token= (accepted on this endpoint only).
import { session } from '../api.js';
import { adminGate } from '../gate.js';
import { h, card, field, input, select, button, badge, statusBadge, fmtClock, shortKey, link, clear } from '../ui.js';

const MAX_ROWS = 500;

function summary(type, d) {
  if (type === 'audit') {
    return h('span', {}, h('strong', { text: d.action }), ' ', d.fromStatus ? statusBadge(d.fromStatus) : null, d.fromStatus ? ' → ' : '', statusBadge(d.status),
      ` by ${d.actor} · `, link(`#/flow/${d.paymentKey}`, shortKey(d.paymentKey)), ` · ${d.clientId}`,
      d.details ? h('span', { class: 'muted', text: ` · ${d.details}` }) : null);
  }
  const ok = d.success;
  return h('span', {}, h('strong', { text: d.kind }), d.eventType ? ` ${d.eventType}` : '', ` #${d.attemptNo} → `,
    d.statusCode ? badge(`HTTP ${d.statusCode}`, ok ? 'ok' : 'error') : badge(d.error || 'error', 'error'), ` ${d.latencyMs} ms`,
    d.paymentKey ? h('span', {}, ' · ', link(`#/flow/${d.paymentKey}`, shortKey(d.paymentKey))) : null,
    h('span', { class: 'muted', text: ` · ${d.targetUrl}` }));
}

function page(main) {
  const kind = select([['', 'audit rows and attempts'], ['audit', 'audit rows only'], ['attempt', 'delivery attempts only']], { 'data-testid': 'live-kind' });
  const text = input({ placeholder: 'payment key, client id, action, status…', 'data-testid': 'live-filter' });
  const conn = h('span', { class: 'conn', 'data-testid': 'live-conn', text: 'connecting' });
  const counter = h('span', { class: 'small muted' });
  const log = h('div', { class: 'log', 'data-testid': 'live-log' });
  let paused = false;
  let buffer = [];
  let total = 0;
  const pauseBtn = button('Pause', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? `Resume (${buffer.length} new)` : 'Pause';
    if (!paused) { buffer.forEach(show); buffer = []; }
  }, { class: 'secondary', 'data-testid': 'live-pause' });

  const matches = (row) => (!kind.value || row.dataset.type === kind.value)
    && (!text.value.trim() || row.dataset.search.includes(text.value.trim().toLowerCase()));
  const applyFilter = () => { for (const r of log.children) r.hidden = !matches(r); };
  kind.addEventListener('change', applyFilter);
  text.addEventListener('input', applyFilter);

  function show(ev) {
    const row = h('div', { class: 'log-row', dataset: { type: ev.type, search: JSON.stringify(ev.data).toLowerCase() }, 'data-testid': `live-${ev.type}` },
      h('span', { class: 't', text: fmtClock(ev.type === 'audit' ? ev.data.createdAt : ev.data.startedAt) }),
      h('span', {}, badge(ev.type, ev.type)), h('span', {}, summary(ev.type, ev.data)));
    row.hidden = !matches(row);
    log.prepend(row);
    while (log.children.length > MAX_ROWS) log.lastElementChild.remove();
  }

  // With a session, the browser's EventSource sends the cookie itself.
  const url = session.adminToken() ? `/admin/api/events?token=${encodeURIComponent(session.adminToken())}` : '/admin/api/events';
  const source = new EventSource(url);
  source.addEventListener('open', () => { conn.className = 'conn open'; conn.textContent = 'live'; });
  source.addEventListener('error', () => { conn.className = 'conn error'; conn.textContent = 'reconnecting…'; });
  source.addEventListener('ready', (e) => { conn.className = 'conn open'; conn.textContent = `live from position ${JSON.parse(e.data).position}`; });
  for (const type of ['audit', 'attempt']) {
    source.addEventListener(type, (e) => {
      total += 1;
      counter.textContent = `${total} event(s) received`;
      const ev = { type, data: JSON.parse(e.data) };
      if (paused) {
        buffer.push(ev);
        pauseBtn.textContent = `Resume (${buffer.length} new)`;
      } else show(ev);
    });
  }

  main.append(h('div', { class: 'page-title' }, h('h1', { text: 'Live log' }),
    h('span', { class: 'muted', text: 'GET /admin/api/events — every merchant, every instance, as it happens' })));
  main.append(card(null,
    h('div', { class: 'row' }, field('show', kind), field('filter', text), pauseBtn,
      button('Clear', () => clear(log), { class: 'secondary' }), h('span', { class: 'spacer' }), conn, counter),
    h('p', { class: 'muted small', text: 'Newest first; the last 500 events are kept. Events arrive from the moment this page opened.' }),
    log));
  return () => source.close();
}

export function render(main) {
  let cleanup;
  adminGate(main, (m) => { cleanup = page(m); });
  return () => { if (cleanup) cleanup(); };
}
