// Back office (operator): merchants, payment search and detail, deliveries with manual retry,
// statistics with a chart. Everything goes through the admin API with the bearer token.
import { admin, adminRaw, query, session } from '../api.js';
import { adminGate } from '../gate.js';
import { stackedBars, horizontalBars, STATUS_COLORS } from '../chart.js';
import {
  h, card, field, input, select, button, actionButton, toast, table, facts, statusBadge, badge,
  fmtTime, fmtAmount, shortKey, link, copyButton, STATUSES, isoFromLocal, balance, moneyFacts,
  cancelsTable, cancelForm,
} from '../ui.js';

function title(text, sub) {
  return h('div', { class: 'page-title' }, h('h1', { text }), sub ? h('span', { class: 'muted', text: sub }) : null);
}

/** A paged listing: `fetchPage(after)` → {data, hasMore}; `render(page)` → node. */
function pager(box, fetchPage, render, cursorOf) {
  const cursors = [];
  const load = async (after) => {
    const page = await fetchPage(after);
    box.replaceChildren(render(page), h('div', { class: 'pager' },
      h('span', { class: 'muted small', text: `page ${cursors.length + 1}` }),
      button('First page', () => { cursors.length = 0; load(); }, { class: 'small secondary', disabled: cursors.length === 0 }),
      button('Next page →', () => {
        const next = cursorOf(page.data[page.data.length - 1]);
        cursors.push(next);
        load(next);
      }, { class: 'small', disabled: !page.hasMore, 'data-testid': 'next-page' })));
  };
  return { reload: () => { cursors.length = 0; return load(); } };
}

// ---------------------------------------------------------------------------------------------
// merchants

function secretsBox(m, what) {
  const rows = [];
  if (m.clientSecret) rows.push(['Client secret', m.clientSecret, 'client-secret']);
  if (m.webhookSecret) rows.push(['Webhook secret', m.webhookSecret, 'webhook-secret']);
  return h('div', { class: 'secret-box', 'data-testid': 'secrets' },
    h('strong', { text: `${what} — shown this once only. Copy them now.` }),
    h('div', { class: 'secret' }, h('span', { text: 'Client id' }), h('code', { 'data-testid': 'new-client-id', text: m.clientId }), copyButton(m.clientId)),
    rows.map(([label, value, id]) => h('div', { class: 'secret' }, h('span', { text: label }), h('code', { 'data-testid': `new-${id}`, text: value }), copyButton(value))),
    m.previousWebhookSecretValidUntil ? h('p', { class: 'small', text: `Deliveries carry the old signature too until ${fmtTime(m.previousWebhookSecretValidUntil)}.` }) : null,
    m.clientSecret ? h('div', { class: 'row' }, button('Use in the sandbox', () => {
      session.setMerchant({ clientId: m.clientId, clientSecret: m.clientSecret });
      location.hash = '#/sandbox';
    }, { class: 'secondary', 'data-testid': 'use-in-sandbox' })) : null);
}

