// The console shell: hash routing, the navigation each role may use, the session bar and the
// alert strip.
import { session, restoreLogin, logout } from './api.js';
import { h, clear, button, toast, card } from './ui.js';
import { adminGate } from './gate.js';
import { applyNav, can, home, isMerchantRole, myClientId, probeLive, role } from './roles.js';
import * as alerts from './alerts.js';
import * as dashboard from './pages/dashboard.js';
import * as sandbox from './pages/sandbox.js';
import * as flow from './pages/flow.js';
import * as simulator from './pages/simulator.js';
import * as live from './pages/live.js';
import * as backoffice from './pages/backoffice.js';
import * as merchantsPage from './pages/merchants.js';
import * as settings from './pages/settings.js';
import * as statsPage from './pages/stats.js';
import * as my from './pages/my.js';
import * as people from './pages/people.js';
import * as settlementsPage from './pages/settlements.js';
import * as reconciliationsPage from './pages/reconciliations.js';
import * as account from './pages/account.js';

// [name, path, render, need]: `need` is what roles.can() must allow once someone is signed in
// (null: any page anyone may see).
const ROUTES = [
  ['dashboard', /^\/?$/, dashboard.render, 'dashboard'],
  ['login', /^\/login$/, login, null],
  ['account', /^\/account$/, account.render, null],
  ['my', /^\/my$/, my.render, 'my'],
  ['settings', /^\/my\/settings$/, settings.mySettings, 'my'],
  ['payouts', /^\/my\/payouts(?:\/(stl_[0-9a-f]{32}))?$/, settlementsPage.payouts, 'payouts'],
  ['sandbox', /^\/sandbox$/, sandbox.render, 'sandbox'],
  ['flow', /^\/flow(?:\/([0-9a-f]{64}))?$/, flow.render, 'flow'],
  ['simulator', /^\/simulator$/, simulator.render, 'simulator'],
  ['live', /^\/live$/, live.render, 'live'],
  ['merchants', /^\/merchants$/, merchantsPage.merchants, 'merchants'],
  ['merchants', /^\/merchants\/(mch_[0-9a-f]{32})$/, settings.merchantSettings, 'merchants'],
  ['payments', /^\/payments(?:\/([0-9a-f]{64}))?$/, backoffice.payments, 'payments'],
  ['deliveries', /^\/deliveries$/, backoffice.deliveries, 'deliveries'],
  ['stats', /^\/stats$/, statsPage.stats, 'stats'],
  ['users', /^\/users$/, people.users, 'users'],
  ['audit', /^\/audit$/, people.audit, 'audit'],
  ['settlements', /^\/settlements(?:\/(stl_[0-9a-f]{32}))?$/, settlementsPage.settlements, 'settlements'],
  ['reconciliations', /^\/reconciliations(?:\/(rcn_[0-9A-Za-z_-]+))?$/, reconciliationsPage.reconciliations, 'reconciliations'],
];

let cleanup = null;

/** #/login: the sign-in forms; once signed in, the role's own start page. */
function login(main) {
  if (session.signedIn()) {
    go(home());
    return undefined;
  }
  return adminGate(main, () => {});
}

function notForRole(main) {
  main.append(card('Not for your role', h('p', { class: 'muted', 'data-testid': 'not-for-role' },
    `Your role (${role()}) may not use this page. `, h('a', { href: home(), text: 'Back to your start page' }))));
}

function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, '').split('?')[0]) || '/';
  const main = document.getElementById('main');
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch { /* page already gone */ }
  }
  cleanup = null;
  clear(main);
  alerts.refresh(false);
  const found = ROUTES.find(([, re]) => re.test(path));
  if (!found) {
    main.append(h('section', { class: 'card' }, h('h2', { text: 'Not found' }), h('p', {}, 'No console page at ', h('code', { text: path }), '.')));
    return;
  }
  const [name, re, render, need] = found;
  // A role that must confirm a second factor first is held on its account page (the server
  // would answer 403 TOTP_ENROLLMENT_REQUIRED everywhere else).
  if (session.mustEnrollTotp() && name !== 'account') {
    go('#/account');
    return;
  }
  // A merchant user starts on its own dashboard; a page outside a role is not shown at all.
  if (need && session.signedIn() && !can(need)) {
    if ((isMerchantRole() || name === 'dashboard') && location.hash !== home()) {
      go(home());
      return;
    }
    notForRole(main);
    return;
  }
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.route === name);
  }
  document.body.dataset.page = name;
  const params = path.match(re).slice(1);
  try {
    cleanup = render(main, ...params) || null;
  } catch (e) {
    toast(String(e), 'error');
  }
}

function signOutButton(action) {
  return button('Log out', async () => {
    await action();
    toast('Signed out');
    go('#/login');
  }, { class: 'small secondary', 'data-testid': 'logout' });
}

function renderSession() {
  const box = document.getElementById('session');
  clear(box);
  const user = session.user();
  // A merchant user's sandbox holds its own merchant's credentials, never another's.
  const m = session.merchant();
  if (m && isMerchantRole() && m.clientId !== myClientId()) session.clearMerchant();
  if (can('sandbox') || !session.signedIn()) {
    const mm = session.merchant();
    box.append(h('span', { class: 'pill', title: 'Merchant credentials used by the sandbox (kept in this tab only)' },
      'Sandbox: ', mm && mm.clientId ? h('code', { text: mm.clientId }) : h('em', { text: 'none' })));
  }
  if (session.adminToken()) {
    box.append(h('span', { class: 'pill pill-ok', 'data-testid': 'admin-session' }, 'Operator signed in'),
      signOutButton(() => { session.clearMerchant(); session.clearAdminToken(); }));
  } else if (user) {
    box.append(h('span', { class: 'pill pill-ok who', 'data-testid': 'user-session' },
      h('a', { href: '#/account', 'data-testid': 'user-email', title: 'Your account and two-step sign-in', text: user.email }), ' · ', h('code', { 'data-testid': 'user-role', text: user.role }),
      user.clientId ? h('span', {}, ' · ', h('code', { 'data-testid': 'user-client', text: user.clientId })) : null),
    signOutButton(() => logout()));
  } else {
    box.append(h('span', { class: 'pill' }, 'Signed out'),
      h('a', { class: 'pill pill-link', href: '#/login', 'data-testid': 'sign-in-link', text: 'Sign in' }));
  }
  applyNav(document.getElementById('nav'));
  alerts.sync();
  probeLive().then((changed) => { if (changed) applyNav(document.getElementById('nav')); });
}

/** Shows `target` (a hash), routing again even when it is already the current one. */
function go(target) {
  if (location.hash === target) route(); else location.replace(target);
}

window.addEventListener('hashchange', route);
// After a sign-in: a merchant user lands on its own dashboard; anyone else stays on the page.
window.addEventListener('simplepg:signed-in', () => {
  const onLogin = location.hash.startsWith('#/login');
  go(onLogin || isMerchantRole() ? home() : location.hash || '#/');
});
window.addEventListener('simplepg:session', renderSession);
window.addEventListener('simplepg:admin-rejected', () => {
  if (session.adminToken()) {
    session.clearAdminToken();
    toast('The admin token was refused; sign in again.', 'error');
  } else if (session.user()) {
    session.clearLogin();
    toast('The session ended; sign in again.', 'error');
  }
});

renderSession();
// A session whose cookie the browser still has (a reload, a new tab) is picked up again.
if (session.adminToken()) {
  route();
} else {
  restoreLogin().finally(route);
}
