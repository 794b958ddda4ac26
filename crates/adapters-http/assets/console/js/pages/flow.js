// Webhook flow view: one payment from creation to merchant notification, built from its audit
// log and its deliveries (every attempt), refreshed every second while the page is open.
// Signed in, it reads the admin API (a merchant user: its own payments, and of the deliveries only
// the notifications sent to it); otherwise it signs merchant requests with the sandbox
// credentials (audit log only).
import { admin, adminRaw, merchant, session } from '../api.js';
import { can, isMerchantRole } from '../roles.js';
import { merchantLabel } from '../names.js';
import {
  h, card, field, input, button, facts, statusBadge, fmtAmount, fmtTime, fmtClock, badge, link, clear,
  balance, moneyFacts, cancelsTable, cancelForm,
} from '../ui.js';

const REFRESH_MS = 1000;

async function load(key) {
  if (session.signedIn()) {
    const [payment, logs, deliveries] = await Promise.all([
      admin('GET', `/admin/api/payments/${key}`),
      admin('GET', `/admin/api/payments/${key}/logs`),
      admin('GET', `/admin/api/deliveries?paymentKey=${key}&limit=100`),
    ]);
    return { payment, logs: logs.data, deliveries: deliveries.data, acquirer: !isMerchantRole(), source: 'admin API' };
  }
  const creds = session.merchant();
  const [p, l] = await Promise.all([
    merchant(creds, { method: 'GET', path: `/api/payments/${key}` }),
    merchant(creds, { method: 'GET', path: `/api/payments/${key}/logs` }),
  ]);
  if (!p.response.ok) throw new Error((p.response.json && p.response.json.detail) || `HTTP ${p.response.status}`);
  return { payment: p.response.json, logs: (l.response.json && l.response.json.data) || [], deliveries: null, acquirer: false, source: 'merchant API (sign in to see deliveries)' };
}

function stage(name, state, text) {
  return h('div', { class: `stage ${state}`, 'data-stage': name, 'data-state': state },
    h('div', { class: 'name', text: name }), h('div', { class: 'state', text }));
}

/** The five stages of docs/flow.md, from what is known. */
function stages({ payment, logs, deliveries, acquirer }) {
  const byAction = (a) => logs.filter((l) => l.action === a);
  const requests = deliveries && acquirer ? deliveries.filter((d) => d.kind === 'ACQUIRER_REQUEST') : null;
  const notes = deliveries ? deliveries.filter((d) => d.kind === 'MERCHANT_NOTIFICATION') : null;
  const out = [];
  out.push(byAction('CREATE').length ? stage('Created', 'done', fmtClock(byAction('CREATE')[0].createdAt)) : stage('Created', 'waiting', '…'));

  if (requests === null) {
    const failed = byAction('ACQUIRER_REQUEST_FAILED').length;
    out.push(stage('Sent to acquirer', failed ? 'waiting' : 'unknown', failed ? `${failed} failed attempt(s)` : 'the acquirer traffic is the platform\'s'));
  } else if (requests.some((d) => d.status === 'DELIVERED')) {
    const d = requests.find((x) => x.status === 'DELIVERED');
    const ok = d.attempts[d.attempts.length - 1];
    out.push(stage('Sent to acquirer', 'done', `${d.attemptCount} attempt(s), HTTP ${ok ? ok.statusCode : '?'}`));
  } else if (requests.some((d) => d.status === 'DEAD')) {
    out.push(stage('Sent to acquirer', 'failed', 'gave up (ACQUIRER_UNAVAILABLE)'));
  } else {
    const n = requests.reduce((a, d) => a + d.attemptCount, 0);
    out.push(stage('Sent to acquirer', 'waiting', n ? `retrying (${n} attempt(s))` : 'queued'));
  }

  const fromAcquirer = logs.filter((l) => l.actor === 'ACQUIRER');
  out.push(fromAcquirer.length
    ? stage('Webhook received', 'done', `${fromAcquirer.length} webhook(s)${fromAcquirer.some((l) => l.action === 'WEBHOOK_DUPLICATE') ? ', incl. duplicates' : ''}`)
    : stage('Webhook received', payment.status === 'READY' ? 'waiting' : 'skipped', payment.status === 'READY' ? 'waiting for the acquirer' : 'none'));

  const approve = byAction('APPROVE')[0];
  const fail = byAction('FAIL')[0];
  if (approve) out.push(stage('Approved', 'done', fmtClock(approve.createdAt)));
  else if (fail) out.push(stage('Approved', 'failed', `FAILED ${payment.failureCode || ''}`));
  else if (payment.status === 'READY') out.push(stage('Approved', 'waiting', 'READY'));
  else out.push(stage('Approved', 'skipped', payment.status));

  if (notes === null) {
    out.push(stage('Merchant notified', 'unknown', 'deliveries need a sign-in'));
  } else if (notes.length === 0) {
    out.push(stage('Merchant notified', payment.status === 'READY' ? 'waiting' : 'skipped', payment.status === 'READY' ? 'after the outcome' : 'no notification (no returnUrl?)'));
  } else {
    const delivered = notes.filter((d) => d.status === 'DELIVERED').length;
    const dead = notes.filter((d) => d.status === 'DEAD').length;
    const state = dead ? 'failed' : delivered === notes.length ? 'done' : 'waiting';
    out.push(stage('Merchant notified', state, `${delivered}/${notes.length} delivered${dead ? `, ${dead} dead` : ''}`));
  }
  return h('div', { class: 'stages', 'data-testid': 'stages' }, out);
}

