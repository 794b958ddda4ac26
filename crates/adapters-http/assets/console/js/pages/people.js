// People: the users page (list, create, disable / enable, unlock) for an ADMIN — every user — and
// for a MERCHANT_ADMIN — its own merchant's people — and the operator audit log (ADMIN only: who
// signed in, failed, was locked, created or changed a user or a merchant), through the admin API.
import { admin, query } from '../api.js';
import { adminGate } from '../gate.js';
import { can, isMerchantRole, myClientId, ROLES, MERCHANT_ROLES, PLATFORM_ROLES } from '../roles.js';
import { h, card, field, input, select, button, actionButton, toast, table, badge, fmtTime, hashQuery, isoFromLocal, pager, pageTitle } from '../ui.js';

function notAllowed(main) {
  main.append(card('Not for your role', h('p', { class: 'muted', text: 'Only an ADMIN (or, for its own merchant\'s people, a MERCHANT_ADMIN) sees this page.' })));
}

function isLocked(u) {
  return !!(u.lockedUntil && new Date(u.lockedUntil).getTime() > Date.now());
}

/**
 * The user's role, changeable within its scope (a platform user among the platform roles, a
 * merchant user among the merchant roles: PATCH {role}); the change ends the user's sessions. The
 * server refuses what the caller may not do (403) and the last enabled ADMIN's demotion (409).
 */
function roleControl(u, patch) {
  const roles = MERCHANT_ROLES.includes(u.role) ? MERCHANT_ROLES : PLATFORM_ROLES;
  const choice = select(roles, { class: 'small', 'data-testid': 'user-role-select', 'aria-label': `role of ${u.email}` });
  choice.value = u.role;
  choice.addEventListener('change', async () => {
    const next = choice.value;
    choice.disabled = true;
    try {
      await patch(u, { role: next }, `is now ${next} (signed out everywhere)`);
    } catch (e) {
      choice.value = u.role;
      toast(e.message, 'error');
    } finally {
      choice.disabled = false;
    }
  });
  return choice;
}

function usersPage(main) {
  if (!can('users')) return notAllowed(main);
  // A MERCHANT_ADMIN manages its own merchant's people only.
  const own = isMerchantRole() ? myClientId() : null;
  const email = input({ type: 'email', placeholder: 'person@example.com', 'data-testid': 'user-email-new' });
  const role = select(own ? MERCHANT_ROLES : ROLES, { 'data-testid': 'user-role-new' });
  const clientId = input({ placeholder: 'mch_… (merchant roles only)', value: own || '', 'data-testid': 'user-client-id' });
  const password = input({ type: 'password', autocomplete: 'new-password', 'data-testid': 'user-password' });
  const clientField = field('clientId', clientId, 'the merchant of a merchant role');
  const syncClient = () => { clientField.hidden = !!own || !MERCHANT_ROLES.includes(role.value); };
  role.addEventListener('change', syncClient);
  syncClient();
  const list = h('div', { 'data-testid': 'users-table' });
  // An ADMIN may narrow the list to one merchant's people (#/users?clientId=…, the merchants
  // page links there); a MERCHANT_ADMIN's list is its merchant's already.
  const ofMerchant = input({ placeholder: 'mch_… (empty: everyone)', value: own ? '' : (hashQuery().get('clientId') || ''), 'data-testid': 'users-filter-client-id' });
  const patch = async (u, body, what) => {
    await admin('PATCH', `/admin/api/users/${u.userId}`, body);
    toast(`${u.email} ${what}`, 'ok');
    listing.reload();
  };
  const listing = pager(list,
    (after) => admin('GET', `/admin/api/users${query({ clientId: own ? '' : ofMerchant.value.trim(), limit: 50, startingAfter: after })}`),
    (page) => table([
      { label: 'email', render: (u) => h('span', { 'data-testid': 'user-row-email', text: u.email }) },
      { label: 'role', render: (u) => roleControl(u, patch) },
      { label: 'merchant', render: (u) => (u.clientId ? h('code', { text: u.clientId }) : h('span', { class: 'muted', text: '—' })) },
      { label: 'status', render: (u) => h('span', {},
        u.disabled ? badge('DISABLED', 'error') : badge('ENABLED', 'ok'),
        isLocked(u) ? h('div', { class: 'small muted', text: `locked until ${fmtTime(u.lockedUntil)}` }) : null,
        u.totpEnabled ? h('div', { class: 'small muted', text: 'second factor on' }) : null) },
      { label: 'created', render: (u) => fmtTime(u.createdAt) },
      { label: 'actions', render: (u) => h('div', { class: 'row' },
        u.disabled
          ? actionButton('Enable', () => patch(u, { disabled: false }, 'enabled'), { class: 'small', 'data-testid': 'enable-user' })
          : actionButton('Disable', () => patch(u, { disabled: true }, 'disabled'), { class: 'small danger', 'data-testid': 'disable-user' }),
        isLocked(u) ? actionButton('Unlock', () => patch(u, { unlock: true }, 'unlocked'), { class: 'small secondary', 'data-testid': 'unlock-user' }) : null) },
    ], page.data),
    (u) => u.userId);
  main.append(pageTitle('Users', own ? 'The people of your merchant who sign in to the console' : 'People who sign in to the console'));
  main.append(card('Create a user  ·  POST /admin/api/users',
    h('div', { class: 'row wrap' }, field('email', email), field('role', role), clientField, field('password', password, '12–1024 characters; give it to the person, it is not shown again')),
    h('div', { class: 'row' }, actionButton('Create', async () => {
      const body = { email: email.value.trim(), role: role.value, password: password.value };
      if (MERCHANT_ROLES.includes(role.value)) body.clientId = clientId.value.trim();
      const u = await admin('POST', '/admin/api/users', body);
      password.value = '';
      email.value = '';
      toast(`Created ${u.email} (${u.role})`, 'ok');
      listing.reload();
    }, { 'data-testid': 'create-user' }))));
  const shown = () => listing.reload().catch((e) => toast(e.message, 'error'));
  ofMerchant.addEventListener('keydown', (e) => { if (e.key === 'Enter') shown(); });
  main.append(card(own ? 'All users' : 'Users  ·  GET /admin/api/users',
    own ? null : h('div', { class: 'row' }, field('merchant', ofMerchant, 'one merchant\'s people'), button('Show', shown, { 'data-testid': 'users-filter' })),
    h('div', { class: 'row' }, actionButton('Refresh', () => listing.reload(), { class: 'secondary small' })), list));
  listing.reload().catch((e) => toast(e.message, 'error'));
  return undefined;
}

