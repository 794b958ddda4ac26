// Browser test of the console's roles (docs/console.md): sign-in, the lockout after five
// failures, what each role — ADMIN, OPERATOR, VIEWER, MERCHANT_ADMIN, MERCHANT_VIEWER — sees
// and does not see, the CSRF check of a cookie-authenticated change, and a logout that ends the
// session on the server. Users are created with the admin token; screenshots go to
// tests/browser/output/roles/.
import { ROLE_USERS, Suite, absent, navRoutes, same, signInAs, startSeeded, waitFor } from './lib.mjs';

const suite = new Suite('roles');
const PLATFORM_PUBLIC = ['dashboard', 'sandbox', 'flow', 'payments', 'deliveries', 'stats', 'merchants', 'live', 'simulator'];
// Shown to the platform roles once signed in, never signed out.
const MONEY = ['settlements', 'reconciliations'];

/** Goes to `hash` and expects the role's own start page (or the "not for your role" card). */
async function refused(page, base, hash, to) {
  await page.goto(`${base}/console/${hash}`);
  if (to) await page.waitForURL((u) => u.hash === to);
  else await page.getByTestId('not-for-role').waitFor();
}

await suite.run(async () => {
  const { base, data } = await startSeeded(suite);
  const { alpha, beta } = data;
  const step = (name, fn) => suite.step(name, fn);

  await step('signed out: the public pages only, no people or merchant pages, no alert strip', async () => {
    const page = await suite.page('signed out');
    await page.goto(`${base}/console/`);
    await page.getByTestId('sign-in-link').waitFor();
    same('nav', await navRoutes(page), PLATFORM_PUBLIC);
    if (await page.getByTestId('alert-strip').isVisible()) throw new Error('the alert strip is shown signed out');
    await page.context().close();
  });

  await step('login: five wrong passwords lock the account; the sixth try says 429 and when to retry', async () => {
    const email = 'locked@roles.test';
    const r = await suite.admin('POST', '/admin/api/users', { email, role: 'VIEWER', password: 'the right password' });
    if (r.status !== 201) throw new Error(`user: ${r.status}`);
    const page = await suite.page('lockout');
    await page.goto(`${base}/console/#/login`);
    const attempt = async (password) => {
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(password);
      const answer = page.waitForResponse((res) => res.url().endsWith('/auth/login'));
      await page.getByTestId('login-submit').click();
      const status = (await answer).status();
      await waitFor('the error shown', async () => !(await page.getByTestId('login-submit').isDisabled()), 5000, 50);
      return { status, text: (await page.getByTestId('login-error').textContent()).trim() };
    };
    for (let i = 1; i <= 5; i += 1) {
      const a = await attempt(`wrong password ${i}`);
      if (a.status !== 401 || !/password/i.test(a.text)) throw new Error(`attempt ${i}: ${a.status} ${a.text}`);
    }
    const locked = await attempt('the right password');
    if (locked.status !== 429 || !/try again in \d+ s/.test(locked.text)) throw new Error(`locked: ${locked.status} ${locked.text}`);
    if (await page.getByTestId('user-session').count()) throw new Error('signed in while locked');
    const audit = await suite.admin('GET', `/admin/api/audit?action=LOCKED&actor=${encodeURIComponent(email)}`);
    if (audit.json.data.length !== 1) throw new Error(`LOCKED rows: ${audit.text}`);
    await suite.shot(page, '01-locked');
    await page.context().close();
  });

  const admin = await suite.page('ADMIN');
  await step('ADMIN: every page, merchant names beside client ids, the register form, a clear alert strip', async () => {
    await signInAs(admin, base, ROLE_USERS.ADMIN);
    await admin.waitForURL((u) => u.hash === '#/');
    same('nav', await navRoutes(admin), [...PLATFORM_PUBLIC, ...MONEY, 'users', 'audit']);
    if (await suite.hasSummary()) {
      await waitFor('the summary asked', async () => (await admin.getByTestId('alert-strip').getAttribute('data-state')) === 'clear', 5000);
      if (await admin.getByTestId('alert-strip').isVisible()) throw new Error('an alert while nothing is dead or late');
    }
    await admin.goto(`${base}/console/#/payments`);
    const alphaRow = admin.getByTestId('payment-results').locator('tbody tr').filter({ hasText: alpha.clientId });
    await alphaRow.first().getByTestId('client-name').getByText('Alpha Coffee', { exact: true }).waitFor();
    const betaRow = admin.getByTestId('payment-results').locator('tbody tr').filter({ hasText: beta.clientId });
    await betaRow.first().getByTestId('client-name').getByText('Beta Books', { exact: true }).waitFor();
    await admin.goto(`${base}/console/#/deliveries?status=DELIVERED`);
    await admin.getByTestId('delivery-results').getByTestId('client-name').getByText('Beta Books').first().waitFor();
    await suite.shot(admin, '02-admin-deliveries');
    await admin.goto(`${base}/console/#/merchants`);
    await admin.getByTestId('register-merchant').waitFor();
  });

  await step('ADMIN: changes a user\'s role on the users page (within its scope), audited', async () => {
    const email = 'promoted@roles.test';
    const r = await suite.admin('POST', '/admin/api/users', { email, role: 'VIEWER', password: 'the right password' });
    if (r.status !== 201) throw new Error(`user: ${r.status}`);
    await admin.goto(`${base}/console/#/users`);
    const row = admin.getByTestId('users-table').locator('tbody tr').filter({ hasText: email });
    const choice = row.getByTestId('user-role-select');
    await choice.waitFor();
    same('roles offered', await choice.locator('option').allTextContents(), ['ADMIN', 'OPERATOR', 'VIEWER']);
    const answer = admin.waitForResponse((res) => res.url().endsWith(`/admin/api/users/${r.json.userId}`) && res.request().method() === 'PATCH');
    await choice.selectOption('OPERATOR');
    if ((await answer).status() !== 200) throw new Error('the role change was refused');
    const after = await suite.admin('GET', `/admin/api/users/${r.json.userId}`);
    if (after.json.role !== 'OPERATOR') throw new Error(`role: ${after.text}`);
    const audit = await suite.admin('GET', `/admin/api/audit?action=USER_CHANGED&actor=${encodeURIComponent(ROLE_USERS.ADMIN)}`);
    if (!audit.json.data.some((a) => a.target === r.json.userId)) throw new Error(`audit: ${audit.text}`);
  });

  const operator = await suite.page('OPERATOR');
  await step('ADMIN: a merchant\'s users link lists that merchant\'s people only; the filter clears to everyone', async () => {
    await admin.goto(`${base}/console/#/merchants`);
    const alphaRow = admin.getByTestId('merchant-table').locator('tbody tr').filter({ hasText: alpha.clientId });
    await alphaRow.getByRole('link', { name: 'users', exact: true }).click();
    await admin.waitForURL((u) => u.hash === `#/users?clientId=${alpha.clientId}`);
    const emails = async () => (await admin.getByTestId('users-table').getByTestId('user-row-email').allTextContents()).sort();
    await waitFor('alpha\'s people', async () => (await emails()).length === 2, 5000);
    same('alpha\'s people', await emails(), [ROLE_USERS.MERCHANT_ADMIN, ROLE_USERS.MERCHANT_VIEWER].sort());
    await admin.getByTestId('users-filter-client-id').fill('');
    await admin.getByTestId('users-filter').click();
    await waitFor('everyone', async () => (await emails()).includes(ROLE_USERS.ADMIN), 5000);
    if (!(await emails()).includes(ROLE_USERS.MERCHANT_ADMIN)) throw new Error('the merchant users left the full list');
  });

  await step('OPERATOR: no users, audit or registration; cancels, retries, test notifications, live log', async () => {
    await signInAs(operator, base, ROLE_USERS.OPERATOR);
    same('nav', await navRoutes(operator), [...PLATFORM_PUBLIC, ...MONEY]);
    await operator.goto(`${base}/console/#/merchants`);
    await operator.getByTestId('merchant-table').getByText('Beta Books').waitFor();
    await absent(operator.getByTestId('register-merchant'), 'the register form');
    await absent(operator.getByRole('button', { name: /Rotate|Deactivate|Activate/ }), 'merchant admin buttons');
    await operator.goto(`${base}/console/#/merchants/${alpha.clientId}`);
    await operator.getByTestId('send-test-notification').waitFor();
    await absent(operator.getByTestId('settings-save'), 'the settings form');
    await absent(operator.getByTestId('rotate-secret'), 'secret rotation');
    await operator.goto(`${base}/console/#/payments/${data.approved}`);
    await operator.getByTestId('cancel-form').waitFor();
    await operator.goto(`${base}/console/#/deliveries?status=DELIVERED`);
    await operator.getByTestId('retry-delivery').first().waitFor();
    await operator.goto(`${base}/console/#/live`);
    await waitFor('the live connection', async () => /live/.test(await operator.getByTestId('live-conn').textContent()), 10000);
    await refused(operator, base, '#/users');
    await refused(operator, base, '#/audit');
    await suite.shot(operator, '03-operator-refused');
  });

  await step('VIEWER: read only — no cancel, retry, simulator, sandbox or settings changes', async () => {
    const page = await suite.page('VIEWER');
    await signInAs(page, base, ROLE_USERS.VIEWER);
    same('nav', await navRoutes(page), ['dashboard', 'flow', 'payments', 'deliveries', 'stats', 'merchants', 'live', ...MONEY]);
    await page.goto(`${base}/console/#/payments/${data.approved}`);
    await page.getByTestId('detail-status').waitFor();
    await page.getByTestId('cancels-table').waitFor();
    await absent(page.getByTestId('cancel-form'), 'the cancel form');
    await page.goto(`${base}/console/#/deliveries?status=DELIVERED`);
    await page.getByTestId('deliveries-table').locator('tbody tr').first().waitFor();
    await page.getByTestId('delivery-status-badge').first().waitFor();
    await absent(page.getByTestId('retry-delivery'), 'retry buttons');
    await page.goto(`${base}/console/#/merchants/${alpha.clientId}`);
    await page.getByTestId('settings-read-only').waitFor();
    await absent(page.getByTestId('send-test-notification'), 'the test notification');
    await page.goto(`${base}/console/#/flow/${data.approved}`);
    await page.getByTestId('flow-status').getByText('APPROVED').waitFor();
    await absent(page.getByTestId('cancel-form'), 'the flow view\'s cancel form');
    await refused(page, base, '#/simulator');
    await refused(page, base, '#/sandbox');
    await suite.shot(page, '04-viewer');
    await page.context().close();
  });

  await step('MERCHANT_ADMIN: lands on its dashboard and sees its own merchant only', async () => {
    const page = await suite.page('MERCHANT_ADMIN');
    const liveAnswers = [];
    page.on('response', (res) => { if (res.url().endsWith('/admin/api/events')) liveAnswers.push(res.status()); });
    await signInAs(page, base, ROLE_USERS.MERCHANT_ADMIN);
    await page.waitForURL((u) => u.hash === '#/my');
    await page.getByTestId('my-name').getByText('Alpha Coffee').waitFor();
    await waitFor('the live feed asked', async () => liveAnswers.length > 0, 5000);
    same('live feed answer', liveAnswers[0], 403);
    same('nav', await navRoutes(page), ['my', 'settings', 'payouts', 'sandbox', 'flow', 'payments', 'deliveries', 'stats', 'users']);
    await page.goto(`${base}/console/#/payments`);
    await page.getByTestId('payment-results').locator('tbody tr').nth(2).waitFor();
    same('rows', await page.getByTestId('payment-results').locator('tbody tr').count(), 3);
    await absent(page.getByTestId('search-client'), 'the clientId filter');
    await absent(page.getByTestId('payment-results').locator('th', { hasText: /^merchant$/ }), 'the merchant column');
    await page.goto(`${base}/console/#/payments/${beta.keys[0]}`);
    await page.locator('.problem', { hasText: 'PAYMENT_NOT_FOUND' }).waitFor();
    await page.goto(`${base}/console/#/payments/${data.approved}`);
    await page.getByTestId('cancel-form').waitFor();
    for (const hash of ['#/live', '#/merchants', '#/audit', '#/simulator', '#/settlements', '#/reconciliations', '#/']) await refused(page, base, hash, '#/my');
    await suite.shot(page, '05-merchant-admin');
    await page.context().close();
  });

  await step('MERCHANT_VIEWER: its merchant, read only', async () => {
    const page = await suite.page('MERCHANT_VIEWER');
    await signInAs(page, base, ROLE_USERS.MERCHANT_VIEWER);
    await page.waitForURL((u) => u.hash === '#/my');
    same('nav', await navRoutes(page), ['my', 'settings', 'payouts', 'flow', 'payments', 'deliveries', 'stats']);
    await page.goto(`${base}/console/#/my/settings`);
    await page.getByTestId('settings-name').getByText('Alpha Coffee').waitFor();
    await page.getByTestId('settings-read-only').waitFor();
    await absent(page.getByTestId('rotate-secret'), 'secret rotation');
    await absent(page.getByTestId('settings-save'), 'the settings form');
    await page.goto(`${base}/console/#/payments/${data.approved}`);
    await page.getByTestId('detail-status').waitFor();
    await absent(page.getByTestId('cancel-form'), 'the cancel form');
    await page.goto(`${base}/console/#/deliveries`);
    await page.getByTestId('deliveries-table').locator('tbody tr').first().waitFor();
    await absent(page.getByTestId('retry-delivery'), 'retry buttons');
    for (const hash of ['#/users', '#/sandbox', '#/live']) await refused(page, base, hash, '#/my');
    await suite.shot(page, '06-merchant-viewer');
    await page.context().close();
  });

  await step('CSRF: a change with the session cookie but no X-CSRF-Token is refused (403 CSRF_CHECK_FAILED)', async () => {
    const path = `/admin/api/merchants/${alpha.clientId}/test-notification`;
    const without = await operator.evaluate(async (p) => {
      const res = await fetch(p, { method: 'POST', credentials: 'same-origin' });
      return { status: res.status, body: await res.json() };
    }, path);
    if (without.status !== 403 || without.body.code !== 'CSRF_CHECK_FAILED') throw new Error(`without the header: ${JSON.stringify(without)}`);
    const withHeader = await operator.evaluate(async (p) => {
      const { csrfToken } = JSON.parse(sessionStorage.getItem('simplepg.login'));
      const res = await fetch(p, { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrfToken } });
      return res.status;
    }, path);
    same('with the header', withHeader, 202);
  });

  await step('logout: the session ends on the server (GET /auth/me 401, the old cookie too)', async () => {
    const cookie = (await admin.context().cookies()).find((c) => c.name === 'simplepg_session');
    if (!cookie) throw new Error('no session cookie');
    await admin.getByTestId('logout').click();
    await admin.waitForURL((u) => u.hash === '#/login');
    await admin.getByTestId('login-form').waitFor();
    same('nav after logout', await navRoutes(admin), PLATFORM_PUBLIC);
    same('GET /auth/me in the page', await admin.evaluate(async () => (await fetch('/auth/me')).status), 401);
    const replay = await fetch(`${base}/auth/me`, { headers: { Cookie: `simplepg_session=${cookie.value}` } });
    same('GET /auth/me with the old cookie', replay.status, 401);
    const kept = await admin.evaluate(() => JSON.stringify(sessionStorage));
    if (kept.includes('csrfToken')) throw new Error(`sessionStorage still holds the session: ${kept}`);
  });
});
