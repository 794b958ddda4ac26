// Settlements (docs/api.md §14): what SimplePG owes its merchants, one batch per merchant,
// currency and settlement date. The platform's page (#/settlements) filters batches by merchant
// and date range, opens one with its lines and a CSV download, and — for an ADMIN — runs the
// settlement of a date. A merchant user's payouts (#/my/payouts, and the latest on #/my) are the
// same batches, its own only (the server narrows every answer). `problemBox` and `localDate` are
// shared with the reconciliations page.
import { adminRaw, admin, explainProblem, query, session } from '../api.js';
import { adminGate } from '../gate.js';
import { can, isMerchantRole, myClientId } from '../roles.js';
import { merchantLabel, merchantList } from '../names.js';
import { download } from './backoffice.js';
import {
  h, card, field, input, select, actionButton, toast, table, facts, badge, fmtTime, fmtAmount, shortKey, link, pager,
  pageTitle, hashQuery,
} from '../ui.js';

/** "2.50 %" from basis points. */
export function percent(bps) {
  return bps === null || bps === undefined ? '—' : `${(Number(bps) / 100).toFixed(2)} %`;
}

/** "2.50 % (250 bps)". */
export function feeRate(bps) {
  return bps === null || bps === undefined ? '—' : `${percent(bps)} (${bps} bps)`;
}

/** "2 days", "1 day", "same day". */
export function delay(days) {
  if (days === null || days === undefined) return '—';
  return Number(days) === 0 ? 'same day' : `${days} day${Number(days) === 1 ? '' : 's'}`;
}

/** When a batch is paid: "on the settlement date" or "2 days after the settlement date". */
export function payoutWhen(days) {
  return Number(days) === 0 ? 'on the settlement date' : `${delay(days)} after the settlement date`;
}

/** The fee rate in % (0.01 % = 1 bps) as basis points: null when empty, NaN when not whole bps. */
export function bpsOf(text) {
  if (text.trim() === '') return null;
  const v = Number(text);
  if (!Number.isFinite(v)) return NaN;
  const bps = Math.round(v * 100);
  return Math.abs(v * 100 - bps) < 1e-6 ? bps : NaN;
}

