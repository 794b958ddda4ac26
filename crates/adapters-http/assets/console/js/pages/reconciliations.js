// Reconciliations (platform roles): a day's captures and cancels in SimplePG against the
// acquirer's settlement file. The list shows each reconciliation's status and counts; one opens
// with its three kinds of discrepancy highlighted — amounts that differ (red), movements the
// acquirer does not have and movements SimplePG does not have (amber) — each payment key linking
// to the payment. An ADMIN reconciles a date (POST /admin/api/reconciliations).
import { admin, adminRaw, query } from '../api.js';
import { adminGate } from '../gate.js';
import { can } from '../roles.js';
import { merchantLabel } from '../names.js';
import { localDate, problemBox } from './settlements.js';
import {
  h, card, field, input, actionButton, toast, table, facts, badge, fmtTime, fmtAmount, shortKey, link, pager, pageTitle,
  hashQuery,
} from '../ui.js';

const KINDS = [
  { key: 'amountMismatches', label: 'Amount mismatches', short: 'amount mismatches', testid: 'recon-mismatches', row: 'recon-bad', badge: 'error',
    about: 'Both sides have the movement, with different amounts.' },
  { key: 'missingAtAcquirer', label: 'Missing at the acquirer', short: 'missing at acquirer', testid: 'recon-missing-acquirer', row: 'recon-warn', badge: 'pending',
    about: 'SimplePG has the movement; the acquirer\'s file does not.' },
  { key: 'missingAtSimplePG', label: 'Missing at SimplePG', short: 'missing at SimplePG', testid: 'recon-missing-simplepg', row: 'recon-warn', badge: 'pending',
    about: 'The acquirer\'s file has the movement; SimplePG does not.' },
];

/** How many discrepancies of one kind a reconciliation has. */
function countOf(r, key) {
  return Array.isArray(r[key]) ? r[key].length : 0;
}

function countBadge(n, kind, testid) {
  return h('span', { 'data-testid': testid, 'data-count': String(n) }, n ? badge(String(n), kind) : h('span', { class: 'muted', text: '0' }));
}

export function reconStatus(status) {
  return h('span', { 'data-testid': 'recon-status' }, badge(status || '—', status || 'none'));
}

function paymentCell(d) {
  // A movement SimplePG does not know has no payment to open.
  if (d.clientId === null || d.clientId === undefined) {
    return h('span', {}, h('code', { class: 'small', text: shortKey(d.paymentKey) }), h('div', { class: 'small muted', text: 'unknown to SimplePG' }));
  }
  return h('a', { href: `#/payments/${d.paymentKey}`, 'data-testid': 'recon-payment-link', 'data-payment-key': d.paymentKey, text: shortKey(d.paymentKey) });
}

function amount(v) {
  return h('span', { class: Number(v) < 0 ? 'neg' : null, text: fmtAmount(v, '') });
}

function discrepancyTable(kind, rows) {
  const common = [
    { label: 'payment', render: paymentCell },
    { label: 'merchant', render: (d) => (d.clientId ? merchantLabel(d.clientId) : '—') },
    { label: 'transaction', render: (d) => (d.transactionId ? h('code', { class: 'small', text: d.transactionId }) : '—') },
    { label: 'type', render: (d) => badge(d.type, d.type) },
  ];
  const amounts = kind.key === 'amountMismatches'
    ? [
      { label: 'SimplePG', class: 'num', render: (d) => amount(d.simplepgAmount) },
      { label: 'acquirer', class: 'num', render: (d) => amount(d.acquirerAmount) },
      { label: 'difference', class: 'num', render: (d) => h('strong', {}, amount(Number(d.acquirerAmount) - Number(d.simplepgAmount))) },
    ]
    : [{ label: 'amount', class: 'num', render: (d) => amount(d.amount) }];
  return table([...common, ...amounts, { label: 'at', render: (d) => fmtTime(d.at) }], rows,
    { class: 'recon-table', 'data-testid': `${kind.testid}-table` },
    (d) => ({ class: kind.row, 'data-testid': 'recon-row', 'data-kind': kind.key, 'data-payment-key': d.paymentKey }),
    'None: every movement agrees.');
}

function tile(label, value, cls, testid) {
  return h('div', { class: `tile ${cls || ''}`, 'data-testid': testid }, h('div', { class: 'label', text: label }), h('div', { class: 'value', text: String(value) }));
}

