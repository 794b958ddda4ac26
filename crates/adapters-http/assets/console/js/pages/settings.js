// A merchant's integration settings (#/my/settings for a merchant user, #/merchants/{clientId}
// for the platform): its name and returnUrl (PATCH), the client secret rotated with a grace
// period (the new secret shown once), the webhook secret, and a test notification whose delivery
// is followed until it is delivered or dead. Each part only for the roles that may use it.
import { admin, adminRaw, explainProblem } from '../api.js';
import { adminGate } from '../gate.js';
import { can, myClientId, role } from '../roles.js';
import { forget } from '../names.js';
import { secretsBox } from './merchants.js';
import { bpsOf, delay, feeRate } from './settlements.js';
import {
  h, card, field, input, select, actionButton, toast, facts, badge, fmtTime, link, copyButton, pageTitle,
} from '../ui.js';

const GRACES = [
  ['0', 'none: the old secret stops now'],
  ['300', '5 minutes'],
  ['3600', '1 hour'],
  ['86400', '24 hours'],
  ['604800', '7 days (the longest)'],
];

/** A problem+json answer in words (code, detail, field errors); null for a success. */
function problemOf(res) {
  if (res.ok) return null;
  const p = explainProblem(res.json);
  if (!p) return h('p', { class: 'problem', 'data-testid': 'settings-problem', text: `HTTP ${res.status || 'no answer'}` });
  return h('div', { class: 'problem', 'data-testid': 'settings-problem' },
    h('strong', { text: p.title }), p.detail ? h('div', { text: p.detail }) : null,
    p.errors.length ? h('ul', {}, p.errors.map((e) => h('li', {}, h('code', { text: e.field }), ` ${e.message}`))) : null);
}

function deliveryFacts(d) {
  return facts([
    ['delivery', h('code', { 'data-testid': 'test-delivery-id', text: d.deliveryId })],
    ['status', h('span', { 'data-testid': 'test-delivery-status' }, badge(d.status, d.status))],
    ['event', d.eventType],
    ['target', h('code', { class: 'small', text: d.targetUrl })],
    ['attempts', `${d.attemptCount}${d.lastError ? ` · last error: ${d.lastError}` : ''}`],
    ['last answer', d.attempts && d.attempts.length ? (() => {
      const a = d.attempts[d.attempts.length - 1];
      return a.statusCode ? badge(`HTTP ${a.statusCode}`, a.statusCode < 300 ? 'ok' : 'error') : badge(a.error || 'error', 'error');
    })() : '—'],
    ['', link(`#/deliveries?status=${d.status}`, 'all deliveries of this status →')],
  ]);
}

function testNotificationCard(clientId) {
  const out = h('div', { class: 'stack', 'data-testid': 'test-notification-result' });
  let stop = false;
  const follow = async (d) => {
    out.replaceChildren(deliveryFacts(d));
    for (let i = 0; i < 30 && !stop && d.status === 'PENDING'; i += 1) {
      await new Promise((r) => setTimeout(r, 1000));
      const res = await adminRaw('GET', `/admin/api/deliveries/${d.deliveryId}`);
      if (!res.ok || !res.json) break;
      d = res.json;
      if (out.isConnected) out.replaceChildren(deliveryFacts(d));
      else stop = true;
    }
  };
  const send = actionButton('Send a test notification', async () => {
    const res = await adminRaw('POST', `/admin/api/merchants/${clientId}/test-notification`);
    if (res.status !== 202) {
      out.replaceChildren(problemOf(res));
      return;
    }
    toast('Test notification queued', 'ok');
    follow(res.json);
  }, { 'data-testid': 'send-test-notification' });
  return card('Test notification  ·  POST …/test-notification',
    h('p', { class: 'muted small', text: 'Queues a signed merchant.test event to the returnUrl, retried like every notification: its delivery shows whether your receiver works.' }),
    h('div', { class: 'row' }, send), out);
}

/**
 * PATCHes merchant `clientId` with `body`: when it is empty, says so in `out`; a refusal is shown
 * in `out`. Whether the change was saved.
 */