function merchantsPage(main) {
  const name = input({ placeholder: 'e.g. Coffee shop', 'data-testid': 'merchant-name' });
  const returnUrl = input({ placeholder: 'https://shop.example/webhooks/pg (optional)', 'data-testid': 'merchant-return-url' });
  const shown = h('div', {});
  const list = h('div', { 'data-testid': 'merchant-table' });
  const listing = pager(list,
    (after) => admin('GET', `/admin/api/merchants${query({ limit: 20, startingAfter: after })}`),
    (page) => table([
      { label: 'client id', render: (m) => h('code', { text: m.clientId }) },
      { label: 'name', render: (m) => m.clientName },
      { label: 'return URL', render: (m) => m.returnUrl || h('span', { class: 'muted', text: 'none (no notifications)' }) },
      { label: 'status', render: (m) => badge(m.status, m.status) },
      { label: 'created', render: (m) => fmtTime(m.createdAt) },
      { label: 'actions', render: (m) => h('div', { class: 'row' },
        actionButton('Rotate secret', async () => {
          if (!confirm(`Rotate the client secret of ${m.clientId}? The old one stops working at once.`)) return;
          const r = await admin('POST', `/admin/api/merchants/${m.clientId}/rotate-secret`);
          shown.replaceChildren(secretsBox(r, 'New client secret'));
        }, { class: 'small secondary' }),
        actionButton('Rotate webhook secret', async () => {
          const r = await admin('POST', `/admin/api/merchants/${m.clientId}/rotate-webhook-secret`);
          shown.replaceChildren(secretsBox(r, 'New webhook secret'));
        }, { class: 'small secondary' }),
        m.status === 'ACTIVE'
          ? actionButton('Deactivate', async () => { await admin('POST', `/admin/api/merchants/${m.clientId}/deactivate`); toast(`${m.clientId} deactivated`); listing.reload(); }, { class: 'small danger' })
          : actionButton('Activate', async () => { await admin('POST', `/admin/api/merchants/${m.clientId}/activate`); toast(`${m.clientId} activated`, 'ok'); listing.reload(); }, { class: 'small' }),
        link(`#/payments?clientId=${m.clientId}`, 'payments')) },
    ], page.data),
    (m) => m.clientId);
  main.append(title('Merchants', 'Register, rotate secrets, activate and deactivate'));
  main.append(card('Register a merchant  ·  POST /admin/api/merchants',
    h('div', { class: 'row' }, field('clientName', name, '1–100 characters'), field('returnUrl', returnUrl, 'where payment notifications are POSTed')),
    h('div', { class: 'row' }, actionButton('Register', async () => {
      const body = { clientName: name.value.trim() };
      if (returnUrl.value.trim()) body.returnUrl = returnUrl.value.trim();
      const m = await admin('POST', '/admin/api/merchants', body);
      shown.replaceChildren(secretsBox(m, `Registered ${m.clientName}`));
      name.value = '';
      toast(`Registered ${m.clientId}`, 'ok');
      listing.reload();
    }, { 'data-testid': 'register-merchant' })),
    shown));
  main.append(card('All merchants', h('div', { class: 'row' }, actionButton('Refresh', () => listing.reload(), { class: 'secondary small' })), list));
  listing.reload().catch((e) => toast(e.message, 'error'));
}

// ---------------------------------------------------------------------------------------------
// payments

function deliveriesTable(deliveries, onChange) {
  return table([
    { label: 'kind', render: (d) => h('span', {}, h('strong', { text: d.kind }), d.eventType ? h('div', { class: 'small muted', text: d.eventType }) : null) },
    { label: 'status', render: (d) => badge(d.status, d.status) },
    { label: 'attempts', render: (d) => h('details', {}, h('summary', {}, `${d.attemptCount} attempt(s)`),
      table([
        { label: '#', render: (a) => a.attemptNo },
        { label: 'started', render: (a) => fmtTime(a.startedAt) },
        { label: 'result', render: (a) => (a.statusCode ? badge(`HTTP ${a.statusCode}`, a.statusCode < 300 ? 'ok' : 'error') : badge(a.error || 'error', 'error')) },
        { label: 'ms', class: 'num', render: (a) => a.latencyMs },
        { label: 'response', render: (a) => h('code', { class: 'small', text: (a.responseExcerpt || '').slice(0, 200) }) },
      ], d.attempts)) },
    { label: 'target', render: (d) => h('code', { class: 'small', text: d.targetUrl }) },
    { label: 'next / last error', render: (d) => h('span', { class: 'small' }, d.nextAttemptAt ? `next ${fmtTime(d.nextAttemptAt)}` : '', d.lastError ? h('div', { class: 'muted', text: d.lastError }) : null) },
    { label: 'created', render: (d) => fmtTime(d.createdAt) },
    { label: '', render: (d) => (d.status === 'PENDING' ? h('span', { class: 'muted small', text: 'scheduled' }) : actionButton('Retry now', async () => {
      await admin('POST', `/admin/api/deliveries/${d.deliveryId}/retry`);
      toast('Redelivery queued', 'ok');
      if (onChange) onChange();
    }, { class: 'small', 'data-testid': 'retry-delivery' })) },
  ], deliveries);
}

