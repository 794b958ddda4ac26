// Small DOM helpers. Everything is built with createElement/textContent, never innerHTML, so
// data from the server can never become markup (and the CSP forbids inline script anyway).

/** h('div', {class: 'x', on: {click: fn}, dataset: {id: 1}}, child, 'text', [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', { text: title }) : null, ...children);
}

/** A labelled form row. */
export function field(label, input, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label', text: label }), input,
    hint ? h('small', { class: 'hint', text: hint }) : null);
}

export function input(attrs) {
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
}

export function select(options, attrs) {
  return h('select', attrs || {}, options.map((o) => {
    const [value, label] = Array.isArray(o) ? o : [o, o];
    return h('option', { value, text: label });
  }));
}

export function button(label, onClick, attrs) {
  return h('button', { type: 'button', ...(attrs || {}), on: { click: onClick } }, label);
}

/** Runs an async action with the button disabled, reporting errors as toasts. */
export function busy(btn, fn) {
  return async (...args) => {
    btn.disabled = true;
    try {
      return await fn(...args);
    } catch (e) {
      toast(String(e && e.message ? e.message : e), 'error');
    } finally {
      btn.disabled = false;
    }
  };
}

export function actionButton(label, fn, attrs) {
  const b = h('button', { type: 'button', ...(attrs || {}) }, label);
  b.addEventListener('click', busy(b, fn));
  return b;
}

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = h('div', { class: `toast toast-${kind}`, role: 'status', text: message });
  box.append(t);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

export function copyButton(text, label = 'Copy') {
  const b = h('button', { type: 'button', class: 'small secondary', title: 'Copy to the clipboard' }, label);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API unavailable (not a secure context): select a hidden textarea instead.
      const ta = h('textarea', { class: 'offscreen' });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    b.textContent = 'Copied';
    setTimeout(() => { b.textContent = label; }, 1500);
  });
  return b;
}

export const STATUSES = ['READY', 'APPROVED', 'COMPLETED', 'PARTIAL_CANCELED', 'FAILED', 'CANCELED', 'EXPIRED'];

export function badge(text, kind) {
  return h('span', { class: `badge badge-${(kind || text || '').toString().toLowerCase()}`, text });
}

export function statusBadge(status) {
  return badge(status || '—', status || 'none');
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

/** "in 6 d 23 h", "in 12 min", "5 min ago": how far `iso` is from now. */
export function fmtFromNow(iso) {
  const ms = new Date(iso).getTime() - Date.now();
  if (Number.isNaN(ms)) return '';
  const abs = Math.abs(ms);
  const parts = abs >= 86400000
    ? [`${Math.floor(abs / 86400000)} d`, `${Math.floor((abs % 86400000) / 3600000)} h`]
    : abs >= 3600000 ? [`${Math.floor(abs / 3600000)} h`, `${Math.floor((abs % 3600000) / 60000)} min`]
      : [`${Math.max(1, Math.round(abs / 60000))} min`];
  return ms >= 0 ? `in ${parts.join(' ')}` : `${parts.join(' ')} ago`;
}

export function fmtClock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '';
  return d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function fmtAmount(amount, currency) {
  if (amount === null || amount === undefined) return '—';
  return `${Number(amount).toLocaleString()} ${currency || ''}`.trim();
}

export function shortKey(key) {
  return key ? `${key.slice(0, 10)}…${key.slice(-4)}` : '—';
}

/** A page heading with an optional muted subtitle. */
export function pageTitle(text, sub) {
  return h('div', { class: 'page-title' }, h('h1', { text }), sub ? h('span', { class: 'muted', text: sub }) : null);
}

/** A paged listing: `fetchPage(after)` → {data, hasMore}; `render(page)` → node. */
export function pager(box, fetchPage, render, cursorOf) {
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

/** "42 s", "5 min", "3 h 10 min", "2 d 4 h": a duration in seconds, short. */
export function fmtAge(secs) {
  if (secs === null || secs === undefined) return '—';
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** The query of the hash (`#/deliveries?status=DEAD` → URLSearchParams). */
export function hashQuery() {
  return new URLSearchParams(location.hash.split('?')[1] || '');
}

/** Pretty JSON in a <pre>; text that is not JSON is shown as is. */
export function jsonBlock(value, attrs) {
  let text = value;
  if (typeof value !== 'string') text = JSON.stringify(value, null, 2);
  else {
    try { text = JSON.stringify(JSON.parse(value), null, 2); } catch { /* not JSON */ }
  }
  return h('pre', { class: 'code', ...(attrs || {}) }, text ?? '');
}

/**
 * A table: columns = [{label, class?, render(row) -> node|string}], rows = [...]; `rowAttrs(row)`
 * optionally gives each row's attributes (a class that highlights it, a test id); `empty` is
 * what an empty table says.
 */
export function table(columns, rows, attrs, rowAttrs, empty) {
  const head = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class || null, text: c.label }))));
  const body = h('tbody', {});
  if (rows.length === 0) {
    body.append(h('tr', {}, h('td', { colspan: columns.length, class: 'empty', text: empty || 'Nothing here yet.' })));
  }
  for (const r of rows) {
    body.append(h('tr', rowAttrs ? rowAttrs(r) : {}, columns.map((c) => h('td', { class: c.class || null }, c.render(r)))));
  }
  return h('div', { class: 'table-wrap' }, h('table', attrs || {}, head, body));
}

