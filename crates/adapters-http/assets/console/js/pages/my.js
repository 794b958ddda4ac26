// The merchant dashboard (#/my), where a merchant user lands: its merchant, the figures and
// daily charts of a chosen period, its latest payments and the notifications sent to it, with
// the way to the full pages (payments, deliveries, statistics, integration settings). Every
// answer is the server's, narrowed to the user's merchant.
import { admin, adminRaw, query } from '../api.js';
import { adminGate } from '../gate.js';
import { can, myClientId, role } from '../roles.js';
import { dailyCharts, rate, utcDay } from './stats.js';
import { latestPayouts } from './settlements.js';
import {
  h, card, field, select, table, badge, statusBadge, fmtTime, fmtAmount, shortKey, link, pageTitle, toast,
} from '../ui.js';

const PERIODS = [['7', 'last 7 days'], ['30', 'last 30 days'], ['90', 'last 90 days'], ['', 'all time']];

function tile(label, value, sub, attrs) {
  return h('div', { class: 'tile', ...(attrs || {}) }, h('div', { class: 'label', text: label }),
    h('div', { class: 'value', text: value }), sub ? h('div', { class: 'sub', text: sub }) : null);
}

function narrow(el) {
  el.classList.add('narrow');
  return el;
}

/** The first day of the last `days` UTC days, as <input type=date> would give it. */
function since(days) {
  if (!days) return '';
  const d = new Date();
  d.setUTCDate(d.getUTCDate() - (Number(days) - 1));
  return d.toISOString().slice(0, 10);
}

function figures(s, summary) {
  const t = s.totals;
  const money = Object.entries(t.byCurrency || {});
  return h('div', { class: 'tiles', 'data-testid': 'my-tiles' },
    tile('payments', String(t.count), `${(t.byStatus.COMPLETED || { count: 0 }).count} completed`, { 'data-testid': 'my-count' }),
    tile('approval rate', rate(t.approvalRate), `${t.approved} approved of ${t.decided} decided`, { 'data-testid': 'my-rate', class: 'tile ok' }),
    money.length
      ? money.map(([c, m]) => tile(`net ${c}`, fmtAmount(m.netAmount, ''), `approved ${fmtAmount(m.approvedAmount, c)}, canceled ${fmtAmount(m.canceledAmount, c)}`, { 'data-testid': `my-net-${c}` }))
      : tile('net', '—', 'no approved payments'),
    summary
      ? h('a', { class: `tile tile-link ${summary.dead ? 'bad' : ''}`, href: summary.dead ? '#/deliveries?status=DEAD' : '#/deliveries', 'data-testid': 'my-dead' },
        h('div', { class: 'label', text: 'dead notifications' }), h('div', { class: 'value', text: String(summary.dead) }),
        h('div', { class: 'sub', text: summary.dead ? (can('retry') ? 'open them to retry' : 'your receiver did not accept them') : `${summary.due} due, ${summary.retrying} retrying` }))
      : null);
}

function page(main) {
  const clientId = myClientId();
  const head = h('div', { 'data-testid': 'my-head' }, pageTitle('My merchant', 'Loading…'));
  const period = select(PERIODS, { 'data-testid': 'my-period' });
  period.value = '30';
  const numbers = h('div', { 'data-testid': 'my-figures' }, h('p', { class: 'muted', text: 'Loading…' }));
  const charts = h('div', { 'data-testid': 'my-charts' });
  const recent = h('div', { 'data-testid': 'my-recent-payments' });
  const notes = h('div', { 'data-testid': 'my-deliveries' });
  const payouts = h('div', { 'data-testid': 'my-payouts' });
  main.append(head,
    card('Figures', h('div', { class: 'row' }, narrow(field('period', period)), h('span', { class: 'spacer' }), link('#/stats', 'statistics by any range →')), numbers),
    card('Per day', charts),
    card('Latest payouts', payouts, h('p', { class: 'small' }, link('#/my/payouts', 'all payouts, lines and CSV →'))),
    h('div', { class: 'grid-2' },
      card('Latest payments', recent, h('p', { class: 'small' }, link('#/payments', 'search all payments →'))),
      card('Latest notifications', notes, h('p', { class: 'small' }, link('#/deliveries', 'all deliveries →')))));

  const loadMerchant = async () => {
    const m = await admin('GET', `/admin/api/merchants/${clientId}`);
    head.replaceChildren(
      h('div', { class: 'page-title' }, h('h1', { 'data-testid': 'my-name', text: m.clientName }),
        h('span', { class: 'muted' }, h('code', { 'data-testid': 'my-client-id', text: m.clientId }), ' ', badge(m.status, m.status), ' ', h('code', { text: role() }))),
      h('p', { class: 'small muted' }, 'Notifications go to ', h('code', { text: m.returnUrl || 'nowhere (no returnUrl)' }), ' · ',
        link('#/my/settings', can('editMerchant') ? 'integration settings →' : 'integration →')));
  };
  const loadFigures = async () => {
    const [s, summary] = await Promise.all([
      admin('GET', `/admin/api/stats${query({ from: utcDay(since(period.value)) })}`),
      adminRaw('GET', '/admin/api/deliveries/summary'),
    ]);
    numbers.replaceChildren(figures(s, summary.ok ? summary.json : null));
    charts.replaceChildren(dailyCharts(s));
  };
  const loadLists = async () => {
    const [payments, deliveries] = await Promise.all([
      admin('GET', '/admin/api/payments?limit=8'),
      admin('GET', '/admin/api/deliveries?limit=5'),
    ]);
    recent.replaceChildren(table([
      { label: 'created', render: (p) => fmtTime(p.createdAt) },
      { label: 'order', render: (p) => p.orderNo },
      { label: 'amount', class: 'num', render: (p) => fmtAmount(p.amount, p.currency) },
      { label: 'status', render: (p) => statusBadge(p.status) },
      { label: 'payment', render: (p) => link(`#/payments/${p.paymentKey}`, shortKey(p.paymentKey)) },
    ], payments.data));
    notes.replaceChildren(table([
      { label: 'event', render: (d) => h('span', {}, h('strong', { text: d.eventType || d.kind }), h('div', { class: 'small muted', text: fmtTime(d.createdAt) })) },
      { label: 'status', render: (d) => badge(d.status, d.status) },
      { label: 'attempts', class: 'num', render: (d) => d.attemptCount },
      { label: 'last error', render: (d) => h('span', { class: 'small muted', text: d.lastError || '—' }) },
    ], deliveries.data, { 'data-testid': 'my-deliveries-table' }));
  };
  const fail = (box) => (e) => box.replaceChildren(h('p', { class: 'problem', text: e.message }));
  period.addEventListener('change', () => loadFigures().catch(fail(numbers)));
  loadMerchant().catch((e) => toast(e.message, 'error'));
  loadFigures().catch(fail(numbers));
  loadLists().catch(fail(recent));
  latestPayouts(payouts).catch(fail(payouts));
}

export function render(main) {
  return adminGate(main, page);
}
