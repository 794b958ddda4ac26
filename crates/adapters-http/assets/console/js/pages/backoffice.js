// Back office: payment search (with a CSV export) and detail, deliveries with manual retry, for
// every signed-in role as far as it may go: a merchant user sees its own merchant only (the
// server narrows every answer), a read-only role gets no cancel and no retry buttons, and the
// platform sees each merchant's name beside its client id. Merchants: merchants.js; statistics:
// stats.js.
import { admin, adminRaw, query } from '../api.js';
import { adminGate } from '../gate.js';
import { can, isMerchantRole } from '../roles.js';
import { merchantLabel } from '../names.js';
import {
  h, card, field, input, select, button, actionButton, toast, table, facts, statusBadge, badge,
  fmtTime, fmtAmount, shortKey, link, STATUSES, isoFromLocal, balance, moneyFacts,
  cancelsTable, cancelForm, pager, pageTitle, hashQuery,
} from '../ui.js';

export const KINDS = ['MERCHANT_NOTIFICATION', 'ACQUIRER_REQUEST', 'ACQUIRER_CANCEL', 'ACQUIRER_CAPTURE', 'ACQUIRER_WEBHOOK'];

/** Deliveries with their attempts; `withMerchant` adds the merchant column (platform lists). */
export function deliveriesTable(deliveries, onChange, withMerchant) {
  return table([
    { label: 'kind', render: (d) => h('span', {}, h('strong', { text: d.kind }), d.eventType ? h('div', { class: 'small muted', text: d.eventType }) : null) },
    withMerchant ? { label: 'merchant', render: (d) => (d.clientId ? merchantLabel(d.clientId) : '—') } : null,
    { label: 'status', render: (d) => h('span', { 'data-testid': 'delivery-status-badge' }, badge(d.status, d.status)) },
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
    can('retry') ? { label: '', render: (d) => (d.status === 'PENDING' ? h('span', { class: 'muted small', text: 'scheduled' }) : actionButton('Retry now', async () => {
      await admin('POST', `/admin/api/deliveries/${d.deliveryId}/retry`);
      toast('Redelivery queued', 'ok');
      if (onChange) onChange();
    }, { class: 'small', 'data-testid': 'retry-delivery' })) } : null,
  ].filter(Boolean), deliveries, { 'data-testid': 'deliveries-table' });
}

// ---------------------------------------------------------------------------------------------
// payments