async function patchMerchant(clientId, body, out) {
  if (!Object.keys(body).length) {
    out.replaceChildren(h('p', { class: 'muted small', text: 'Nothing changed.' }));
    return false;
  }
  const res = await adminRaw('PATCH', `/admin/api/merchants/${clientId}`, body);
  if (!res.ok) {
    out.replaceChildren(problemOf(res));
    return false;
  }
  return true;
}

function editCard(m, reload) {
  const name = input({ value: m.clientName, maxlength: 100, 'data-testid': 'settings-client-name' });
  const url = input({ value: m.returnUrl || '', placeholder: 'https://shop.example/webhooks/pg', 'data-testid': 'settings-return-url' });
  const out = h('div');
  const save = actionButton('Save', async () => {
    const body = {};
    if (name.value.trim() !== m.clientName) body.clientName = name.value.trim();
    const u = url.value.trim();
    if (u !== (m.returnUrl || '')) body.returnUrl = u === '' ? null : u;
    if (!(await patchMerchant(m.clientId, body, out))) return;
    forget();
    toast('Settings saved', 'ok');
    await reload();
  }, { 'data-testid': 'settings-save' });
  return card('Name and notifications  ·  PATCH /admin/api/merchants/{clientId}',
    h('div', { class: 'row' }, field('clientName', name, '1–100 characters'),
      field('returnUrl', url, 'where notifications are POSTed; empty: none are sent')),
    h('div', { class: 'row' }, save), out);
}

/** Settlement terms (ADMIN only): the fee rate, shown in % with its basis points, and the payout delay. */
function termsCard(m, reload) {
  const rate = input({ type: 'number', min: 0, max: 100, step: '0.01', inputmode: 'decimal', value: (m.feeRateBps / 100).toFixed(2), 'data-testid': 'terms-fee-percent' });
  const bps = h('small', { class: 'hint', 'data-testid': 'terms-fee-bps' });
  const days = input({ type: 'number', min: 0, max: 30, step: 1, value: String(m.settlementDelayDays), 'data-testid': 'terms-delay' });
  const sync = () => {
    const b = bpsOf(rate.value);
    bps.textContent = b === null ? 'empty: unchanged' : Number.isNaN(b) ? 'at most two decimals (0.01 % = 1 bps)' : `= ${b} bps (0–10000)`;
  };
  rate.addEventListener('input', sync);
  sync();
  const out = h('div');
  const save = actionButton('Save terms', async () => {
    const body = {};
    const b = bpsOf(rate.value);
    if (Number.isNaN(b)) {
      out.replaceChildren(h('p', { class: 'problem', 'data-testid': 'settings-problem', text: 'The fee rate takes at most two decimals: 0.01 % is 1 basis point.' }));
      return;
    }
    if (b !== null && b !== m.feeRateBps) body.feeRateBps = b;
    if (days.value.trim() !== '' && Number(days.value) !== m.settlementDelayDays) body.settlementDelayDays = Number(days.value);
    if (!(await patchMerchant(m.clientId, body, out))) return;
    toast('Settlement terms saved', 'ok');
    await reload();
  }, { 'data-testid': 'terms-save' });
  return card('Settlement terms  ·  PATCH /admin/api/merchants/{clientId}',
    h('p', { class: 'muted small', text: 'The fee on each capture (a cancel refunds its share) and how many days after a settlement date its net is paid. A batch keeps the terms it was made with; a change applies to the days settled from now on. Only an ADMIN may change them.' }),
    h('div', { class: 'row' },
      h('label', { class: 'field' }, h('span', { class: 'field-label', text: 'fee rate (%)' }), rate, bps),
      field('payout delay (days)', days, '0–30 days after the settlement date')),
    h('div', { class: 'row' }, save), out);
}

