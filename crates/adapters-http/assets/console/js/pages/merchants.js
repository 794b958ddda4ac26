// Merchants (platform roles): the list for everyone of the platform; registering, rotating
// secrets, activating and deactivating for an ADMIN; each merchant's settings page
// (#/merchants/{clientId}) for the rest. Secrets are shown once, in `secretsBox`.
import { admin, session } from '../api.js';
import { adminGate } from '../gate.js';
import { can } from '../roles.js';
import { forget } from '../names.js';
import { bpsOf, delay, payoutWhen, percent } from './settlements.js';
import {
  h, card, field, input, button, actionButton, toast, table, badge, fmtTime, link, copyButton, pager, pageTitle,
} from '../ui.js';

/** The secrets of a registration or a rotation, shown this once, with copy buttons. */
export function secretsBox(m, what) {
  const rows = [];
  if (m.clientSecret) rows.push(['Client secret', m.clientSecret, 'client-secret']);
  if (m.webhookSecret) rows.push(['Webhook secret', m.webhookSecret, 'webhook-secret']);
  return h('div', { class: 'secret-box', 'data-testid': 'secrets' },
    h('strong', { text: `${what} — shown this once only. Copy them now.` }),
    h('div', { class: 'secret' }, h('span', { text: 'Client id' }), h('code', { 'data-testid': 'new-client-id', text: m.clientId }), copyButton(m.clientId)),
    rows.map(([label, value, id]) => h('div', { class: 'secret' }, h('span', { text: label }), h('code', { 'data-testid': `new-${id}`, text: value }), copyButton(value))),
    m.previousClientSecretValidUntil ? h('p', { class: 'small', 'data-testid': 'previous-secret-until', text: `The previous client secret keeps working until ${fmtTime(m.previousClientSecretValidUntil)}.` }) : null,
    m.clientSecret && !m.previousClientSecretValidUntil && !m.webhookSecret ? h('p', { class: 'small', text: 'The previous client secret stopped working now.' }) : null,
    m.previousWebhookSecretValidUntil ? h('p', { class: 'small', text: `Deliveries carry the old signature too until ${fmtTime(m.previousWebhookSecretValidUntil)}.` }) : null,
    m.clientSecret && can('sandbox') ? h('div', { class: 'row' }, button('Use in the sandbox', () => {
      session.setMerchant({ clientId: m.clientId, clientSecret: m.clientSecret });
      location.hash = '#/sandbox';
    }, { class: 'secondary', 'data-testid': 'use-in-sandbox' })) : null);
}

function actions(m, shown, listing) {
  const admins = can('activateMerchant');
  return h('div', { class: 'row' },
    admins ? actionButton('Rotate secret', async () => {
      if (!confirm(`Rotate the client secret of ${m.clientId}? The old one stops working at once.`)) return;
      const r = await admin('POST', `/admin/api/merchants/${m.clientId}/rotate-secret`);
      shown.replaceChildren(secretsBox(r, 'New client secret'));
    }, { class: 'small secondary' }) : null,
    admins ? actionButton('Rotate webhook secret', async () => {
      const r = await admin('POST', `/admin/api/merchants/${m.clientId}/rotate-webhook-secret`);
      shown.replaceChildren(secretsBox(r, 'New webhook secret'));
    }, { class: 'small secondary' }) : null,
    admins && m.status === 'ACTIVE'
      ? actionButton('Deactivate', async () => { await admin('POST', `/admin/api/merchants/${m.clientId}/deactivate`); toast(`${m.clientId} deactivated`); listing.reload(); }, { class: 'small danger' })
      : null,
    admins && m.status !== 'ACTIVE'
      ? actionButton('Activate', async () => { await admin('POST', `/admin/api/merchants/${m.clientId}/activate`); toast(`${m.clientId} activated`, 'ok'); listing.reload(); }, { class: 'small' })
      : null,
    link(`#/merchants/${m.clientId}`, 'settings'), ' ',
    link(`#/payments?clientId=${m.clientId}`, 'payments'), ' ',
    can('settlements') ? link(`#/settlements?clientId=${m.clientId}`, 'settlements') : null, ' ',
    can('users') ? link(`#/users?clientId=${m.clientId}`, 'users') : null);
}