function paymentDetail(main, key) {
  main.append(title('Payment', key));
  const box = h('div', { class: 'stack' }, h('p', { class: 'muted', text: 'Loading…' }));
  const money = h('div', { class: 'stack' });
  const rest = h('div', { class: 'stack' });
  // Built once, so the outcome of the last cancel stays while the page reloads around it.
  const cancel = cancelForm({
    label: 'Cancel on the merchant\'s behalf',
    send: (body) => adminRaw('POST', `/admin/api/payments/${key}/cancel`, body),
    onAnswer: () => load(),
  });
  const cancelsCard = card('Cancels and balance', money,
    h('h3', { text: 'Cancel on the merchant\'s behalf  ·  POST /admin/api/payments/{key}/cancel' }),
    h('p', { class: 'muted small', text: 'Same body and rules as the merchant\'s own cancel; the audit trail records the actor ADMIN.' }),
    cancel.el);
  cancelsCard.hidden = true;
  main.append(box, cancelsCard, rest);
  const load = async () => {
    const [p, logs, deliveries] = await Promise.all([
      admin('GET', `/admin/api/payments/${key}`),
      admin('GET', `/admin/api/payments/${key}/logs`),
      admin('GET', `/admin/api/deliveries?paymentKey=${key}&limit=100`),
    ]);
    money.replaceChildren(balance(p), cancelsTable(p));
    cancel.update(p);
    cancelsCard.hidden = false;
    box.replaceChildren(
      card('Payment', h('div', { class: 'grid-2' },
        facts([
          ['status', statusBadge(p.status)], ['paymentKey', h('code', { text: p.paymentKey })], ['merchant', h('code', { text: p.clientId })],
          ['orderNo', p.orderNo], ['amount', fmtAmount(p.amount, p.currency)], ['method', p.methodCode],
          ['productName', p.productName], ['customerName', p.customerName], ['transactionId', p.transactionId],
        ]),
        facts([
          ['created', fmtTime(p.createdAt)], ['approved', fmtTime(p.approvedAt)], ['completed', fmtTime(p.completedAt)],
          ['canceled', fmtTime(p.canceledAt)], ['failed', fmtTime(p.failedAt)], ['expires', fmtTime(p.expiresAt)],
          ['failure', p.failureCode ? `${p.failureCode} ${p.failureMessage || ''}` : null], ['cancelReason', p.cancelReason],
          ...moneyFacts(p),
          ['', h('span', {}, link(`#/flow/${p.paymentKey}`, 'webhook flow view →'), ' ', button('Refresh', load, { class: 'small secondary' }))],
        ]))));
    rest.replaceChildren(
      card('Audit trail', table([
        { label: 'id', class: 'num', render: (l) => l.logId },
        { label: 'time', render: (l) => fmtTime(l.createdAt) },
        { label: 'action', render: (l) => h('strong', { text: l.action }) },
        { label: 'change', render: (l) => h('span', {}, l.fromStatus ? statusBadge(l.fromStatus) : null, l.fromStatus ? ' → ' : '', statusBadge(l.status)) },
        { label: 'actor', render: (l) => l.actor },
        { label: 'details', render: (l) => l.details },
        { label: 'request id', render: (l) => h('code', { class: 'small', text: l.requestId || '' }) },
      ], logs.data, { 'data-testid': 'audit-table' })),
      card('Deliveries', deliveriesTable(deliveries.data, load)));
  };
  load().catch((e) => box.replaceChildren(h('p', { class: 'problem', text: e.message })));
}

function paymentsPage(main) {
  const hashQuery = new URLSearchParams(location.hash.split('?')[1] || '');
  const clientId = input({ placeholder: 'mch_… (all merchants if empty)', value: hashQuery.get('clientId') || '', 'data-testid': 'search-client' });
  const status = select([['', 'any'], ...STATUSES], { 'data-testid': 'search-status' });
  const orderNo = input({ placeholder: 'exact orderNo' });
  const from = h('input', { type: 'datetime-local' });
  const to = h('input', { type: 'datetime-local' });
  const limit = select(['10', '20', '50', '100']);
  limit.value = '20';
  const results = h('div', { 'data-testid': 'payment-results' });
  const listing = pager(results,
    (after) => admin('GET', `/admin/api/payments${query({
      clientId: clientId.value.trim(), status: status.value, orderNo: orderNo.value.trim(),
      createdFrom: isoFromLocal(from.value), createdTo: isoFromLocal(to.value), limit: limit.value, startingAfter: after,
    })}`),
    (page) => table([
      { label: 'created', render: (p) => fmtTime(p.createdAt) },
      { label: 'merchant', render: (p) => h('code', { class: 'small', text: p.clientId }) },
      { label: 'order', render: (p) => p.orderNo },
      { label: 'amount', class: 'num', render: (p) => fmtAmount(p.amount, p.currency) },
      { label: 'status', render: (p) => statusBadge(p.status) },
      { label: 'payment', render: (p) => link(`#/payments/${p.paymentKey}`, shortKey(p.paymentKey)) },
      { label: '', render: (p) => link(`#/flow/${p.paymentKey}`, 'flow') },
    ], page.data),
    (p) => p.paymentKey);
  main.append(title('Payments', 'Search every merchant\'s payments'));
  main.append(card(null,
    h('div', { class: 'row' }, field('clientId', clientId), field('status', status), field('orderNo', orderNo)),
    h('div', { class: 'row' }, field('created from (inclusive)', from), field('created to (exclusive)', to), field('limit', limit),
      actionButton('Search', () => listing.reload(), { 'data-testid': 'search-payments' }))),
    card('Results', results));
  listing.reload().catch((e) => toast(e.message, 'error'));
}