function secretsCard(m, reload) {
  const grace = select(GRACES, { 'data-testid': 'rotate-grace' });
  grace.value = '3600';
  const shown = h('div', { 'data-testid': 'rotation-result' });
  const rotate = actionButton('Rotate client secret', async () => {
    const secs = Number(grace.value);
    const what = secs ? `The old secret keeps working for ${grace.selectedOptions[0].textContent}.` : 'The old secret stops working at once.';
    if (!confirm(`Rotate the client secret of ${m.clientId}? ${what}`)) return;
    const r = await admin('POST', `/admin/api/merchants/${m.clientId}/rotate-secret`, { graceSeconds: secs });
    shown.replaceChildren(secretsBox(r, 'New client secret'));
    await reload(false);
  }, { class: 'danger', 'data-testid': 'rotate-secret' });
  const rotateWebhook = actionButton('Rotate webhook secret', async () => {
    if (!confirm('Rotate the webhook secret? Deliveries carry both signatures for a while.')) return;
    const r = await admin('POST', `/admin/api/merchants/${m.clientId}/rotate-webhook-secret`);
    shown.replaceChildren(secretsBox(r, 'New webhook secret'));
  }, { class: 'secondary', 'data-testid': 'rotate-webhook-secret' });
  return card('Secrets',
    h('p', { class: 'muted small', text: 'A new secret is shown once. With a grace period both the old and the new client secret verify requests until it ends, so your servers can move over one by one.' }),
    h('div', { class: 'row' }, field('grace period', grace, 'how long the old client secret keeps working'), rotate, rotateWebhook),
    shown);
}

function page(main, clientId) {
  const head = h('div', {});
  const summary = h('div', { 'data-testid': 'settings-summary' }, h('p', { class: 'muted', text: 'Loading…' }));
  const parts = h('div', { class: 'stack' });
  main.append(head, card('Merchant', summary), parts);
  let built = false;
  const reload = async (rebuild = true) => {
    const res = await adminRaw('GET', `/admin/api/merchants/${clientId}`);
    if (!res.ok) {
      summary.replaceChildren(problemOf(res));
      return;
    }
    const m = res.json;
    head.replaceChildren(pageTitle(`Integration · ${m.clientName}`, 'name, notifications, secrets, a test notification'));
    summary.replaceChildren(facts([
      ['clientName', h('strong', { 'data-testid': 'settings-name', text: m.clientName })],
      ['clientId', h('span', {}, h('code', { 'data-testid': 'settings-client-id', text: m.clientId }), ' ', copyButton(m.clientId))],
      ['status', badge(m.status, m.status)],
      ['returnUrl', h('span', { 'data-testid': 'settings-return-url-now', text: m.returnUrl || 'none: no notifications are sent' })],
      m.feeRateBps !== undefined ? ['fee rate', h('span', { 'data-testid': 'settings-fee-rate', text: feeRate(m.feeRateBps) })] : null,
      m.settlementDelayDays !== undefined ? ['payout delay', h('span', { 'data-testid': 'settings-delay', text: `${delay(m.settlementDelayDays)} after the settlement date` })] : null,
      m.previousClientSecretValidUntil ? ['previous secret until', fmtTime(m.previousClientSecretValidUntil)] : null,
      ['created / updated', `${fmtTime(m.createdAt)} / ${fmtTime(m.updatedAt)}`],
    ]));
    if (built && !rebuild) return;
    built = true;
    const cards = [];
    if (can('editMerchant')) cards.push(editCard(m, reload));
    if (can('editTerms') && m.feeRateBps !== undefined) cards.push(termsCard(m, reload));
    if (can('rotateSecrets')) cards.push(secretsCard(m, reload));
    if (can('testNotification')) cards.push(testNotificationCard(m.clientId));
    if (!cards.length) {
      cards.push(card(null, h('p', { class: 'muted', 'data-testid': 'settings-read-only', text: `Your role (${role()}) may read these settings but not change them.` })));
    }
    parts.replaceChildren(...cards);
  };
  reload().catch((e) => summary.replaceChildren(h('p', { class: 'problem', text: e.message })));
}

/** #/my/settings: the signed-in merchant user's own merchant. */
export function mySettings(main) {
  return adminGate(main, (m) => page(m, myClientId()));
}

/** #/merchants/{clientId}: one merchant's settings, for the platform roles. */
export function merchantSettings(main, clientId) {
  return adminGate(main, (m) => page(m, clientId));
}