function paymentDetail(main, key) {
  main.append(pageTitle('Payment', key));
  const box = h('div', { class: 'stack' }, h('p', { class: 'muted', text: 'Loading…' }));
  const money = h('div', { class: 'stack' });
  const rest = h('div', { class: 'stack' });
  const platform = !isMerchantRole();
  // Built once, so the outcome of the last cancel stays while the page reloads around it.
  const cancel = can('cancel') ? cancelForm({
    label: platform ? 'Cancel on the merchant\'s behalf' : 'Cancel',
    send: (body) => adminRaw('POST', `/admin/api/payments/${key}/cancel`, body),
    onAnswer: () => load(),
  }) : null;
  const cancelsCard = card('Cancels and balance', money,
    cancel ? h('h3', { text: platform ? 'Cancel on the merchant\'s behalf  ·  POST /admin/api/payments/{key}/cancel' : 'Cancel all or part  ·  POST /admin/api/payments/{key}/cancel' }) : null,
    cancel ? h('p', { class: 'muted small', text: platform ? 'Same body and rules as the merchant\'s own cancel; the audit trail records the actor ADMIN.' : 'The merchant\'s own cancel: the audit trail records the actor MERCHANT and the audit log your account.' }) : null,
    cancel ? cancel.el : null);
  cancelsCard.hidden = true;
  main.append(box, cancelsCard, rest);
  const load = async () => {
    // The payment first: another merchant's (or an unknown) one is its 404, said as such.
    const p = await admin('GET', `/admin/api/payments/${key}`);
    const [logs, deliveries] = await Promise.all([
      admin('GET', `/admin/api/payments/${key}/logs`),
      admin('GET', `/admin/api/deliveries?paymentKey=${key}&limit=100`),
    ]);
    money.replaceChildren(balance(p), cancelsTable(p));
    if (cancel) cancel.update(p);
    cancelsCard.hidden = false;
    box.replaceChildren(
      card('Payment', h('div', { class: 'grid-2' },
        facts([
          ['status', h('span', { 'data-testid': 'detail-status' }, statusBadge(p.status))], ['paymentKey', h('code', { text: p.paymentKey })],
          ['merchant', platform ? merchantLabel(p.clientId) : h('code', { text: p.clientId })],
          ['orderNo', p.orderNo], ['amount', fmtAmount(p.amount, p.currency)], ['method', p.methodCode],
          ['productName', p.productName], ['customerName', p.customerName], ['transactionId', p.transactionId],
        ]),
        facts([
          ['created', fmtTime(p.createdAt)], ['approved', fmtTime(p.approvedAt)], ['completed', fmtTime(p.completedAt)],
          ['canceled', fmtTime(p.canceledAt)], ['failed', fmtTime(p.failedAt)], ['expires', fmtTime(p.expiresAt)],
          ['failure', p.failureCode ? `${p.failureCode} ${p.failureMessage || ''}` : null], ['cancelReason', p.cancelReason],
          ...moneyFacts(p),
          ['', h('span', {}, can('flow') ? link(`#/flow/${p.paymentKey}`, 'webhook flow view →') : null, ' ', button('Refresh', load, { class: 'small secondary' }))],
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
      card(platform ? 'Deliveries' : 'Notifications to your receiver', deliveriesTable(deliveries.data, load, false)));
  };
  load().catch((e) => box.replaceChildren(h('p', { class: 'problem', text: e.message })));
}

/** Downloads `path` (a CSV export) with the console's credentials, as `name`. */
export async function download(path, name) {
  const res = await adminRaw('GET', path);
  if (!res.ok) throw new Error((res.json && res.json.detail) || `HTTP ${res.status}`);
  const url = URL.createObjectURL(new Blob([res.text], { type: 'text/csv' }));
  const a = h('a', { href: url, download: name, class: 'offscreen' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function paymentsPage(main) {
  const q = hashQuery();
  const platform = !isMerchantRole();
  const clientId = input({ placeholder: 'mch_… (all merchants if empty)', value: q.get('clientId') || '', 'data-testid': 'search-client' });
  const status = select([['', 'any'], ...STATUSES], { 'data-testid': 'search-status' });
  status.value = q.get('status') || '';
  const orderNo = input({ placeholder: 'exact orderNo', 'data-testid': 'search-order' });
  const from = h('input', { type: 'datetime-local' });
  const to = h('input', { type: 'datetime-local' });
  const limit = select(['10', '20', '50', '100']);
  limit.value = '20';
  const filters = () => ({
    clientId: platform ? clientId.value.trim() : '', status: status.value, orderNo: orderNo.value.trim(),
    createdFrom: isoFromLocal(from.value), createdTo: isoFromLocal(to.value),
  });
  const results = h('div', { 'data-testid': 'payment-results' });
  const listing = pager(results,
    (after) => admin('GET', `/admin/api/payments${query({ ...filters(), limit: limit.value, startingAfter: after })}`),
    (page) => table([
      { label: 'created', render: (p) => fmtTime(p.createdAt) },
      platform ? { label: 'merchant', render: (p) => merchantLabel(p.clientId) } : null,
      { label: 'order', render: (p) => p.orderNo },
      { label: 'amount', class: 'num', render: (p) => fmtAmount(p.amount, p.currency) },
      { label: 'status', render: (p) => statusBadge(p.status) },
      { label: 'payment', render: (p) => link(`#/payments/${p.paymentKey}`, shortKey(p.paymentKey)) },
      can('flow') ? { label: '', render: (p) => link(`#/flow/${p.paymentKey}`, 'flow') } : null,
    ].filter(Boolean), page.data),
    (p) => p.paymentKey);
  const exportCsv = actionButton('Export CSV', () => download(`/admin/api/payments/export.csv${query(filters())}`, 'payments.csv'),
    { class: 'secondary', 'data-testid': 'export-csv', title: 'GET /admin/api/payments/export.csv with these filters' });
  main.append(pageTitle('Payments', platform ? 'Search every merchant\'s payments' : 'Search your merchant\'s payments'));
  main.append(card(null,
    h('div', { class: 'row' }, platform ? field('clientId', clientId) : null, field('status', status), field('orderNo', orderNo)),
    h('div', { class: 'row' }, field('created from (inclusive)', from), field('created to (exclusive)', to), field('limit', limit),
      actionButton('Search', () => listing.reload(), { 'data-testid': 'search-payments' }), exportCsv)),
    card('Results', results));
  listing.reload().catch((e) => toast(e.message, 'error'));
}

// ---------------------------------------------------------------------------------------------
// deliveries

function deliveriesPage(main) {
  const q = hashQuery();
  const platform = !isMerchantRole();
  const status = select([['', 'any'], 'PENDING', 'DELIVERED', 'DEAD'], { 'data-testid': 'delivery-status' });
  status.value = q.get('status') || '';
  // A merchant's deliveries are the notifications sent to it (api.md §10.5).
  const kind = select([['', 'any'], ...(platform ? KINDS : ['MERCHANT_NOTIFICATION'])], { 'data-testid': 'delivery-kind' });
  const clientId = input({ placeholder: 'mch_…', value: q.get('clientId') || '', 'data-testid': 'delivery-client' });
  const paymentKey = input({ placeholder: 'payment key' });
  const results = h('div', { 'data-testid': 'delivery-results' });
  const listing = pager(results,
    (after) => admin('GET', `/admin/api/deliveries${query({
      status: status.value, kind: kind.value, clientId: platform ? clientId.value.trim() : '', paymentKey: paymentKey.value.trim(), limit: 20, startingAfter: after,
    })}`),
    (page) => deliveriesTable(page.data, () => listing.reload(), platform),
    (d) => d.deliveryId);
  main.append(pageTitle('Deliveries', platform
    ? 'Outbound messages (acquirer requests, merchant notifications, mock webhooks) and every attempt'
    : 'The notifications sent to your receiver, and every attempt'));
  main.append(card(null, h('div', { class: 'row' }, field('status', status), field('kind', kind), platform ? field('clientId', clientId) : null, field('paymentKey', paymentKey),
    actionButton('Search', () => listing.reload(), { 'data-testid': 'search-deliveries' }))), card('Results', results));
  listing.reload().catch((e) => toast(e.message, 'error'));
}

export function payments(main, key) {
  return adminGate(main, (m) => (key ? paymentDetail(m, key) : paymentsPage(m)));
}

export function deliveries(main) {
  return adminGate(main, deliveriesPage);
}
