// Merchant sandbox: acts as a merchant backend from the browser. Every request is signed here
// with WebCrypto (HMAC-SHA256 over the canonical string of docs/signing.md) using the client
// id and secret entered below; the server stores nothing for the console.
import { admin, explainProblem, merchant, selfCheck, session, webCrypto } from '../api.js';
import { can, myClientId } from '../roles.js';
import {
  h, card, field, input, select, button, actionButton, toast, jsonBlock, facts, statusBadge,
  table, fmtTime, fmtAmount, shortKey, link, badge, clear, STATUSES, balance, moneyFacts,
  cancelsTable, cancelForm,
} from '../ui.js';

export const SCENARIOS = [
  ['15000', 'anything else', 'APPROVED after mock_acquirer.delay_ms (1 s by default)'],
  ['15001', '…001', 'FAILED with failureCode CARD_DECLINED'],
  ['15002', '…002', 'accepted, but no webhook is ever sent (stays READY: use the acquirer simulator)'],
  ['15003', '…003', 'APPROVED, webhook delivered twice (the second is a DUPLICATE)'],
  ['15004', '…004', 'APPROVED after a long delay (mock_acquirer.slow_delay_ms, 10 s by default)'],
  ['15005', '…005', 'the acquirer answers 503 twice, then accepts (the retry path)'],
  ['15006', '…006', 'APPROVED, but the webhook reports amount + 1 (AMOUNT_MISMATCH, stays READY)'],
  ['15007', '…007', 'APPROVED, but every cancel after approval is refused (502 ACQUIRER_ERROR, the cancel FAILED)'],
  ['15008', '…008', 'APPROVED; a cancel gets 503 twice, then is confirmed (202 PENDING, then the server finishes it)'],
  ['15009', '…009', 'APPROVED; a cancel is answered only after mock_acquirer.slow_cancel_ms (5 s): 202, then confirmed on a retry'],
];

function creds() {
  return session.merchant();
}

function newOrderNo() {
  const d = new Date();
  const stamp = d.toISOString().replace(/[-:TZ.]/g, '').slice(2, 14);
  return `ORD-${stamp}-${Math.floor(Math.random() * 9000 + 1000)}`;
}

/** Everything about one signed request and its answer. */
export function exchangeView(ex) {
  const { request: rq, response: rs } = ex;
  const problem = explainProblem(rs.json);
  const cls = `status-${String(rs.status)[0]}`;
  return h('div', { class: 'exchange', 'data-testid': 'exchange' },
    h('div', { class: `status-line ${cls}` },
      h('span', { 'data-testid': 'exchange-status', text: rs.status ? `${rs.status}` : 'no response' }),
      h('span', { class: 'mono', text: `${rq.method} ${rq.url}` }),
      h('span', { class: 'muted small', text: `${rs.ms} ms` })),
    rs.error ? h('p', { class: 'problem', text: rs.error }) : null,
    problem ? h('div', { class: 'problem', 'data-testid': 'problem' },
      h('strong', { text: problem.title }),
      h('div', { text: problem.detail }),
      problem.errors.length ? h('ul', {}, problem.errors.map((e) => h('li', {}, h('code', { text: e.field }), ` ${e.message}`))) : null,
      h('div', { class: 'small', text: problem.explanation }),
      problem.requestId ? h('div', { class: 'small muted' }, 'requestId ', h('code', { text: problem.requestId })) : null) : null,
    h('details', {}, h('summary', {}, 'Response body'), jsonBlock(rs.text || '(empty)')),
    h('details', {}, h('summary', {}, 'Response headers'), facts(rs.headers.map(([k, v]) => [k, v]))),
    rq.canonical !== undefined ? h('details', {}, h('summary', {}, 'Canonical string and signature'),
      h('pre', { class: 'code canonical', 'data-testid': 'canonical', text: rq.canonical }),
      facts([['SHA-256 of body', h('code', { text: rq.bodyHash })], ['X-Signature', h('code', { 'data-testid': 'signature', text: rq.signature })]])) : null,
    h('details', {}, h('summary', {}, 'Request headers and body'),
      facts(Object.entries(rq.headers).map(([k, v]) => [k, h('code', { text: v })])),
      rq.body ? jsonBlock(rq.body) : h('p', { class: 'muted small', text: '(no body)' })));
}

