// Statistics (GET /admin/api/stats): totals, the money per currency, per-day charts (payments by
// status with the approval rate, and the approved volume) and, for the platform, per merchant.
// A merchant user's figures are its merchant's (the server narrows them); `statsBlocks` is also
// the merchant dashboard's.
import { admin, query } from '../api.js';
import { adminGate } from '../gate.js';
import { isMerchantRole } from '../roles.js';
import { merchantLabel } from '../names.js';
import { stackedBars, horizontalBars, compact, STATUS_COLORS } from '../chart.js';
import { h, card, field, input, actionButton, table, badge, fmtAmount, STATUSES, pageTitle } from '../ui.js';

/** The count of `st` in a figures object (0 for a status it does not list). */
function count(figures, st) {
  return (figures.byStatus[st] || { count: 0 }).count;
}

export function rate(r) {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(1)}%`;
}

export function totalsTiles(t) {
  return h('div', { class: 'tiles' },
    h('div', { class: 'tile' }, h('div', { class: 'label', text: 'payments' }), h('div', { class: 'value', 'data-testid': 'stats-total', text: String(t.count) })),
    h('div', { class: 'tile ok' }, h('div', { class: 'label', text: 'approval rate' }), h('div', { class: 'value', 'data-testid': 'stats-rate', text: rate(t.approvalRate) }), h('div', { class: 'sub', text: `${t.approved} approved of ${t.decided} decided` })),
    STATUSES.map((st) => {
      const f = t.byStatus[st] || { count: 0, amounts: {} };
      return h('div', { class: 'tile', 'data-testid': `stats-${st}` }, h('div', { class: 'label' }, badge(st, st)), h('div', { class: 'value', text: String(f.count) }),
        h('div', { class: 'sub', text: Object.entries(f.amounts).map(([c, a]) => fmtAmount(a, c)).join(', ') || '—' }));
    }));
}

function currencies(s) {
  return Object.keys((s.totals && s.totals.byCurrency) || {});
}

/** Per day: payments by status with the approval rate, and the approved volume per currency. */
export function dailyCharts(s) {
  if (!s.byDay.length) return h('p', { class: 'muted', 'data-testid': 'stats-no-days', text: 'No payments in this range.' });
  const legend = h('div', { class: 'legend' }, STATUSES.map((st) => h('span', {}, h('i', { class: `swatch sw-${st}` }), st)),
    h('span', {}, '- - approval rate'));
  const days = s.byDay.map((d) => d.day.slice(5));
  const rates = { name: 'approval rate', color: '#101828', values: s.byDay.map((d) => d.approvalRate) };
  const volume = currencies(s).map((c) => h('div', { class: 'chart', 'data-testid': `stats-volume-${c}` },
    h('h3', { text: `Approved volume per day (${c}) and approval rate` }),
    stackedBars({
      title: `Approved volume per day, ${c}`,
      categories: days,
      series: [{ name: `approved ${c}`, color: STATUS_COLORS.APPROVED, values: s.byDay.map((d) => ((d.byCurrency || {})[c] || {}).approvedAmount || 0) }],
      line: rates,
      fmt: compact,
    })));
  return h('div', { class: 'grid-2 charts' },
    h('div', { class: 'chart', 'data-testid': 'stats-chart' }, h('h3', { text: 'Payments per day (UTC) by status and approval rate' }), stackedBars({
      title: 'Payments per day (UTC) by status',
      categories: days,
      series: STATUSES.map((st) => ({ name: st, color: STATUS_COLORS[st], values: s.byDay.map((d) => count(d, st)) })),
      line: rates,
    }), legend),
    volume);
}

function moneyCard(t) {
  const money = Object.entries(t.byCurrency || {});
  return card('Money (approved payments)', money.length
    ? table([
      { label: 'currency', render: ([c]) => c },
      { label: 'approved', class: 'num', render: ([c, m]) => fmtAmount(m.approvedAmount, c) },
      { label: 'canceled', class: 'num', render: ([c, m]) => fmtAmount(m.canceledAmount, c) },
      { label: 'of which partially', class: 'num', render: ([c, m]) => fmtAmount(m.partiallyCanceledAmount, c) },
      { label: 'net', class: 'num', render: ([c, m]) => h('strong', { 'data-testid': `stats-net-${c}`, text: fmtAmount(m.netAmount, c) }) },
    ], money)
    : h('p', { class: 'muted', text: 'No approved payments in this range.' }),
  h('p', { class: 'small muted', text: 'Net = approved − canceled (SUCCEEDED cancels, whole or partial). PENDING cancels count once they succeed; a payment canceled while READY moved no money.' }));
}

function perMerchantCard(s) {
  const net = (m) => Object.entries(m.byCurrency || {}).map(([c, f]) => fmtAmount(f.netAmount, c)).join(', ') || '—';
  const bars = s.byMerchant.length
    ? h('div', { class: 'chart' }, horizontalBars(s.byMerchant.slice(0, 20).map((m) => ({
      label: m.clientId.length > 30 ? `${m.clientId.slice(0, 14)}…${m.clientId.slice(-10)}` : m.clientId,
      value: m.count,
      note: `${m.count} · ${rate(m.approvalRate)}`,
      segments: STATUSES.map((st) => ({ name: st, color: STATUS_COLORS[st], value: count(m, st) })),
    }))))
    : null;
  return card('Per merchant', bars, table([
    { label: 'merchant', render: (m) => h('a', { href: `#/payments?clientId=${m.clientId}` }, merchantLabel(m.clientId)) },
    { label: 'payments', class: 'num', render: (m) => m.count },
    ...STATUSES.map((st) => ({ label: st, class: 'num', render: (m) => count(m, st) })),
    { label: 'approval', class: 'num', render: (m) => rate(m.approvalRate) },
    { label: 'net', class: 'num', render: net },
  ], s.byMerchant));
}