/** Definition list of [label, value] pairs. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v ?? '—')]));
}

export function link(href, text) {
  return h('a', { href, text });
}

export function isoFromLocal(value) {
  // <input type=datetime-local> gives local time without a zone; the API wants RFC 3339.
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// ---------------------------------------------------------------------------------------------
// Money movement (docs/api.md, cancels): the balance of a payment, its cancels, and the cancel
// form the sandbox, the flow view and the back office share.

/** What has left (SUCCEEDED), what is on its way (PENDING) and what may still be canceled. */
export function balance(p) {
  const canceled = p.canceledAmount || 0;
  const cancelable = p.cancelableAmount ?? 0;
  const pending = Math.max(0, (p.amount || 0) - canceled - cancelable);
  const bar = h('div', { class: 'balance-bar', 'aria-hidden': 'true' });
  for (const [cls, value] of [['canceled', canceled], ['pending', pending], ['cancelable', cancelable]]) {
    const seg = h('span', { class: `seg-${cls}` });
    seg.style.width = p.amount ? `${(100 * value) / p.amount}%` : '0%'; // CSSOM: allowed by the CSP
    bar.append(seg);
  }
  return h('div', { class: 'balance', 'data-testid': 'balance' },
    h('div', { class: 'kv-inline' },
      h('span', {}, 'canceled ', h('strong', { 'data-testid': 'canceled-amount', text: fmtAmount(canceled, p.currency) })),
      pending ? h('span', {}, 'pending ', h('strong', { 'data-testid': 'pending-amount', text: fmtAmount(pending, p.currency) })) : null,
      h('span', {}, 'still cancelable ', h('strong', { 'data-testid': 'cancelable-amount', text: fmtAmount(cancelable, p.currency) })),
      h('span', { class: 'muted', text: `of ${fmtAmount(p.amount, p.currency)}` })),
    bar);
}

/** [label, value] pairs for `facts`: the balance and, while APPROVED, the authorization deadline. */
export function moneyFacts(p) {
  return [
    ['canceledAmount', h('span', { 'data-testid': 'fact-canceled-amount', text: fmtAmount(p.canceledAmount || 0, p.currency) })],
    ['cancelableAmount', h('span', { 'data-testid': 'fact-cancelable-amount', text: fmtAmount(p.cancelableAmount ?? 0, p.currency) })],
    p.status === 'APPROVED' && p.authorizationExpiresAt
      ? ['authorizationExpiresAt', h('span', { 'data-testid': 'authorization-expires-at', title: 'Complete it before then, or the server voids the authorization (CANCELED)' },
        fmtTime(p.authorizationExpiresAt), ' ', h('span', { class: 'muted small', text: `(${fmtFromNow(p.authorizationExpiresAt)})` }))]
      : null,
  ];
}

/** The payment's cancels, oldest first. */
export function cancelsTable(p) {
  return table([
    { label: 'cancelId', render: (c) => h('code', { class: 'small', text: c.cancelId }) },
    { label: 'amount', class: 'num', render: (c) => fmtAmount(c.amount, p.currency) },
    { label: 'status', render: (c) => badge(c.status, c.status) },
    { label: 'reason', render: (c) => c.reason },
    { label: 'requested', render: (c) => fmtTime(c.requestedAt) },
    { label: 'completed', render: (c) => fmtTime(c.completedAt) },
    { label: 'failure', render: (c) => (c.failureCode ? h('span', {}, h('code', { text: c.failureCode }), c.failureMessage ? h('div', { class: 'small muted', text: c.failureMessage }) : null) : '—') },
  ], p.cancels || [], { class: 'cancels', 'data-testid': 'cancels-table' });
}