// ---------------------------------------------------------------------------------------------
// deliveries

function deliveriesPage(main) {
  const status = select([['', 'any'], 'PENDING', 'DELIVERED', 'DEAD'], { 'data-testid': 'delivery-status' });
  const kind = select([['', 'any'], 'MERCHANT_NOTIFICATION', 'ACQUIRER_REQUEST', 'ACQUIRER_CANCEL', 'ACQUIRER_CAPTURE', 'ACQUIRER_WEBHOOK']);
  const clientId = input({ placeholder: 'mch_…' });
  const paymentKey = input({ placeholder: 'payment key' });
  const results = h('div', { 'data-testid': 'delivery-results' });
  const listing = pager(results,
    (after) => admin('GET', `/admin/api/deliveries${query({ status: status.value, kind: kind.value, clientId: clientId.value.trim(), paymentKey: paymentKey.value.trim(), limit: 20, startingAfter: after })}`),
    (page) => deliveriesTable(page.data, () => listing.reload()),
    (d) => d.deliveryId);
  main.append(title('Deliveries', 'Outbound messages (acquirer requests, merchant notifications, mock webhooks) and every attempt'));
  main.append(card(null, h('div', { class: 'row' }, field('status', status), field('kind', kind), field('clientId', clientId), field('paymentKey', paymentKey),
    actionButton('Search', () => listing.reload(), { 'data-testid': 'search-deliveries' }))), card('Results', results));
  listing.reload().catch((e) => toast(e.message, 'error'));
}

// ---------------------------------------------------------------------------------------------
// statistics

/** The count of `st` in a figures object (0 for a status it does not list). */
function count(figures, st) {
  return (figures.byStatus[st] || { count: 0 }).count;
}