/** The cards of a statistics answer; `perMerchant` adds the per-merchant card. */
export function statsBlocks(s, perMerchant) {
  return [
    card('Totals', totalsTiles(s.totals), h('p', { class: 'small muted', text: 'Approval rate = payments the acquirer approved (APPROVED, COMPLETED, or CANCELED after approval) / payments it decided (those plus FAILED). READY, EXPIRED and payments canceled before a decision are not decided.' })),
    card('Per day', dailyCharts(s),
      h('details', {}, h('summary', {}, 'Table'), table([
        { label: 'day (UTC)', render: (d) => d.day },
        { label: 'payments', class: 'num', render: (d) => d.count },
        ...STATUSES.map((st) => ({ label: st, class: 'num', render: (d) => count(d, st) })),
        { label: 'approval', class: 'num', render: (d) => rate(d.approvalRate) },
      ], s.byDay))),
    moneyCard(s.totals),
    perMerchant ? perMerchantCard(s) : null,
  ];
}

/** An RFC 3339 instant of a UTC day from <input type=date> (plus `plus` days), or ''. */
export function utcDay(v, plus) {
  if (!v) return '';
  const d = new Date(`${v}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + (plus || 0));
  return d.toISOString();
}

function statsPage(main) {
  const merchantUser = isMerchantRole();
  const from = h('input', { type: 'date', 'data-testid': 'stats-from' });
  const to = h('input', { type: 'date', 'data-testid': 'stats-to' });
  const clientId = input({ placeholder: 'all merchants', 'data-testid': 'stats-client' });
  const body = h('div', { class: 'stack', 'data-testid': 'stats' });
  const load = async () => {
    const s = await admin('GET', `/admin/api/stats${query({ from: utcDay(from.value), to: utcDay(to.value, 1), clientId: merchantUser ? '' : clientId.value.trim() })}`);
    body.replaceChildren(...statsBlocks(s, !merchantUser).filter(Boolean));
  };
  main.append(pageTitle('Statistics', merchantUser
    ? 'Your merchant: counts and amounts per status, approval rate, money per currency, per day'
    : 'GET /admin/api/stats — counts and amounts per status, approval rate, money per currency (approved, canceled, net), per day and per merchant'));
  main.append(card(null, h('div', { class: 'row' }, field('from (UTC day)', from), field('to (UTC day, inclusive)', to),
    merchantUser ? null : field('clientId', clientId),
    actionButton('Show', load, { 'data-testid': 'stats-refresh' }))), body);
  load().catch((e) => body.replaceChildren(h('p', { class: 'problem', text: e.message })));
}

export function stats(main) {
  return adminGate(main, statsPage);
}