function merchantsPage(main) {
  const shown = h('div', {});
  const list = h('div', { 'data-testid': 'merchant-table' });
  const listing = pager(list,
    (after) => admin('GET', `/admin/api/merchants?limit=20${after ? `&startingAfter=${after}` : ''}`),
    (page) => table([
      { label: 'client id', render: (m) => h('code', { text: m.clientId }) },
      { label: 'name', render: (m) => m.clientName },
      { label: 'return URL', render: (m) => m.returnUrl || h('span', { class: 'muted', text: 'none (no notifications)' }) },
      { label: 'status', render: (m) => badge(m.status, m.status) },
      { label: 'fee · payout', render: (m) => (m.feeRateBps === undefined ? '—' : h('span', { class: 'small', 'data-testid': 'merchant-terms', text: `${percent(m.feeRateBps)} · ${delay(m.settlementDelayDays)}` })) },
      { label: 'created', render: (m) => fmtTime(m.createdAt) },
      { label: 'actions', render: (m) => actions(m, shown, listing) },
    ], page.data),
    (m) => m.clientId);
  main.append(pageTitle('Merchants', can('registerMerchant') ? 'Register, rotate secrets, activate and deactivate' : 'Every merchant; open one for its settings'));
  if (can('registerMerchant')) {
    const name = input({ placeholder: 'e.g. Coffee shop', 'data-testid': 'merchant-name' });
    const returnUrl = input({ placeholder: 'https://shop.example/webhooks/pg (optional)', 'data-testid': 'merchant-return-url' });
    const rate = input({ type: 'number', min: 0, max: 100, step: '0.01', inputmode: 'decimal', placeholder: 'default', 'data-testid': 'merchant-fee-percent' });
    const days = input({ type: 'number', min: 0, max: 30, step: 1, placeholder: '2', 'data-testid': 'merchant-delay' });
    main.append(card('Register a merchant  ·  POST /admin/api/merchants',
      h('div', { class: 'row' }, field('clientName', name, '1–100 characters'), field('returnUrl', returnUrl, 'where payment notifications are POSTed')),
      h('div', { class: 'row' }, field('fee rate (%)', rate, 'on each capture; empty: the configured default'),
        field('payout delay (days)', days, '0–30 after the settlement date; empty: 2')),
      h('div', { class: 'row' }, actionButton('Register', async () => {
        const body = { clientName: name.value.trim() };
        if (returnUrl.value.trim()) body.returnUrl = returnUrl.value.trim();
        const bps = bpsOf(rate.value);
        if (Number.isNaN(bps)) throw new Error('The fee rate takes at most two decimals: 0.01 % is 1 basis point.');
        if (bps !== null) body.feeRateBps = bps;
        if (days.value.trim() !== '') body.settlementDelayDays = Number(days.value);
        const m = await admin('POST', '/admin/api/merchants', body);
        shown.replaceChildren(secretsBox(m, `Registered ${m.clientName} (fee ${percent(m.feeRateBps)}, paid ${payoutWhen(m.settlementDelayDays)})`));
        name.value = '';
        returnUrl.value = '';
        rate.value = '';
        days.value = '';
        forget();
        toast(`Registered ${m.clientId}`, 'ok');
        listing.reload();
      }, { 'data-testid': 'register-merchant' })),
      shown));
  } else {
    main.append(shown);
  }
  main.append(card('All merchants', h('div', { class: 'row' }, actionButton('Refresh', () => listing.reload(), { class: 'secondary small' })), list));
  listing.reload().catch((e) => toast(e.message, 'error'));
}

export function merchants(main) {
  return adminGate(main, merchantsPage);
}