function detail(main, id) {
  main.append(pageTitle('Reconciliation', id));
  const box = h('div', { class: 'stack', 'data-testid': 'recon-detail' }, h('p', { class: 'muted', text: 'Loading…' }));
  main.append(box);
  const load = async () => {
    const res = await adminRaw('GET', `/admin/api/reconciliations/${encodeURIComponent(id)}`);
    if (!res.ok) {
      box.replaceChildren(problemBox(res, 'recon-problem'), h('p', {}, link('#/reconciliations', '← back to the list')));
      return;
    }
    const r = res.json;
    const counts = KINDS.map((k) => countOf(r, k.key));
    box.replaceChildren(
      card(`${r.date}`, h('div', { class: 'grid-2' },
        facts([
          ['status', reconStatus(r.status)],
          ['date', h('span', { 'data-testid': 'recon-date', text: r.date })],
          ['reconciliationId', h('code', { class: 'small', text: r.reconciliationId })],
          ['created', fmtTime(r.createdAt)],
          ['by', r.createdBy],
        ]),
        h('div', { class: 'tiles' },
          tile('matched', r.matched, 'ok', 'recon-matched'),
          KINDS.map((k, i) => tile(k.short, counts[i], counts[i] ? (k.row === 'recon-bad' ? 'bad' : 'warn') : '', `${k.testid}-count`)))),
        h('div', { class: 'row' }, h('span', { class: 'spacer' }), link('#/reconciliations', '← back to the list'))),
      ...KINDS.map((k, i) => h('section', { class: `card recon-card ${counts[i] ? k.row : ''}`, 'data-testid': k.testid },
        h('h2', {}, `${k.label} `, countBadge(counts[i], counts[i] ? k.badge : 'none', `${k.testid}-badge`)),
        h('p', { class: 'muted small', text: k.about }),
        discrepancyTable(k, r[k.key] || []))));
  };
  load().catch((e) => box.replaceChildren(h('p', { class: 'problem', text: e.message })));
}

function listTable(rows) {
  return table([
    { label: 'date', render: (r) => h('a', { href: `#/reconciliations/${r.reconciliationId}`, 'data-testid': 'recon-link', text: r.date }) },
    { label: 'status', render: (r) => reconStatus(r.status) },
    { label: 'matched', class: 'num', render: (r) => h('span', { 'data-testid': 'recon-row-matched', text: String(r.matched) }) },
    ...KINDS.map((k) => ({ label: k.short, class: 'num', render: (r) => countBadge(countOf(r, k.key), k.badge, `${k.testid}-n`) })),
    { label: 'created', render: (r) => h('span', {}, fmtTime(r.createdAt), r.createdBy ? h('div', { class: 'small muted', text: r.createdBy }) : null) },
  ], rows, { 'data-testid': 'recon-table' },
  (r) => ({ 'data-testid': 'recon-list-row', 'data-status': r.status, class: r.status === 'DISCREPANCIES' ? 'recon-flag' : null }),
  'No reconciliations yet.');
}

function reconcileCard(onDone) {
  const date = input({ type: 'date', value: localDate(0), 'data-testid': 'reconcile-date' });
  const out = h('div', { class: 'stack', 'data-testid': 'reconcile-result' });
  const go = actionButton('Reconcile', async () => {
    const res = await adminRaw('POST', '/admin/api/reconciliations', { date: date.value });
    if (!res.ok) {
      out.replaceChildren(problemBox(res, 'reconcile-problem'));
      return;
    }
    const r = res.json;
    const counts = KINDS.map((k) => `${countOf(r, k.key)} ${k.short}`).join(', ');
    out.replaceChildren(h('div', { class: `result ${r.status === 'MATCHED' ? 'result-ok' : 'result-bad'}`, 'data-testid': 'reconcile-outcome', 'data-status': r.status },
      h('strong', {}, `${r.date}: `, reconStatus(r.status)),
      h('div', { text: `${r.matched} matched; ${counts}.` }),
      h('a', { href: `#/reconciliations/${r.reconciliationId}`, 'data-testid': 'reconcile-open', text: 'open the reconciliation →' })));
    toast(`Reconciliation of ${r.date}: ${r.status}`, r.status === 'MATCHED' ? 'ok' : 'error');
    onDone();
  }, { 'data-testid': 'reconcile' });
  return card('Reconcile a date  ·  POST /admin/api/reconciliations',
    h('p', { class: 'muted small', text: 'Compares SimplePG\'s captures and cancels of the date with the acquirer\'s settlement file for it, line by line. A date in the future is refused.' }),
    h('div', { class: 'row' }, field('date', date), go), out);
}

function listPage(main) {
  const q = hashQuery();
  main.append(pageTitle('Reconciliations', 'SimplePG\'s captures and cancels of a day against the acquirer\'s settlement file'));
  const from = input({ type: 'date', value: q.get('from') || '', 'data-testid': 'recon-from' });
  const to = input({ type: 'date', value: q.get('to') || '', 'data-testid': 'recon-to' });
  const results = h('div', { 'data-testid': 'recon-results' });
  const listing = pager(results,
    (after) => admin('GET', `/admin/api/reconciliations${query({ from: from.value, to: to.value, limit: 20, startingAfter: after })}`),
    (page) => listTable(page.data),
    (r) => r.reconciliationId);
  const search = () => listing.reload().catch((e) => results.replaceChildren(h('p', { class: 'problem', 'data-testid': 'recon-list-problem', text: e.message })));
  if (can('reconcile')) main.append(reconcileCard(search));
  main.append(card(null, h('div', { class: 'row' }, field('from (inclusive)', from), field('to (inclusive)', to),
    actionButton('Search', search, { 'data-testid': 'search-reconciliations' }))),
  card('Reconciliations', results));
  search();
}

/** #/reconciliations and #/reconciliations/{reconciliationId} (platform roles). */
export function reconciliations(main, id) {
  return adminGate(main, (m) => (id ? detail(m, id) : listPage(m)));
}
