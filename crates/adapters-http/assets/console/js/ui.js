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

export const STATUSES = ['READY', 'APPROVED', 'COMPLETED', 'FAILED', 'CANCELED', 'EXPIRED'];

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

/** Pretty JSON in a <pre>; text that is not JSON is shown as is. */
export function jsonBlock(value, attrs) {
  let text = value;
  if (typeof value !== 'string') text = JSON.stringify(value, null, 2);
  else {
    try { text = JSON.stringify(JSON.parse(value), null, 2); } catch { /* not JSON */ }
  }
  return h('pre', { class: 'code', ...(attrs || {}) }, text ?? '');
}

/** A table: columns = [{label, render(row) -> node|string}], rows = [...] */
export function table(columns, rows, attrs) {
  const head = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { text: c.label }))));
  const body = h('tbody', {});
  if (rows.length === 0) {
    body.append(h('tr', {}, h('td', { colspan: columns.length, class: 'empty', text: 'Nothing here yet.' })));
  }
  for (const r of rows) {
    body.append(h('tr', {}, columns.map((c) => h('td', { class: c.class || null }, c.render(r)))));
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