function timeline({ logs, deliveries }) {
  const items = [];
  for (const l of logs) {
    const bad = l.action === 'FAIL' || l.action.startsWith('WEBHOOK_REJECTED') || l.action === 'ACQUIRER_REQUEST_FAILED' || l.action === 'CANCEL_FAILED';
    items.push({
      at: l.createdAt,
      cls: bad ? 'ev-bad' : 'ev-audit',
      what: h('span', {}, badge('audit', 'audit'), ' ', h('strong', { text: l.action }), ' ',
        l.fromStatus ? statusBadge(l.fromStatus) : null, l.fromStatus ? ' → ' : ' ', statusBadge(l.status), ` by ${l.actor}`),
      detail: [l.details, l.requestId ? `requestId ${l.requestId}` : null].filter(Boolean).join(' · '),
      testid: `audit-${l.action}`,
    });
  }
  for (const d of deliveries || []) {
    for (const a of d.attempts) {
      const ok = a.statusCode >= 200 && a.statusCode < 300;
      items.push({
        at: a.startedAt,
        cls: ok ? 'ev-ok' : 'ev-bad',
        what: h('span', {}, badge('attempt', 'attempt'), ' ', h('strong', { text: `${d.kind}${d.eventType ? ` ${d.eventType}` : ''}` }), ` #${a.attemptNo} → `,
          a.statusCode ? badge(`HTTP ${a.statusCode}`, ok ? 'ok' : 'error') : badge(a.error || 'error', 'error'), ` ${a.latencyMs} ms`),
        detail: `${d.targetUrl}${a.responseExcerpt ? ` · ${a.responseExcerpt.slice(0, 160)}` : ''}`,
        testid: `attempt-${d.kind}`,
      });
    }
    if (d.status === 'PENDING' && d.nextAttemptAt) {
      items.push({ at: d.nextAttemptAt, cls: '', what: h('span', {}, badge('next', 'pending'), ` ${d.kind} attempt scheduled`), detail: d.lastError || '', testid: 'scheduled' });
    }
  }
  items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return h('ol', { class: 'timeline', 'data-testid': 'timeline' }, items.map((i) => h('li', { class: i.cls, 'data-testid': i.testid },
    h('span', { class: 'when', text: fmtClock(i.at) }), h('span', { class: 'what' }, i.what),
    i.detail ? h('div', { class: 'detail', text: i.detail }) : null)));
}