/** What a cancel's answer means (200 done, 202 pending, 502 refused, 409 exceeded, …). */
export function describeCancel(res) {
  const p = res.json || {};
  if (res.status === 200) {
    return { kind: 'done', title: 'Done (200)', text: `The acquirer confirmed. The payment is ${p.status}: ${fmtAmount(p.canceledAmount, p.currency)} canceled, ${fmtAmount(p.cancelableAmount, p.currency)} still cancelable.` };
  }
  if (res.status === 202) {
    const c = (p.cancels || [])[(p.cancels || []).length - 1] || {};
    return { kind: 'pending', title: 'Pending (202)', text: `The acquirer has not answered yet. Cancel ${c.cancelId || ''} of ${fmtAmount(c.amount, p.currency)} is PENDING, its amount reserved; the server retries it and finishes it on its own (SUCCEEDED, or FAILED with the amount released).` };
  }
  const detail = p.detail || res.text || res.error || '';
  if (res.status === 502) {
    return { kind: 'refused', title: `Refused by the acquirer (502 ${p.code || ''})`.trim(), text: `${detail} Nothing was canceled; the FAILED cancel stays on the payment and its amount is cancelable again.`.trim() };
  }
  if (p.code === 'CANCEL_AMOUNT_EXCEEDED') {
    return { kind: 'exceeded', title: 'More than is cancelable (409 CANCEL_AMOUNT_EXCEEDED)', text: detail };
  }
  const fields = Array.isArray(p.errors) ? p.errors.map((e) => `${e.field} ${e.message}`).join('; ') : '';
  return { kind: 'error', title: `${res.status || 'no answer'} ${p.code || ''}`.trim(), text: [detail, fields].filter(Boolean).join(' — ') };
}

/**
 * The cancel form: an amount (defaulting to the payment's cancelableAmount), a reason, a button,
 * and the outcome of the last answer. `send(body)` performs the request and resolves to the raw
 * answer ({status, json, text}); `onAnswer(res)` lets the page refresh what it shows.
 * `update(payment)` sets the default amount (unless the user typed one) and says what is allowed.
 */
export function cancelForm({ label, send, onAnswer }) {
  let payment = null;
  let typed = false;
  const amount = input({ type: 'number', min: 1, placeholder: 'empty: all that is cancelable', 'data-testid': 'cancel-amount' });
  amount.addEventListener('input', () => { typed = true; });
  const reason = input({ value: 'customer asked', maxlength: 200, 'data-testid': 'cancel-reason' });
  const hint = h('small', { class: 'hint', 'data-testid': 'cancel-hint' });
  const outcome = h('div', { 'data-testid': 'cancel-outcome-box' });
  const submit = actionButton(label || 'Cancel', async () => {
    const body = { cancelReason: reason.value };
    if (amount.value.trim() !== '') body.cancelAmount = Number(amount.value);
    const res = await send(body);
    const d = describeCancel(res);
    outcome.replaceChildren(h('div', { class: `cancel-outcome outcome-${d.kind}`, 'data-testid': 'cancel-outcome', 'data-outcome': d.kind },
      h('strong', { text: d.title }), h('div', { text: d.text })));
    typed = false;
    if (onAnswer) await onAnswer(res);
  }, { class: 'danger', 'data-testid': 'cancel' });
  const all = button('All', () => {
    if (payment) amount.value = String(payment.cancelableAmount);
    typed = false;
  }, { class: 'secondary small', title: 'the whole cancelableAmount' });
  const el = h('div', { class: 'cancel-form stack', 'data-testid': 'cancel-form' },
    h('div', { class: 'row' },
      h('label', { class: 'field' }, h('span', { class: 'field-label', text: 'cancelAmount' }), h('div', { class: 'input-with' }, amount, all), hint),
      field('cancelReason', reason, '1–200 characters')),
    h('div', { class: 'row' }, submit),
    outcome);
  const update = (p) => {
    payment = p;
    if (!p) return;
    if (!typed) amount.value = p.cancelableAmount ? String(p.cancelableAmount) : '';
    const whole = p.status === 'READY' || p.status === 'APPROVED';
    const final = ['FAILED', 'CANCELED', 'EXPIRED'].includes(p.status);
    hint.textContent = final
      ? `${p.status} is final: nothing to cancel`
      : whole
        ? `${p.status}: only the whole ${fmtAmount(p.amount, p.currency)} (a partial cancel needs COMPLETED)`
        : `1 … ${fmtAmount(p.cancelableAmount, p.currency)} (a part, or all that is left)`;
  };
  return { el, update, reason, amount };
}
