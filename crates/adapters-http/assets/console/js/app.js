// The console shell: hash routing, navigation and the session bar.
import { session, restoreLogin, logout } from './api.js';
import { h, clear, button, toast } from './ui.js';
import * as dashboard from './pages/dashboard.js';
import * as sandbox from './pages/sandbox.js';
import * as flow from './pages/flow.js';
import * as simulator from './pages/simulator.js';
import * as live from './pages/live.js';
import * as backoffice from './pages/backoffice.js';
import * as people from './pages/people.js';

const ROUTES = [
  ['dashboard', /^\/?$/, dashboard.render],
  ['sandbox', /^\/sandbox$/, sandbox.render],
  ['flow', /^\/flow(?:\/([0-9a-f]{64}))?$/, flow.render],
  ['simulator', /^\/simulator$/, simulator.render],
  ['live', /^\/live$/, live.render],
  ['merchants', /^\/merchants$/, backoffice.merchants],
  ['payments', /^\/payments(?:\/([0-9a-f]{64}))?$/, backoffice.payments],
  ['deliveries', /^\/deliveries$/, backoffice.deliveries],
  ['stats', /^\/stats$/, backoffice.stats],
  ['users', /^\/users$/, people.users],
  ['audit', /^\/audit$/, people.audit],
];

let cleanup = null;

function route() {
  const path = decodeURIComponent(location.hash.replace(/^#/, '').split('?')[0]) || '/';
  const main = document.getElementById('main');
  if (typeof cleanup === 'function') {
    try { cleanup(); } catch { /* page already gone */ }
  }
  cleanup = null;
  clear(main);
  const found = ROUTES.find(([, re]) => re.test(path));
  if (!found) {
    main.append(h('section', { class: 'card' }, h('h2', { text: 'Not found' }), h('p', {}, 'No console page at ', h('code', { text: path }), '.')));
    return;
  }
  const [name, re, render] = found;
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

function renderSession() {
  const box = document.getElementById('session');
  clear(box);
  const m = session.merchant();
  box.append(h('span', { class: 'pill', title: 'Merchant credentials used by the sandbox (kept in this tab only)' },
    'Merchant: ', m && m.clientId ? h('code', { text: m.clientId }) : h('em', { text: 'none' })));
  const user = session.user();
  if (session.adminToken()) {
    box.append(h('span', { class: 'pill pill-ok', 'data-testid': 'admin-session' }, 'Operator signed in'),
      button('Log out', () => {
        session.clearAdminToken();
        toast('Signed out');
        route();
      }, { class: 'small secondary', 'data-testid': 'logout' }));
  } else if (user) {
    box.append(h('span', { class: 'pill pill-ok who', 'data-testid': 'user-session' },
      h('span', { 'data-testid': 'user-email', text: user.email }), ' · ', h('code', { 'data-testid': 'user-role', text: user.role })),
    button('Log out', async () => {
      await logout();
      toast('Signed out');
      route();
    }, { class: 'small secondary', 'data-testid': 'logout' }));
  } else {
    box.append(h('span', { class: 'pill' }, 'Operator: signed out'));
  }
  // The people pages are for an ADMIN only.
  for (const el of document.querySelectorAll('#nav [data-admin-only]')) el.hidden = !session.isAdmin();
}

window.addEventListener('hashchange', route);
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