export function render(main, key) {
  const keyInput = input({ value: key || '', placeholder: 'payment key (64 hex characters)', 'data-testid': 'flow-key' });
  const go = () => { location.hash = `#/flow/${keyInput.value.trim()}`; };
  keyInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
  main.append(h('div', { class: 'page-title' }, h('h1', { text: 'Webhook flow' }),
    h('span', { class: 'muted', text: 'created → sent to acquirer → webhook received → approved → merchant notified' })));
  main.append(card(null, h('div', { class: 'row' }, field('Payment key', keyInput), button('Show', go))));
  if (!key) {
    main.append(card(null, h('p', { class: 'muted', text: 'Enter a payment key, or open one from the sandbox, the payment search or the live log.' })));
    return undefined;
  }
  const summary = h('div', { 'data-testid': 'flow-summary' }, h('p', { class: 'muted', text: 'Loading…' }));
  const stageBox = h('div');
  const money = h('div', { class: 'stack', 'data-testid': 'flow-cancels' });
  const tl = h('div');
  const status = h('span', { class: 'small muted' });
  // Signed in, a role that may cancel does it through the back office (on the merchant's behalf,
  // or a merchant user's own); a read-only role gets no form. Signed out, the sandbox's
  // credentials sign the merchant's own cancel.
  const viaAdmin = session.signedIn();
  const cancel = viaAdmin && !can('cancel') ? null : cancelForm({
    label: viaAdmin ? (isMerchantRole() ? 'Cancel' : 'Cancel on the merchant\'s behalf') : 'Cancel (signed as the merchant)',
    send: async (body) => (viaAdmin
      ? adminRaw('POST', `/admin/api/payments/${key}/cancel`, body)
      : (await merchant(session.merchant(), { method: 'POST', path: `/api/payments/${key}/cancel`, body: JSON.stringify(body) })).response),
  }); // the next refresh (within a second) shows what the cancel changed
  main.append(card('Payment', summary), card('Stages', stageBox),
    card('Cancels and balance', money, cancel ? h('h3', { text: viaAdmin ? 'Cancel  ·  POST /admin/api/payments/{key}/cancel' : 'Cancel  ·  POST /api/payments/{key}/cancel' }) : null, cancel ? cancel.el : null),
    card('Timeline', h('div', { class: 'row' }, status), tl));

  let stopped = false;
  let timer = null;
  const refresh = async () => {
    try {
      const data = await load(key);
      if (stopped) return;
      const p = data.payment;
      summary.replaceChildren(facts([
        ['status', h('span', { 'data-testid': 'flow-status' }, statusBadge(p.status))],
        ['paymentKey', h('code', { text: p.paymentKey })],
        ['merchant', session.signedIn() && !isMerchantRole() ? merchantLabel(p.clientId) : h('code', { text: p.clientId })],
        ['order / amount', `${p.orderNo} · ${fmtAmount(p.amount, p.currency)}`],
        ['transactionId', p.transactionId],
        ['created / approved', `${fmtTime(p.createdAt)} / ${fmtTime(p.approvedAt)}`],
        p.failureCode ? ['failure', `${p.failureCode} ${p.failureMessage || ''}`] : null,
        p.cancelReason ? ['cancelReason', p.cancelReason] : null,
        ...moneyFacts(p),
        ['links', h('span', {}, session.signedIn() ? link(`#/payments/${p.paymentKey}`, 'payment detail') : null)],
      ]));
      stageBox.replaceChildren(stages(data));
      money.replaceChildren(balance(p), cancelsTable(p));
      if (cancel) cancel.update(p);
      tl.replaceChildren(timeline(data));
      status.textContent = `refreshed ${new Date().toLocaleTimeString(undefined, { hour12: false })} from the ${data.source}; every ${REFRESH_MS / 1000} s`;
    } catch (e) {
      if (stopped) return;
      clear(summary).append(h('p', { class: 'problem', text: e.message }));
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  };
  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