function paymentFacts(p) {
  return facts([
    ['paymentKey', h('code', { 'data-testid': 'payment-key', text: p.paymentKey })],
    ['status', statusBadge(p.status)],
    ['orderNo', p.orderNo],
    ['amount', fmtAmount(p.amount, p.currency)],
    ['method', p.methodCode],
    ['transactionId', p.transactionId],
    p.failureCode ? ['failure', `${p.failureCode}${p.failureMessage ? ` — ${p.failureMessage}` : ''}`] : null,
    p.cancelReason ? ['cancelReason', p.cancelReason] : null,
    ...moneyFacts(p),
    ['createdAt', fmtTime(p.createdAt)],
    ['expiresAt', fmtTime(p.expiresAt)],
  ]);
}

/** A payment with its balance and cancels (once it has any). */
function paymentView(p) {
  return h('div', { class: 'stack' }, paymentFacts(p),
    p.cancels && p.cancels.length ? h('div', { class: 'stack' }, h('h3', { text: 'Cancels' }), balance(p), cancelsTable(p)) : null);
}

export function render(main) {
  const out = h('div', { class: 'stack' }, h('p', { class: 'muted', text: 'The answer to each request appears here: status, timing, headers, body, canonical string and signature, and an explanation of problem+json errors.' }));
  const show = (ex) => {
    out.replaceChildren(exchangeView(ex));
    return ex;
  };
  const actionKey = input({ placeholder: '64 hex characters', 'data-testid': 'action-key' });

  // -- credentials ---------------------------------------------------------------------------
  const c = creds() || {};
  // A merchant user's sandbox acts for its own merchant only.
  const own = myClientId();
  const clientId = input({ value: own || c.clientId || '', placeholder: 'mch_…', 'data-testid': 'client-id', readonly: !!own });
  const clientSecret = input({ type: 'password', value: c.clientSecret || '', placeholder: 'sk_…', 'data-testid': 'client-secret' });
  const check = h('span', { class: 'small muted', text: 'checking signer…' });
  selfCheck().then((ok) => {
    check.replaceChildren(ok
      ? badge('signer OK', 'ok')
      : badge('signer MISMATCH', 'error'),
    ` ${webCrypto ? 'WebCrypto' : 'built-in JS (no WebCrypto outside a secure context)'} reproduces the worked example of docs/signing.md`);
  });
  const credsCard = card('Credentials',
    h('p', { class: 'muted small', text: 'The client id and secret of a merchant, as issued at registration. They stay in this browser tab (sessionStorage); only signatures are sent.' }),
    h('div', { class: 'row' }, field('Client id', clientId), field('Client secret', clientSecret)),
    h('div', { class: 'row' },
      button('Use these credentials', () => {
        session.setMerchant({ clientId: clientId.value.trim(), clientSecret: clientSecret.value.trim() });
        toast('Credentials set for this tab', 'ok');
      }, { 'data-testid': 'use-credentials' }),
      can('registerMerchant') ? actionButton('Register a test merchant', async () => {
        const m = await admin('POST', '/admin/api/merchants', { clientName: `Sandbox ${new Date().toISOString().slice(0, 19)}` });
        clientId.value = m.clientId;
        clientSecret.value = m.clientSecret;
        session.setMerchant({ clientId: m.clientId, clientSecret: m.clientSecret });
        toast(`Registered ${m.clientId}`, 'ok');
      }, { class: 'secondary' }) : null,
      button('Forget', () => {
        session.clearMerchant();
        clientId.value = own || '';
        clientSecret.value = '';
      }, { class: 'secondary' }),
      h('span', { class: 'spacer' }), check));

  // -- create --------------------------------------------------------------------------------
  const orderNo = input({ value: newOrderNo(), 'data-testid': 'order-no' });
  const amount = input({ type: 'number', value: '15000', min: 1, max: 1000000000, 'data-testid': 'amount' });
  const currency = input({ value: 'KRW', maxlength: 3 });
  const method = select(['CARD', 'BANK', 'MOBILE'], { 'data-testid': 'method' });
  const productName = input({ placeholder: 'optional, ≤ 128 characters', value: 'Coffee beans' });
  const customerName = input({ placeholder: 'optional, ≤ 64 characters' });
  const withClientId = h('input', { type: 'checkbox' });
  const idemKey = input({ placeholder: 'optional Idempotency-Key' });
  const created = h('div', { 'data-testid': 'created' });
  const createBtn = actionButton('Create payment', async () => {
    const body = { orderNo: orderNo.value.trim(), amount: Number(amount.value), methodCode: method.value };
    if (currency.value.trim()) body.currency = currency.value.trim();
    if (productName.value.trim()) body.productName = productName.value.trim();
    if (customerName.value.trim()) body.customerName = customerName.value.trim();
    if (withClientId.checked && creds()) body.clientId = creds().clientId;
    const headers = idemKey.value.trim() ? { 'Idempotency-Key': idemKey.value.trim() } : {};
    const ex = show(await merchant(creds(), { method: 'POST', path: '/api/payments', body: JSON.stringify(body), headers }));
    if (ex.response.status === 201) {
      const p = ex.response.json;
      actionKey.value = p.paymentKey;
      created.replaceChildren(h('div', { class: 'stack' },
        h('p', {}, 'Created ', statusBadge(p.status), ' ', h('code', { text: shortKey(p.paymentKey) }), ' · ',
          link(`#/flow/${p.paymentKey}`, 'open the webhook flow →')),
        paymentFacts(p)));
      cancel.update(p);
      orderNo.value = newOrderNo();
      toast('Payment created', 'ok');
    }
  }, { 'data-testid': 'create-payment' });
  const scenarioRows = SCENARIOS.map(([amt, ending, what]) => ({ amt, ending, what }));
  const createCard = card('Create a payment  ·  POST /api/payments',
    h('div', { class: 'row' }, field('orderNo', orderNo, 'unique per merchant, [A-Za-z0-9_-:.]'), button('New', () => { orderNo.value = newOrderNo(); }, { class: 'secondary small' })),
    h('div', { class: 'row' }, field('amount (minor units)', amount), field('currency', currency), field('methodCode', method)),
    h('div', { class: 'row' }, field('productName', productName), field('customerName', customerName)),
    h('div', { class: 'row' }, field('Idempotency-Key', idemKey), h('label', { class: 'check' }, withClientId, 'send clientId in the body')),
    h('div', { class: 'row' }, createBtn),
    h('details', { open: true }, h('summary', {}, 'Mock acquirer scenarios (the last three digits of the amount)'),
      table([
        { label: 'amount', render: (r) => button(r.amt, () => { amount.value = r.amt; }, { class: 'small secondary', title: 'use this amount' }) },
        { label: 'ends in', render: (r) => r.ending },
        { label: 'what the mock acquirer does', render: (r) => r.what },
      ], scenarioRows, { class: 'scenarios' })),
    created);

  // -- one payment ---------------------------------------------------------------------------
  const current = h('div', { 'data-testid': 'current-payment' });
  const key = () => actionKey.value.trim();
  const showPayment = (p) => {
    current.replaceChildren(paymentView(p));
    cancel.update(p);
  };
  const afterAction = (ex) => {
    show(ex);
    if (ex.response.ok && ex.response.json && ex.response.json.paymentKey) showPayment(ex.response.json);
  };
  const cancel = cancelForm({
    label: 'Cancel',
    send: async (body) => show(await merchant(creds(), {
      method: 'POST', path: `/api/payments/${key()}/cancel`, body: JSON.stringify(body),
    })).response,
    onAnswer: async (res) => {
      // A refusal (502) or a 409 carries no payment: read it again to show the FAILED cancel.
      if (res.json && res.json.paymentKey) return showPayment(res.json);
      const again = await merchant(creds(), { method: 'GET', path: `/api/payments/${key()}` });
      if (again.response.ok) showPayment(again.response.json);
      return undefined;
    },
  });
  const actionsCard = card('One payment',
    h('div', { class: 'row' }, field('paymentKey', actionKey)),
    h('div', { class: 'row' },
      actionButton('Look up', async () => afterAction(await merchant(creds(), { method: 'GET', path: `/api/payments/${key()}` })), { 'data-testid': 'lookup' }),
      actionButton('Complete', async () => afterAction(await merchant(creds(), { method: 'POST', path: `/api/payments/${key()}/complete` })), { 'data-testid': 'complete' }),
      actionButton('Audit log', async () => show(await merchant(creds(), { method: 'GET', path: `/api/payments/${key()}/logs` })), { class: 'secondary' }),
      button('Flow view', () => { location.hash = `#/flow/${key()}`; }, { class: 'secondary' })),
    h('h3', { text: 'Cancel all or part  ·  POST /api/payments/{key}/cancel' }),
    cancel.el,
    current);

  // -- list ----------------------------------------------------------------------------------
  const listStatus = select([['', 'any status'], ...STATUSES]);
  const listLimit = select(['5', '10', '20', '50', '100'], { value: '10' });
  listLimit.value = '10';
  const listBox = h('div', { 'data-testid': 'merchant-list' });
  const cursors = [];
  let lastPage = null;
  const loadList = async (after) => {
    const q = new URLSearchParams();
    if (listStatus.value) q.set('status', listStatus.value);
    q.set('limit', listLimit.value);
    if (after) q.set('startingAfter', after);
    const ex = show(await merchant(creds(), { method: 'GET', path: '/api/payments', query: q.toString() }));
    if (!ex.response.ok) return;
    lastPage = ex.response.json;
    listBox.replaceChildren(
      table([
        { label: 'created', render: (p) => fmtTime(p.createdAt) },
        { label: 'order', render: (p) => p.orderNo },
        { label: 'amount', class: 'num', render: (p) => fmtAmount(p.amount, p.currency) },
        { label: 'status', render: (p) => statusBadge(p.status) },
        { label: 'key', render: (p) => button(shortKey(p.paymentKey), () => { actionKey.value = p.paymentKey; }, { class: 'small secondary', title: 'use for the actions above' }) },
        { label: '', render: (p) => link(`#/flow/${p.paymentKey}`, 'flow') },
      ], lastPage.data),
      h('div', { class: 'pager' },
        h('span', { class: 'muted small', text: `page ${cursors.length + 1}` }),
        button('First page', () => { cursors.length = 0; loadList(); }, { class: 'small secondary', disabled: cursors.length === 0 }),
        button('Next page →', () => {
          const last = lastPage.data[lastPage.data.length - 1];
          cursors.push(last.paymentKey);
          loadList(last.paymentKey);
        }, { class: 'small', disabled: !lastPage.hasMore })));
  };
  const listCard = card('Recent payments  ·  GET /api/payments',
    h('div', { class: 'row' }, field('status', listStatus), field('limit', listLimit),
      actionButton('Load', async () => { cursors.length = 0; await loadList(); }, { 'data-testid': 'load-list' })),
    listBox);

  // -- quick test ----------------------------------------------------------------------------
  const quickAmount = select(SCENARIOS.map(([a, e, w]) => [a, `${a} — ${w}`]), { 'data-testid': 'quick-amount' });
  const quickLog = h('ol', { class: 'timeline', 'data-testid': 'quick-log' });
  const quickCard = card('Quick test  ·  create, then poll until the acquirer answers',
    h('div', { class: 'row' }, field('scenario', quickAmount),
      actionButton('Run', async () => {
        clear(quickLog);
        const t0 = performance.now();
        const note = (what, detail, cls) => quickLog.append(h('li', { class: cls || '' },
          h('span', { class: 'when', text: `+${((performance.now() - t0) / 1000).toFixed(2)} s` }), h('span', { class: 'what' }, what), detail ? h('div', { class: 'detail' }, detail) : null));
        const body = JSON.stringify({ orderNo: newOrderNo(), amount: Number(quickAmount.value), methodCode: 'CARD', productName: 'Quick test' });
        const ex = show(await merchant(creds(), { method: 'POST', path: '/api/payments', body }));
        if (ex.response.status !== 201) {
          note(`create failed: HTTP ${ex.response.status}`, null, 'ev-bad');
          return;
        }
        const p = ex.response.json;
        actionKey.value = p.paymentKey;
        note(h('span', {}, 'created ', statusBadge(p.status)), h('span', {}, h('code', { text: shortKey(p.paymentKey) }), ' ', link(`#/flow/${p.paymentKey}`, 'flow view')), 'ev-ok');
        let status = p.status;
        const deadline = performance.now() + 20000;
        while (performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, 400));
          const got = await merchant(creds(), { method: 'GET', path: `/api/payments/${p.paymentKey}` });
          if (!got.response.ok) continue;
          const now = got.response.json.status;
          if (now !== status) {
            status = now;
            note(h('span', {}, 'now ', statusBadge(now)), got.response.json.failureCode || got.response.json.transactionId || '', now === 'FAILED' ? 'ev-bad' : 'ev-ok');
            show(got);
          }
          if (status !== 'READY') return;
        }
        note(`still ${status} after 20 s`, 'expected for …002 (no webhook), …004 (slow) and …006 (amount mismatch)', '');
      }, { 'data-testid': 'quick-run' })),
    quickLog);

  // -- request tester ------------------------------------------------------------------------
  const tMethod = select(['GET', 'POST', 'PUT', 'DELETE'], { 'data-testid': 'tester-method' });
  tMethod.value = 'POST';
  const tPath = input({ value: '/api/payments', 'data-testid': 'tester-path' });
  const tQuery = input({ placeholder: 'status=READY&limit=5 (raw, signed as typed)' });
  const tBody = h('textarea', { 'data-testid': 'tester-body', spellcheck: 'false' });
  tBody.value = JSON.stringify({ orderNo: newOrderNo(), amount: 15000, methodCode: 'CARD' }, null, 2);
  const testerOut = h('div', {});
  const testerCard = card('JSON request tester',
    h('p', { class: 'muted small', text: 'Any method, path, raw query and body. The body is sent exactly as typed (and hashed as typed); a GET sends no body.' }),
    h('div', { class: 'row' }, field('method', tMethod), field('path', tPath), field('query', tQuery)),
    field('body', tBody),
    h('div', { class: 'row' },
      actionButton('Send signed', async () => {
        const m = tMethod.value;
        const ex = await merchant(creds(), { method: m, path: tPath.value.trim(), query: tQuery.value.trim(), body: m === 'GET' ? '' : tBody.value });
        testerOut.replaceChildren(exchangeView(ex));
      }, { 'data-testid': 'tester-send' }),
      button('Pretty-print', () => {
        try { tBody.value = JSON.stringify(JSON.parse(tBody.value), null, 2); } catch (e) { toast(`Not JSON: ${e.message}`, 'error'); }
      }, { class: 'secondary' })),
    testerOut);

  main.append(h('div', { class: 'page-title' }, h('h1', { text: 'Merchant sandbox' }),
    h('span', { class: 'muted', text: 'Requests signed in this browser, exactly as docs/signing.md describes' })));
  main.append(credsCard);
  main.append(h('div', { class: 'grid-2' },
    h('div', { class: 'stack' }, createCard, actionsCard, quickCard, listCard),
    h('div', { class: 'stack' }, card('Last request', out), testerCard)));
}