/** The browser's calendar date `daysAgo` days back, as <input type=date> gives it. */
export function localDate(daysAgo = 0) {
  const d = new Date();
  d.setDate(d.getDate() - daysAgo);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A refused answer in words: status, code, title, detail, field errors and what it means. */
export function problemBox(res, testid) {
  const p = explainProblem(res.json);
  if (!p) {
    return h('p', { class: 'problem', 'data-testid': testid, text: `HTTP ${res.status || 'no answer'}${res.error ? ` — ${res.error}` : ''}` });
  }
  return h('div', { class: 'problem', 'data-testid': testid, 'data-code': res.json.code },
    h('strong', { text: p.title }), p.detail ? h('div', { text: p.detail }) : null,
    p.errors.length ? h('ul', {}, p.errors.map((e) => h('li', {}, h('code', { text: e.field }), ` ${e.message}`))) : null,
    h('div', { class: 'small muted', text: p.explanation }));
}

/** A money cell: the amount with its currency, negative ones marked. */
function money(amount, currency) {
  return h('span', { class: Number(amount) < 0 ? 'neg' : null, text: fmtAmount(amount, currency) });
}

/** Batches (without lines); `base` is where one opens (#/settlements or #/my/payouts). */
export function batchesTable(batches, withMerchant, base, empty) {
  return table([
    { label: 'date', render: (b) => h('a', { href: `${base}/${b.settlementId}`, 'data-testid': 'settlement-link', text: b.date }) },
    withMerchant ? { label: 'merchant', render: (b) => merchantLabel(b.clientId) } : null,
    { label: 'payout date', render: (b) => h('span', { 'data-testid': 'settlement-payout-date', text: b.payoutDate }) },
    { label: 'currency', render: (b) => b.currency },
    { label: 'gross', class: 'num', render: (b) => h('span', { 'data-testid': 'settlement-gross' }, money(b.gross, b.currency)) },
    { label: 'fees', class: 'num', render: (b) => h('span', { 'data-testid': 'settlement-fees' }, money(b.fees, b.currency)) },
    { label: 'net', class: 'num', render: (b) => h('strong', { 'data-testid': 'settlement-net' }, money(b.net, b.currency)) },
    { label: 'lines', class: 'num', render: (b) => h('span', { 'data-testid': 'settlement-line-count', text: String(b.lineCount) }) },
  ].filter(Boolean), batches, { class: 'settlements' },
  (b) => ({ 'data-testid': 'settlement-row', 'data-settlement-id': b.settlementId, 'data-client-id': b.clientId }),
  empty || 'No settlement batches.');
}

/** "Download CSV": a plain link (the session cookie goes with it); with the admin token, fetched. */
function csvLink(b) {
  const href = `/admin/api/settlements/${b.settlementId}/lines.csv`;
  const name = `settlement-${b.date}-${b.settlementId}.csv`;
  const a = h('a', { href, download: name, class: 'button-link', 'data-testid': 'settlement-csv', text: 'Download CSV' });
  a.addEventListener('click', (ev) => {
    if (!session.adminToken()) return;
    ev.preventDefault(); // a link cannot carry the bearer token
    download(href, name).catch((e) => toast(e.message, 'error'));
  });
  return a;
}

function linesTable(b) {
  return table([
    { label: 'at', render: (l) => fmtTime(l.at) },
    { label: 'type', render: (l) => badge(l.type, l.type) },
    { label: 'payment', render: (l) => link(`#/payments/${l.paymentKey}`, shortKey(l.paymentKey)) },
    { label: 'order', render: (l) => l.orderNo },
    { label: 'cancel', render: (l) => (l.cancelId ? h('code', { class: 'small', text: l.cancelId }) : '—') },
    { label: 'amount', class: 'num', render: (l) => money(l.amount, b.currency) },
    { label: 'fee', class: 'num', render: (l) => money(l.fee, b.currency) },
    { label: 'net', class: 'num', render: (l) => money(l.net, b.currency) },
  ], b.lines || [], { class: 'settlement-lines', 'data-testid': 'settlement-lines' },
  (l) => ({ 'data-testid': 'settlement-line', 'data-type': l.type, class: l.type === 'CANCEL' ? 'line-cancel' : null }),
  'No lines.');
}

/** One batch: its figures, terms, lines and the CSV; `back` is the list it came from. */
function batchDetail(main, id, back) {
  const platform = !isMerchantRole();
  main.append(pageTitle(platform ? 'Settlement' : 'Payout', id));
  const box = h('div', { class: 'stack', 'data-testid': 'settlement-detail' }, h('p', { class: 'muted', text: 'Loading…' }));
  main.append(box);
  const load = async () => {
    const res = await adminRaw('GET', `/admin/api/settlements/${id}`);
    if (!res.ok) {
      box.replaceChildren(problemBox(res, 'settlement-problem'), h('p', {}, link(back, '← back to the list')));
      return;
    }
    const b = res.json;
    const shown = (b.lines || []).length;
    box.replaceChildren(
      card(`${b.date} · ${b.currency}`, h('div', { class: 'grid-2' },
        facts([
          platform ? ['merchant', merchantLabel(b.clientId)] : null,
          ['settlement date', h('span', { 'data-testid': 'settlement-date', text: b.date })],
          ['payout date', h('span', { 'data-testid': 'settlement-payout', text: b.payoutDate })],
          ['fee rate', h('span', { 'data-testid': 'settlement-fee-rate', text: feeRate(b.feeRateBps) })],
          ['settlementId', h('code', { class: 'small', text: b.settlementId })],
          ['created', fmtTime(b.createdAt)],
        ]),
        h('div', { class: 'tiles' },
          h('div', { class: 'tile' }, h('div', { class: 'label', text: 'gross' }), h('div', { class: 'value', 'data-testid': 'settlement-detail-gross', text: fmtAmount(b.gross, b.currency) })),
          h('div', { class: 'tile' }, h('div', { class: 'label', text: 'fees' }), h('div', { class: 'value', 'data-testid': 'settlement-detail-fees', text: fmtAmount(b.fees, b.currency) })),
          h('div', { class: 'tile ok' }, h('div', { class: 'label', text: platform ? 'net (owed)' : 'net (paid to you)' }), h('div', { class: 'value', 'data-testid': 'settlement-detail-net', text: fmtAmount(b.net, b.currency) })),
          h('div', { class: 'tile' }, h('div', { class: 'label', text: 'lines' }), h('div', { class: 'value', 'data-testid': 'settlement-detail-lines', text: String(b.lineCount) })))),
        h('div', { class: 'row' }, csvLink(b), h('span', { class: 'spacer' }), link(back, '← back to the list'))),
      card('Lines',
        h('p', { class: 'muted small', text: 'A CAPTURE is a payment completed on the date (fee at the batch\'s rate, rounded half up); a CANCEL refunds a completed payment, its share of the fee with it. Gross, fees and net are the sums of the lines.' }),
        shown < b.lineCount
          ? h('p', { class: 'small', 'data-testid': 'settlement-lines-truncated', text: `Showing the first ${shown} of ${b.lineCount} lines; the CSV has every one.` })
          : null,
        linesTable(b)));
  };
  load().catch((e) => box.replaceChildren(h('p', { class: 'problem', text: e.message })));
}

/** The date range (and, for the platform, merchant) filters and the paged list of batches. */
function batchList({ platform, base, testid }) {
  const q = hashQuery();
  const merchant = select([['', 'all merchants']], { 'data-testid': 'settlement-merchant' });
  // A merchant named in the address (#/settlements?clientId=…) is chosen before the names arrive.
  const wanted = q.get('clientId') || '';
  const wantedOption = wanted ? h('option', { value: wanted, text: wanted }) : null;
  if (wantedOption) {
    merchant.append(wantedOption);
    merchant.value = wanted;
  }
  if (platform) {
    merchantList().then((list) => {
      for (const [clientId, name] of list) {
        if (clientId === wanted) wantedOption.textContent = `${name} · ${clientId}`;
        else merchant.append(h('option', { value: clientId, text: `${name} · ${clientId}` }));
      }
    }).catch(() => {});
  }
  const from = input({ type: 'date', value: q.get('from') || '', 'data-testid': 'settlement-from' });
  const to = input({ type: 'date', value: q.get('to') || '', 'data-testid': 'settlement-to' });
  const limit = select(['10', '20', '50', '100']);
  limit.value = '20';
  const results = h('div', { 'data-testid': testid });
  const listing = pager(results,
    (after) => admin('GET', `/admin/api/settlements${query({
      clientId: platform ? merchant.value : '', from: from.value, to: to.value, limit: limit.value, startingAfter: after,
    })}`),
    (page) => batchesTable(page.data, platform, base, from.value || to.value || merchant.value
      ? 'No batches match these filters.'
      : (platform ? 'No settlement batches yet: a day is settled once it is over.' : 'No payouts yet: a day is settled once it is over.')),
    (b) => b.settlementId);
  const search = () => listing.reload().catch((e) => results.replaceChildren(h('p', { class: 'problem', 'data-testid': 'settlement-list-problem', text: e.message })));
  const filters = card(null,
    h('div', { class: 'row' },
      platform ? field('merchant', merchant) : null,
      field('from (settlement date, inclusive)', from),
      field('to (inclusive)', to),
      field('limit', limit),
      actionButton('Search', search, { 'data-testid': 'search-settlements' })));
  return { filters, results, search, reload: () => listing.reload() };
}

function runCard(onRun) {
  const date = input({ type: 'date', value: localDate(1), 'data-testid': 'run-settlement-date' });
  const out = h('div', { class: 'stack', 'data-testid': 'run-settlement-result' });
  const run = actionButton('Run settlement', async () => {
    const res = await adminRaw('POST', '/admin/api/settlements/run', { date: date.value });
    if (!res.ok) {
      out.replaceChildren(problemBox(res, 'run-settlement-problem'));
      return;
    }
    const r = res.json;
    const all = r.data.length;
    out.replaceChildren(
      h('div', { class: 'result result-ok', 'data-testid': 'run-settlement-outcome', 'data-created': String(r.created) },
        h('strong', { 'data-testid': 'run-settlement-created', text: `${r.date}: created ${r.created} batch${r.created === 1 ? '' : 'es'}` }),
        h('div', {
          text: all === 0
            ? 'Nothing to settle on this date: no captures or cancels, so no batch.'
            : `The date has ${all} batch${all === 1 ? '' : 'es'} in all${r.created === 0 ? ' — it was settled already, and a second run creates nothing' : ''}.`,
        })),
      all ? batchesTable(r.data, true, '#/settlements') : null);
    toast(`Settlement of ${r.date}: ${r.created} created`, 'ok');
    onRun();
  }, { 'data-testid': 'run-settlement' });
  return card('Run settlement for a date  ·  POST /admin/api/settlements/run',
    h('p', { class: 'muted small', text: 'Creates the date\'s missing batches (one per merchant and currency) and shows every batch of the date. The date is a calendar day in the settlement time zone (settlement.timezone, Asia/Seoul by default); a day that is not over yet is refused. The daily run does this by itself.' }),
    h('div', { class: 'row' }, field('settlement date', date), run), out);
}

function settlementsPage(main) {
  main.append(pageTitle('Settlements', 'What SimplePG owes each merchant: one batch per merchant, currency and day'));
  const list = batchList({ platform: true, base: '#/settlements', testid: 'settlement-results' });
  if (can('runSettlement')) main.append(runCard(() => list.reload().catch(() => {})));
  main.append(list.filters, card('Batches', list.results));
  list.search();
}

function payoutsPage(main) {
  main.append(pageTitle('Payouts', 'What SimplePG pays your merchant: one batch per settlement date and currency'));
  const terms = h('p', { class: 'small', 'data-testid': 'payout-terms' });
  admin('GET', `/admin/api/merchants/${myClientId()}`).then((m) => {
    terms.replaceChildren('Your terms: a fee of ', h('strong', { text: feeRate(m.feeRateBps) }), ' on each capture (refunded with a cancel), paid ',
      h('strong', { text: payoutWhen(m.settlementDelayDays) }), '.');
  }).catch(() => {});
  const list = batchList({ platform: false, base: '#/my/payouts', testid: 'payout-results' });
  main.append(card(null, terms, h('p', { class: 'muted small', text: 'Gross is the day\'s captures less its cancels; net is gross less fees — what is paid on the payout date.' })),
    list.filters, card('Batches', list.results));
  list.search();
}

/** The latest payouts on the merchant dashboard (#/my). */
export async function latestPayouts(box) {
  const page = await admin('GET', '/admin/api/settlements?limit=5');
  box.replaceChildren(batchesTable(page.data, false, '#/my/payouts', 'No payouts yet: a day is settled once it is over.'));
}

/** #/settlements and #/settlements/{settlementId} (platform roles). */
export function settlements(main, id) {
  return adminGate(main, (m) => (id ? batchDetail(m, id, '#/settlements') : settlementsPage(m)));
}

/** #/my/payouts and #/my/payouts/{settlementId} (merchant users: their own batches). */
export function payouts(main, id) {
  return adminGate(main, (m) => (id ? batchDetail(m, id, '#/my/payouts') : payoutsPage(m)));
}
