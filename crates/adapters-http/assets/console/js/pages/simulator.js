// Acquirer simulator (operator): a signed success or failure webhook for a READY payment, built
// and signed server-side with the acquirer secret, or a raw signed request to the mock acquirer.
import { admin } from '../api.js';
import { adminGate } from '../gate.js';
import { h, card, field, input, select, actionButton, jsonBlock, facts, statusBadge, fmtAmount, shortKey, button, table, badge, link } from '../ui.js';

function exchange(x) {
  const r = x.response;
  const ok = r.status >= 200 && r.status < 300;
  return h('div', { class: 'exchange', 'data-testid': 'sim-result' },
    h('div', { class: `status-line status-${String(r.status || 0)[0]}` },
      h('span', { 'data-testid': 'sim-status', text: r.status ? `${r.status}` : 'no response' }),
      h('span', { class: 'mono', text: `POST ${x.request.url}` }), h('span', { class: 'muted small', text: `${r.latencyMs} ms` }),
      badge(ok ? 'accepted' : 'refused', ok ? 'ok' : 'error')),
    r.error ? h('p', { class: 'problem', text: r.error }) : null,
    h('h3', { text: 'Response (first KiB)' }), jsonBlock(r.body || '(empty)'),
    h('details', {}, h('summary', {}, 'Signed request that was sent'),
      facts(Object.entries(x.request.headers).map(([k, v]) => [k, h('code', { text: v })])), jsonBlock(x.request.body)));
}

function page(main) {
  const key = input({ placeholder: 'payment key of a READY payment', 'data-testid': 'sim-key' });
  const outcome = select([['APPROVED', 'APPROVED (success)'], ['FAILED', 'FAILED (failure)']], { 'data-testid': 'sim-outcome' });
  const amount = input({ type: 'number', placeholder: 'default: the payment\'s amount' });
  const tx = input({ placeholder: 'default: a new sim_… id' });
  const code = input({ placeholder: 'FAILED only; default DECLINED' });
  const message = input({ placeholder: 'FAILED only' });
  const out = h('div');
  const ready = h('div');
  const loadReady = async () => {
    const page1 = await admin('GET', '/admin/api/payments?status=READY&limit=10');
    ready.replaceChildren(table([
      { label: 'payment', render: (p) => button(shortKey(p.paymentKey), () => { key.value = p.paymentKey; }, { class: 'small secondary', title: 'use this payment' }) },
      { label: 'merchant', render: (p) => h('code', { text: p.clientId }) },
      { label: 'amount', class: 'num', render: (p) => fmtAmount(p.amount, p.currency) },
      { label: 'status', render: (p) => statusBadge(p.status) },
      { label: '', render: (p) => link(`#/flow/${p.paymentKey}`, 'flow') },
    ], page1.data));
  };
  const send = actionButton('Send webhook', async () => {
    const body = { paymentKey: key.value.trim(), status: outcome.value };
    if (amount.value !== '') body.amount = Number(amount.value);
    if (tx.value.trim()) body.transactionId = tx.value.trim();
    if (outcome.value === 'FAILED' && code.value.trim()) body.failureCode = code.value.trim();
    if (outcome.value === 'FAILED' && message.value.trim()) body.failureMessage = message.value.trim();
    out.replaceChildren(exchange(await admin('POST', '/admin/api/simulator/webhook', body)));
    loadReady().catch(() => {});
  }, { 'data-testid': 'sim-send' });

  const raw = h('textarea', { spellcheck: 'false' });
  raw.value = JSON.stringify({ paymentKey: '0'.repeat(64), orderNo: 'SIM-1', amount: 15000, currency: 'KRW', methodCode: 'CARD', productName: null, customerName: null, returnUrl: `${location.origin}/api/webhook/payment` }, null, 2);
  const rawOut = h('div');

  main.append(h('div', { class: 'page-title' }, h('h1', { text: 'Acquirer simulator' }),
    h('span', { class: 'muted', text: 'Only where the mock acquirer is enabled (never in production)' })));
  main.append(h('div', { class: 'grid-2' },
    h('div', { class: 'stack' },
      card('Send an acquirer webhook  ·  POST /admin/api/simulator/webhook',
        h('p', { class: 'muted small', text: 'The server builds the webhook of api.md §4, signs it the Standard Webhooks way with the acquirer secret and POSTs it to its own /api/webhook/payment over HTTP — exactly what the acquirer does. Use an amount ending in 002 so the mock acquirer leaves the payment READY for you.' }),
        h('div', { class: 'row' }, field('paymentKey', key)),
        h('div', { class: 'row' }, field('status', outcome), field('amount', amount, 'a different amount is refused: AMOUNT_MISMATCH'), field('transactionId', tx)),
        h('div', { class: 'row' }, field('failureCode', code), field('failureMessage', message)),
        h('div', { class: 'row' }, send)),
      card('READY payments', h('div', { class: 'row' }, actionButton('Refresh', loadReady, { class: 'secondary small' })), ready)),
    h('div', { class: 'stack' },
      card('Result', out),
      card('Raw request to the mock acquirer  ·  POST /admin/api/simulator/mock-request',
        h('p', { class: 'muted small', text: 'Signed with the acquirer secret and sent byte for byte to /mock/request. The mock answers 202 with a transactionId and later sends its webhook to returnUrl; the last three digits of amount choose the scenario.' }),
        field('body', raw),
        h('div', { class: 'row' }, actionButton('Send to the mock acquirer', async () => {
          rawOut.replaceChildren(exchange(await admin('POST', '/admin/api/simulator/mock-request', { body: raw.value })));
        })),
        rawOut))));
  loadReady().catch(() => {});
}

export function render(main) {
  return adminGate(main, page);
}