const ACTIONS = ['', 'LOGIN', 'LOGIN_FAILED', 'LOCKED', 'LOGIN_LOCKED', 'TOTP_REQUIRED', 'LOGOUT', 'TOTP_ENROLLED', 'TOTP_ENABLED', 'USER_CREATED', 'USER_CHANGED',
  'MERCHANT_REGISTERED', 'MERCHANT_UPDATED', 'CLIENT_SECRET_ROTATED', 'WEBHOOK_SECRET_ROTATED', 'MERCHANT_ACTIVATED', 'MERCHANT_DEACTIVATED',
  'PAYMENT_CANCEL', 'DELIVERY_RETRY', 'TEST_NOTIFICATION', 'SIMULATOR_WEBHOOK', 'SIMULATOR_MOCK_REQUEST', 'SETTLEMENT_RUN', 'RECONCILE', 'RECONCILIATION_DISCREPANCY'];

function auditPage(main) {
  if (!can('audit')) return notAllowed(main);
  const actor = input({ placeholder: 'email, token or cli', 'data-testid': 'audit-actor' });
  const action = select(ACTIONS.map((a) => [a, a || 'any action']), { 'data-testid': 'audit-action' });
  const from = input({ type: 'datetime-local', 'data-testid': 'audit-from' });
  const to = input({ type: 'datetime-local', 'data-testid': 'audit-to' });
  const list = h('div', { 'data-testid': 'audit-table' });
  const listing = pager(list,
    (after) => admin('GET', `/admin/api/audit${query({
      actor: actor.value.trim(), action: action.value, from: isoFromLocal(from.value), to: isoFromLocal(to.value), limit: 50, startingAfter: after,
    })}`),
    (page) => table([
      { label: 'at', render: (a) => fmtTime(a.at) },
      { label: 'actor', render: (a) => h('span', {}, a.actor, a.role ? h('div', { class: 'small muted', text: a.role }) : null) },
      { label: 'action', render: (a) => h('code', { 'data-testid': 'audit-row-action', text: a.action }) },
      { label: 'target', render: (a) => (a.target ? h('code', { class: 'small', text: a.target }) : '—') },
      { label: 'outcome', render: (a) => badge(a.outcome, a.outcome === 'SUCCESS' ? 'ok' : 'error') },
      { label: 'ip', render: (a) => h('span', { class: 'small', text: a.ip || '—' }) },
      { label: 'request', render: (a) => h('code', { class: 'small', text: a.requestId || '—' }) },
    ], page.data),
    (a) => a.auditId);
  const search = () => listing.reload().catch((e) => toast(e.message, 'error'));
  main.append(pageTitle('Audit log', 'Sign-ins, failures, locks and user changes; nothing here can be changed'));
  main.append(card('Filter  ·  GET /admin/api/audit',
    h('div', { class: 'row wrap' }, field('actor', actor), field('action', action), field('from', from, 'inclusive'), field('to', to, 'exclusive')),
    h('div', { class: 'row' }, button('Search', search, { 'data-testid': 'audit-search' }))));
  main.append(card('Entries', list));
  search();
  return undefined;
}

export function users(main) {
  return adminGate(main, usersPage);
}

export function audit(main) {
  return adminGate(main, auditPage);
}