function rate(r) {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`;
}

function statsPage(main) {
  const from = h('input', { type: 'date' });
  const to = h('input', { type: 'date' });
  const clientId = input({ placeholder: 'all merchants' });
  const body = h('div', { class: 'stack', 'data-testid': 'stats' });
  const day = (v, plus) => {
    if (!v) return '';
    const d = new Date(`${v}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + (plus || 0));
    return d.toISOString();
  };
  const load = async () => {
    const s = await admin('GET', `/admin/api/stats${query({ from: day(from.value), to: day(to.value, 1), clientId: clientId.value.trim() })}`);
    const t = s.totals;
    const tiles = h('div', { class: 'tiles' },
      h('div', { class: 'tile' }, h('div', { class: 'label', text: 'payments' }), h('div', { class: 'value', 'data-testid': 'stats-total', text: String(t.count) })),
      h('div', { class: 'tile ok' }, h('div', { class: 'label', text: 'approval rate' }), h('div', { class: 'value', 'data-testid': 'stats-rate', text: rate(t.approvalRate) }), h('div', { class: 'sub', text: `${t.approved} approved of ${t.decided} decided` })),
      STATUSES.map((st) => {
        const f = t.byStatus[st] || { count: 0, amounts: {} };
        return h('div', { class: 'tile', 'data-testid': `stats-${st}` }, h('div', { class: 'label' }, badge(st, st)), h('div', { class: 'value', text: String(f.count) }),
          h('div', { class: 'sub', text: Object.entries(f.amounts).map(([c, a]) => fmtAmount(a, c)).join(', ') || '—' }));
      }));
    const legend = h('div', { class: 'legend' }, STATUSES.map((st) => h('span', {}, h('i', { class: `swatch sw-${st}` }), st)),
      h('span', {}, '- - approval rate'));
    const chart = s.byDay.length
      ? h('div', { class: 'chart', 'data-testid': 'stats-chart' }, stackedBars({
        title: 'Payments per day (UTC) by status',
        categories: s.byDay.map((d) => d.day.slice(5)),
        series: STATUSES.map((st) => ({ name: st, color: STATUS_COLORS[st], values: s.byDay.map((d) => count(d, st)) })),
        line: { name: 'approval rate', color: '#101828', values: s.byDay.map((d) => d.approvalRate) },
      }), legend)
      : h('p', { class: 'muted', text: 'No payments in this range.' });
    const merchants = s.byMerchant.length
      ? h('div', { class: 'chart' }, horizontalBars(s.byMerchant.slice(0, 20).map((m) => ({
        label: m.clientId.length > 30 ? `${m.clientId.slice(0, 14)}…${m.clientId.slice(-10)}` : m.clientId,
        value: m.count,
        note: `${m.count} · ${rate(m.approvalRate)}`,
        segments: STATUSES.map((st) => ({ name: st, color: STATUS_COLORS[st], value: count(m, st) })),
      }))))
      : null;
    const money = Object.entries(t.byCurrency || {});
    const moneyCard = card('Money (approved payments)', money.length
      ? table([
        { label: 'currency', render: ([c]) => c },
        { label: 'approved', class: 'num', render: ([c, m]) => fmtAmount(m.approvedAmount, c) },
        { label: 'canceled', class: 'num', render: ([c, m]) => fmtAmount(m.canceledAmount, c) },
        { label: 'of which partially', class: 'num', render: ([c, m]) => fmtAmount(m.partiallyCanceledAmount, c) },
        { label: 'net', class: 'num', render: ([c, m]) => h('strong', { 'data-testid': `stats-net-${c}`, text: fmtAmount(m.netAmount, c) }) },
      ], money)
      : h('p', { class: 'muted', text: 'No approved payments in this range.' }),
    h('p', { class: 'small muted', text: 'Net = approved − canceled (SUCCEEDED cancels, whole or partial). PENDING cancels count once they succeed; a payment canceled while READY moved no money.' }));
    const net = (m) => Object.entries(m.byCurrency || {}).map(([c, f]) => fmtAmount(f.netAmount, c)).join(', ') || '—';
    body.replaceChildren(
      card('Totals', tiles, h('p', { class: 'small muted', text: 'Approval rate = payments the acquirer approved (APPROVED, COMPLETED, or CANCELED after approval) / payments it decided (those plus FAILED). READY, EXPIRED and payments canceled before a decision are not decided.' })),
      card('Per day', chart,
        h('details', {}, h('summary', {}, 'Table'), table([
          { label: 'day (UTC)', render: (d) => d.day },
          { label: 'payments', class: 'num', render: (d) => d.count },
          ...STATUSES.map((st) => ({ label: st, class: 'num', render: (d) => count(d, st) })),
          { label: 'approval', class: 'num', render: (d) => rate(d.approvalRate) },
        ], s.byDay))),
      moneyCard,
      card('Per merchant', merchants, table([
        { label: 'merchant', render: (m) => link(`#/payments?clientId=${m.clientId}`, m.clientId) },
        { label: 'payments', class: 'num', render: (m) => m.count },
        ...STATUSES.map((st) => ({ label: st, class: 'num', render: (m) => count(m, st) })),
        { label: 'approval', class: 'num', render: (m) => rate(m.approvalRate) },
        { label: 'net', class: 'num', render: net },
      ], s.byMerchant)));
  };
  main.append(title('Statistics', 'GET /admin/api/stats — counts and amounts per status, approval rate, money per currency (approved, canceled, net), per day and per merchant'));
  main.append(card(null, h('div', { class: 'row' }, field('from (UTC day)', from), field('to (UTC day, inclusive)', to), field('clientId', clientId),
    actionButton('Show', load, { 'data-testid': 'stats-refresh' }))), body);
  load().catch((e) => body.replaceChildren(h('p', { class: 'problem', text: e.message })));
}

export function merchants(main) {
  return adminGate(main, merchantsPage);
}

export function payments(main, key) {
  return adminGate(main, (m) => (key ? paymentDetail(m, key) : paymentsPage(m)));
}

export function deliveries(main) {
  return adminGate(main, deliveriesPage);
}

export function stats(main) {
  return adminGate(main, statsPage);
}

