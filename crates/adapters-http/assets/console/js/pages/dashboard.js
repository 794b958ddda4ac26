// Dashboard: server status from /ready and /health, payment counts by status, navigation.
import { admin, probe, session } from '../api.js';
import { can, isMerchantRole } from '../roles.js';
import { h, card, badge, STATUSES, fmtAmount, link } from '../ui.js';

function tile(label, value, sub, cls) {
  return h('div', { class: `tile ${cls || ''}` }, h('div', { class: 'label', text: label }), h('div', { class: 'value', text: value }), sub ? h('div', { class: 'sub', text: sub }) : null);
}

export function render(main) {
  main.append(h('div', { class: 'page-title' }, h('h1', { text: 'Dashboard' }),
    h('span', { class: 'muted', text: 'SimplePG payment gateway — server status and activity at a glance' })));
  const status = h('div', { 'data-testid': 'server-status' }, h('p', { class: 'muted', text: 'Checking /ready …' }));
  const counts = h('div', { 'data-testid': 'status-counts' });
  main.append(h('div', { class: 'grid' }, card('Server', status), card('Payments by status', counts)));
  // Signed out every entry is shown (each page asks for a sign-in); signed in, those of the role.
  const may = (need) => !session.signedIn() || can(need);
  const places = [
    ['sandbox', '#/sandbox', 'Merchant sandbox', 'Act as a merchant: requests signed in this browser with HMAC-SHA256, create / look up / complete / cancel payments, a JSON request tester.'],
    ['flow', '#/flow', 'Webhook flow', 'One payment from creation to merchant notification, built from its audit log and deliveries, live.'],
    ['live', '#/live', 'Live log', 'Every audit row and delivery attempt of every merchant as it happens (Server-Sent Events).'],
    ['payments', '#/payments', 'Back office', 'Payment search, deliveries with manual retry, statistics, merchants and their settings.'],
    ['simulator', '#/simulator', 'Acquirer simulator', 'Send a signed success or failure webhook for a READY payment, or a raw request to the mock acquirer.'],
  ].filter(([need]) => may(need));
  main.append(card('Where to go',
    h('div', { class: 'grid' }, places.map(([, href, label, text]) => h('div', {}, h('h3', {}, link(href, label)), h('p', { class: 'muted', text }))))));

  (async () => {
    const [ready, health] = await Promise.all([probe('/ready'), probe('/health')]);
    const r = ready.json || {};
    const up = ready.status === 200;
    status.replaceChildren(
      h('div', { class: 'tiles' },
        tile('Readiness', up ? 'READY' : (ready.status ? `HTTP ${ready.status}` : 'DOWN'), up ? 'database reachable and migrated' : (r.detail || 'not ready'), up ? 'ok' : 'bad'),
        tile('Version', r.version || (health.json && health.json.version) || '—'),
        tile('Profile', r.profile || '—'),
        tile('Database', r.database ? `${r.database.status}` : '—', r.database ? r.database.store : '')),
      h('p', { class: 'small muted' }, 'GET /ready answered ', badge(String(ready.status), ready.status === 200 ? 'ok' : 'error'), ` in ${ready.ms} ms; GET /health ${health.status}.`));
  })();

  (async () => {
    if (!session.signedIn() || isMerchantRole()) {
      counts.replaceChildren(h('p', { class: 'muted' }, 'Counts come from GET /admin/api/stats: ', link('#/stats', 'sign in as operator'), ' to see them.'));
      return;
    }
    try {
      const s = await admin('GET', '/admin/api/stats');
      const t = s.totals;
      counts.replaceChildren(
        h('div', { class: 'tiles' },
          tile('All payments', String(t.count)),
          tile('Approval rate', t.approvalRate === null ? '—' : `${(t.approvalRate * 100).toFixed(1)}%`, `${t.approved} of ${t.decided} decided`),
          STATUSES.map((st) => {
            const f = t.byStatus[st] || { count: 0, amounts: {} };
            const amounts = Object.entries(f.amounts).map(([c, a]) => fmtAmount(a, c)).join(', ');
            return h('div', { class: 'tile', 'data-status': st }, h('div', { class: 'label' }, badge(st, st)), h('div', { class: 'value', text: String(f.count) }), h('div', { class: 'sub', text: amounts || '—' }));
          })),
        h('p', { class: 'small' }, link('#/stats', 'Statistics per day and merchant →')));
    } catch (e) {
      counts.replaceChildren(h('p', { class: 'muted', text: e.message }));
    }
  })();
}
