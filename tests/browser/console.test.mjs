// Browser test of the SimplePG console: Playwright (playwright-core) drives Debian's Chromium,
// headless, against the real `simplepg` binary on a fresh MariaDB database.
//
//   register a merchant in the back office → create a payment in the sandbox → watch it become
//   APPROVED in the flow view and the live log (and the merchant notified) → complete it →
//   cancel another → approve a third with the acquirer simulator → see the statistics change →
//   cancel part of a payment in the sandbox (200), ask for more than is left (409), cancel part
//   of one the acquirer answers late in the flow view (202, then settled), have one refused in
//   the back office (502), cancel on the merchant's behalf, and do it all again 420 px wide →
//   sign in as a person (a wrong password explained, then the right one), create a user, see it
//   in the audit log, log out.
//
// Screenshots go to tests/browser/output/console/. Exits non-zero on any failure; the database is
// dropped at the end either way. Environment: see lib.mjs.
import { ADMIN_TOKEN, Suite, fitsWidth, text, waitFor } from './lib.mjs';

const suite = new Suite('console');
const { notifications } = suite;
const step = (name, fn) => suite.step(name, fn);
const shot = (page, name) => suite.shot(page, name);
const watch = (page, label) => suite.watch(page, label);

async function signIn(page) {
  await page.getByTestId('admin-token').fill(ADMIN_TOKEN);
  await page.getByTestId('admin-login-submit').click();
  await page.getByTestId('admin-session').waitFor();
}

async function statsNumbers(page) {
  await page.getByTestId('stats-total').waitFor();
  const num = async (id) => Number((await page.getByTestId(id).locator('.value').textContent()).trim());
  return {
    total: Number((await page.getByTestId('stats-total').textContent()).trim()),
    rate: (await page.getByTestId('stats-rate').textContent()).trim(),
    APPROVED: await num('stats-APPROVED'),
    COMPLETED: await num('stats-COMPLETED'),
    CANCELED: await num('stats-CANCELED'),
    READY: await num('stats-READY'),
  };
}

async function main() {
  let base;
  let returnUrl;
  await step('server starts on a fresh database and is ready', async () => {
    // A cancel the acquirer leaves unanswered is handed to the outbox sooner.
    base = await suite.start({ SIMPLEPG__ACQUIRER__CANCEL_TIMEOUT_MS: '500' });
    returnUrl = `${suite.receiverUrl}/webhooks/pg`;
  });

  const context = await suite.browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  watch(page, 'console');

  await step('dashboard shows the server status', async () => {
    await page.goto(`${base}/console/`);
    await page.getByTestId('server-status').getByText('READY', { exact: true }).waitFor();
    await page.getByTestId('server-status').getByText('test', { exact: true }).waitFor();
    await shot(page, '01-dashboard');
  });

  await step('operator signs in; statistics start empty', async () => {
    await page.goto(`${base}/console/#/stats`);
    await signIn(page);
    const s = await statsNumbers(page);
    if (s.total !== 0) throw new Error(`expected no payments yet, got ${JSON.stringify(s)}`);
  });

  let clientId;
  await step('register a merchant in the back office on its own terms (secrets shown once)', async () => {
    await page.goto(`${base}/console/#/merchants`);
    await page.getByTestId('merchant-name').fill('Browser Coffee');
    await page.getByTestId('merchant-return-url').fill(returnUrl);
    await page.getByTestId('merchant-fee-percent').fill('1.75');
    await page.getByTestId('merchant-delay').fill('0');
    await page.getByTestId('register-merchant').click();
    await page.getByTestId('secrets').waitFor();
    clientId = (await page.getByTestId('new-client-id').textContent()).trim();
    const secret = (await page.getByTestId('new-client-secret').textContent()).trim();
    if (!/^mch_[0-9a-f]{32}$/.test(clientId) || !secret.startsWith('sk_')) throw new Error(`unexpected credentials ${clientId} ${secret}`);
    await page.getByTestId('merchant-table').getByText(clientId).waitFor();
    await page.getByTestId('merchant-table').locator('tbody tr').filter({ hasText: clientId }).getByTestId('merchant-terms').getByText('1.75 % · same day').waitFor();
    await shot(page, '02-merchant-registered');
    await page.getByTestId('use-in-sandbox').click();
    await page.waitForURL(/#\/sandbox$/);
    if ((await page.getByTestId('client-id').inputValue()) !== clientId) throw new Error('the sandbox did not take the new credentials');
  });

  // The live log in a second tab (sessionStorage is per tab: it signs in on its own).
  const livePage = await context.newPage();
  watch(livePage, 'live log');
  await step('live log connects (Server-Sent Events)', async () => {
    await livePage.goto(`${base}/console/#/live`);
    await signIn(livePage);
    await waitFor('the live connection', async () => /live/.test(await livePage.getByTestId('live-conn').textContent()), 10000);
  });

  let approvedKey;
  await step('create a payment in the sandbox (signed in the browser)', async () => {
    await page.bringToFront();
    await page.getByText('signer OK').waitFor();
    await page.getByTestId('amount').fill('15000');
    await page.getByTestId('create-payment').click();
    await waitFor('201', async () => (await page.getByTestId('exchange-status').textContent()).trim() === '201', 10000);
    approvedKey = (await page.getByTestId('created').getByTestId('payment-key').textContent()).trim();
    if (!/^[0-9a-f]{64}$/.test(approvedKey)) throw new Error(`bad payment key ${approvedKey}`);
    await shot(page, '03-sandbox-created');
  });

  await step('the flow view shows it APPROVED and the merchant notified', async () => {
    await page.getByTestId('created').getByText('open the webhook flow').click();
    await page.waitForURL(new RegExp(`#/flow/${approvedKey}$`));
    await page.getByTestId('flow-status').getByText('APPROVED').waitFor({ timeout: 20000 });
    await page.locator('[data-stage="Sent to acquirer"][data-state="done"]').waitFor();
    await page.locator('[data-stage="Webhook received"][data-state="done"]').waitFor();
    await page.locator('[data-stage="Approved"][data-state="done"]').waitFor();
    await page.locator('[data-stage="Merchant notified"][data-state="done"]').waitFor({ timeout: 20000 });
    await page.getByTestId('timeline').locator('[data-testid="audit-APPROVE"]').waitFor();
    const deadline = (await page.getByTestId('authorization-expires-at').textContent()).trim();
    if (!/in 6 d 23 h|in 7 d/.test(deadline)) throw new Error(`the authorization deadline reads ${deadline}`);
    await shot(page, '04-flow-approved');
  });

  await step('the live log shows the approval', async () => {
    await livePage.bringToFront();
    const row = livePage.getByTestId('live-audit').filter({ hasText: 'APPROVE' }).filter({ hasText: approvedKey.slice(0, 10) });
    await row.first().waitFor({ timeout: 20000 });
    await livePage.getByTestId('live-attempt').first().waitFor();
    await shot(livePage, '05-live-log');
  });

  await step('complete it in the sandbox', async () => {
    await page.bringToFront();
    await page.goto(`${base}/console/#/sandbox`);
    await page.getByTestId('action-key').fill(approvedKey);
    await page.getByTestId('complete').click();
    await waitFor('200', async () => (await page.getByTestId('exchange-status').textContent()).trim() === '200', 10000);
    await page.getByTestId('current-payment').getByText('COMPLETED').waitFor();
    await shot(page, '06-completed');
  });

  await step('a refused request is explained (complete again: 409)', async () => {
    await page.getByTestId('complete').click();
    await page.getByTestId('problem').getByText('INVALID_STATE_TRANSITION').waitFor();
  });

  let canceledKey;
  await step('cancel another payment', async () => {
    await page.getByTestId('amount').fill('16002');
    await page.getByTestId('create-payment').click();
    await waitFor('201', async () => (await page.getByTestId('exchange-status').textContent()).trim() === '201', 10000);
    canceledKey = (await page.getByTestId('created').getByTestId('payment-key').textContent()).trim();
    if ((await page.getByTestId('action-key').inputValue()) !== canceledKey) throw new Error('the new key was not picked up');
    await page.getByTestId('cancel-reason').fill('customer changed their mind');
    await page.getByTestId('cancel').click();
    await page.getByTestId('current-payment').getByText('CANCELED').waitFor();
    await shot(page, '07-canceled');
  });

  await step('the acquirer simulator approves a READY payment', async () => {
    await page.getByTestId('amount').fill('17002');
    await page.getByTestId('create-payment').click();
    await waitFor('201', async () => (await page.getByTestId('exchange-status').textContent()).trim() === '201', 10000);
    const key = (await page.getByTestId('created').getByTestId('payment-key').textContent()).trim();
    await page.goto(`${base}/console/#/simulator`);
    await page.getByTestId('sim-key').fill(key);
    await page.getByTestId('sim-outcome').selectOption('APPROVED');
    await page.getByTestId('sim-send').click();
    await waitFor('the simulator answer', async () => (await page.getByTestId('sim-status').textContent()).trim() === '200', 10000);
    await page.getByTestId('sim-result').getByText('APPLIED').first().waitFor();
    await shot(page, '08-simulator');
  });

  await step('statistics changed: 3 payments, 1 completed, 1 approved, 1 canceled, 100% approval', async () => {
    await page.goto(`${base}/console/#/stats`);
    const s = await waitFor('the new numbers', async () => {
      await page.getByTestId('stats-refresh').click();
      const n = await statsNumbers(page);
      return n.total === 3 ? n : null;
    }, 10000, 500);
    const expected = { total: 3, rate: '100.0%', APPROVED: 1, COMPLETED: 1, CANCELED: 1, READY: 0 };
    for (const [k, v] of Object.entries(expected)) {
      if (s[k] !== v) throw new Error(`stats ${k}: expected ${v}, got ${s[k]} (${JSON.stringify(s)})`);
    }
    await page.getByTestId('stats-chart').locator('svg rect').first().waitFor();
    const net = (await page.getByTestId('stats-net-KRW').textContent()).trim();
    if (!/^[\d,]+ KRW$/.test(net)) throw new Error(`the net amount reads ${net}`);
    await shot(page, '09-statistics');
  });

  await step('payment search and detail show the audit trail and deliveries', async () => {
    await page.goto(`${base}/console/#/payments`);
    await page.getByTestId('search-client').fill(clientId);
    await page.getByTestId('search-payments').click();
    await page.getByTestId('payment-results').locator('tbody tr').nth(2).waitFor();
    await page.goto(`${base}/console/#/payments/${approvedKey}`);
    await page.getByTestId('audit-table').getByText('COMPLETE', { exact: true }).waitFor();
    await shot(page, '10-payment-detail');
  });

  await step('the merchant backend received the notifications', async () => {
    await waitFor('payment.completed', async () => notifications.some((n) => n.type === 'payment.completed' && n.data.paymentKey === approvedKey), 15000);
    if (!notifications.some((n) => n.type === 'payment.approved' && n.data.paymentKey === approvedKey)) throw new Error('no payment.approved notification');
  });

  // ---- money movement: partial cancels -------------------------------------------------------

  const adminGet = async (p) => (await fetch(`${base}${p}`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
  const waitStatus = (key, status) => waitFor(`${key.slice(0, 10)} to be ${status}`,
    async () => (await adminGet(`/admin/api/payments/${key}`)).status === status, 20000);
  const outcome = page.getByTestId('cancel-outcome');
  const waitOutcome = async (kind) => {
    await page.locator(`[data-testid="cancel-outcome"][data-outcome="${kind}"]`).waitFor();
    return text(outcome);
  };

  /** Creates a payment of `amount` in the sandbox, waits for its approval and completes it. */
  async function completedInSandbox(amount) {
    await page.goto(`${base}/console/#/sandbox`);
    const created = page.getByTestId('created').getByTestId('payment-key');
    const before = (await created.count()) ? await text(created) : '';
    await page.getByTestId('amount').fill(String(amount));
    await page.getByTestId('create-payment').click();
    const key = await waitFor('a new payment', async () => {
      const now = (await created.count()) ? await text(created) : '';
      return now && now !== before ? now : null;
    }, 10000, 100);
    await waitStatus(key, 'APPROVED');
    await page.getByTestId('complete').click();
    await waitFor(`${key.slice(0, 10)} completed in the sandbox`, async () => (await text(page.getByTestId('current-payment').getByTestId('payment-key'))) === key
      && (await page.getByTestId('current-payment').locator('.badge', { hasText: /^COMPLETED$/ }).count()) === 1, 10000);
    return key;
  }

  let partKey;
  await step('a partial cancel in the sandbox is done (200) and shows its cancel and the balance', async () => {
    partKey = await completedInSandbox(15000);
    const amount = page.getByTestId('cancel-amount');
    if ((await amount.inputValue()) !== '15000') throw new Error(`the amount defaults to ${await amount.inputValue()}, not the cancelableAmount`);
    await amount.fill('5000');
    await page.getByTestId('cancel-reason').fill('one item returned');
    await page.getByTestId('cancel').click();
    const said = await waitOutcome('done');
    if (!/PARTIAL_CANCELED/.test(said) || !/10,000 KRW still cancelable/.test(said)) throw new Error(`outcome: ${said}`);
    if ((await text(page.getByTestId('exchange-status'))) !== '200') throw new Error('not a 200');
    const current = page.getByTestId('current-payment');
    await current.locator('.badge', { hasText: /^PARTIAL_CANCELED$/ }).first().waitFor();
    const row = current.getByTestId('cancels-table').locator('tbody tr').filter({ hasText: 'one item returned' });
    await row.locator('.badge', { hasText: /^SUCCEEDED$/ }).waitFor();
    if (!/^cnl_/.test(await text(row.locator('code').first()))) throw new Error('no cancelId');
    if ((await text(current.getByTestId('cancelable-amount'))) !== '10,000 KRW') throw new Error('the balance is wrong');
    if ((await text(current.getByTestId('canceled-amount'))) !== '5,000 KRW') throw new Error('the canceled amount is wrong');
    if ((await amount.inputValue()) !== '10000') throw new Error('the amount does not default to what is left');
    await shot(page, '11-partial-cancel');
  });

  await step('more than is left is explained with the problem (409 CANCEL_AMOUNT_EXCEEDED)', async () => {
    await page.getByTestId('cancel-amount').fill('20000');
    await page.getByTestId('cancel').click();
    const said = await waitOutcome('exceeded');
    await page.getByTestId('problem').getByText('CANCEL_AMOUNT_EXCEEDED').waitFor();
    const detail = await text(page.getByTestId('problem').locator('div').first());
    if (!detail || !said.includes(detail)) throw new Error(`the outcome (${said}) does not carry the problem's detail (${detail})`);
    if ((await text(page.getByTestId('current-payment').getByTestId('cancelable-amount'))) !== '10,000 KRW') throw new Error('the balance changed');
  });

  await step('a cancel the acquirer answers late is pending (202) in the flow view, then settles', async () => {
    const key = await completedInSandbox(15008); // …008: the acquirer answers 503 twice
    await page.goto(`${base}/console/#/flow/${key}`);
    await page.getByTestId('flow-status').getByText('COMPLETED', { exact: true }).waitFor();
    await waitFor('the default amount', async () => (await page.getByTestId('cancel-amount').inputValue()) === '15008', 5000);
    await page.getByTestId('cancel-amount').fill('3000');
    await page.getByTestId('cancel').click();
    const said = await waitOutcome('pending');
    if (!/PENDING/.test(said) || !/cnl_/.test(said)) throw new Error(`outcome: ${said}`);
    await page.getByTestId('flow-status').getByText('PARTIAL_CANCELED', { exact: true }).waitFor({ timeout: 20000 });
    await page.getByTestId('flow-cancels').locator('.badge', { hasText: /^SUCCEEDED$/ }).waitFor();
    if ((await text(page.getByTestId('flow-cancels').getByTestId('cancelable-amount'))) !== '12,008 KRW') throw new Error('the flow balance is wrong');
    await page.getByTestId('timeline').locator('[data-testid="attempt-ACQUIRER_CANCEL"]').first().waitFor();
    await shot(page, '12-flow-pending-settled');
  });

  await step('the back office: a refused cancel is explained (502) and stays FAILED in the cancels', async () => {
    const key = await completedInSandbox(15007); // …007: the acquirer refuses every cancel
    await page.goto(`${base}/console/#/payments/${key}`);
    await waitFor('the default amount', async () => (await page.getByTestId('cancel-amount').inputValue()) === '15007', 5000);
    await page.getByTestId('cancel-amount').fill('4000');
    await page.getByTestId('cancel').click();
    const said = await waitOutcome('refused');
    if (!/502/.test(said) || !/FAILED cancel stays/.test(said)) throw new Error(`outcome: ${said}`);
    const row = page.getByTestId('cancels-table').locator('tbody tr').first();
    await row.locator('.badge', { hasText: /^FAILED$/ }).waitFor();
    await row.getByText('CANCEL_REFUSED').waitFor();
    if ((await text(page.getByTestId('cancelable-amount'))) !== '15,007 KRW') throw new Error('the refused amount was not released');
    await shot(page, '13-backoffice-refused');
  });

  await step('the back office cancels part on the merchant\'s behalf (actor ADMIN)', async () => {
    await page.goto(`${base}/console/#/payments/${partKey}`);
    await waitFor('the default amount', async () => (await page.getByTestId('cancel-amount').inputValue()) === '10000', 5000);
    await page.getByTestId('cancel-amount').fill('2500');
    await page.getByTestId('cancel-reason').fill('goodwill');
    await page.getByTestId('cancel').click();
    await waitOutcome('done');
    await waitFor('the new balance', async () => (await text(page.getByTestId('cancelable-amount'))) === '7,500 KRW', 5000);
    const row = page.getByTestId('audit-table').locator('tbody tr').filter({ hasText: 'PARTIAL_CANCEL' }).filter({ hasText: 'ADMIN' });
    await row.first().waitFor();
    if ((await page.getByTestId('cancels-table').locator('tbody tr').count()) !== 2) throw new Error('two cancels expected');
  });

  await step('420 px wide: the back office cancel form, the sandbox and the flow view stay usable', async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    await page.goto(`${base}/console/#/payments/${partKey}`);
    await waitFor('the default amount', async () => (await page.getByTestId('cancel-amount').inputValue()) === '7500', 5000);
    await fitsWidth(page, 'the payment detail');
    for (const id of ['cancel-amount', 'cancel-reason', 'cancel']) {
      const b = await page.getByTestId(id).boundingBox();
      if (!b || b.x < 0 || b.x + b.width > 420 || b.width < 60) throw new Error(`${id} is not usable at 420 px: ${JSON.stringify(b)}`);
    }
    await page.getByTestId('cancel').click(); // the rest: 7,500
    await waitOutcome('done');
    await waitFor('CANCELED', async () => (await page.locator('.badge', { hasText: /^CANCELED$/ }).count()) > 0, 5000);
    await shot(page, '14-narrow-backoffice');
    await page.goto(`${base}/console/#/sandbox`);
    await page.getByTestId('cancel-form').waitFor();
    await fitsWidth(page, 'the sandbox');
    await shot(page, '15-narrow-sandbox');
    await page.goto(`${base}/console/#/flow/${partKey}`);
    await page.getByTestId('flow-cancels').getByTestId('cancels-table').waitFor();
    await page.getByTestId('flow-status').getByText('CANCELED', { exact: true }).waitFor();
    await fitsWidth(page, 'the flow view');
    await shot(page, '16-narrow-flow');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step('the merchant backend was told of each partial cancel and of the last one', async () => {
    const of = (type) => notifications.filter((n) => n.type === type && n.data.paymentKey === partKey);
    await waitFor('payment.canceled', async () => of('payment.canceled').length === 1, 15000);
    if (of('payment.partially_canceled').length !== 2) throw new Error(`${of('payment.partially_canceled').length} payment.partially_canceled`);
    const last = of('payment.canceled')[0].data;
    if (last.canceledAmount !== 15000 || last.cancels.length !== 3) throw new Error(`payment.canceled carries ${JSON.stringify(last)}`);
  });

  await step('log out', async () => {
    await page.goto(`${base}/console/#/payments`);
    await page.getByTestId('logout').click();
    await page.getByTestId('admin-login').waitFor();
  });

  const adminEmail = 'admin@browser.test';
  const adminPassword = 'correct horse battery staple';
  await step('an ADMIN user is created through the API with the admin token', async () => {
    const res = await fetch(`${base}/admin/api/users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: adminEmail, role: 'ADMIN', password: adminPassword }),
    });
    if (res.status !== 201) throw new Error(`POST /admin/api/users: ${res.status} ${await res.text()}`);
  });

  await step('a wrong password is explained on the sign-in form and the people pages stay hidden', async () => {
    await page.goto(`${base}/console/#/users`);
    await page.getByTestId('login-form').waitFor();
    if (await page.locator('#nav a[data-route="users"]').isVisible()) throw new Error('Users is in the nav while signed out');
    await page.getByTestId('login-email').fill(adminEmail);
    await page.getByTestId('login-password').fill('not the password at all');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    const text = await page.getByTestId('login-error').textContent();
    if (!/password/i.test(text)) throw new Error(`the login error says ${JSON.stringify(text)}`);
    if (await page.getByTestId('user-session').count()) throw new Error('signed in with a wrong password');
    await shot(page, '17-login-failed');
  });

  await step('the ADMIN signs in with email and password and sees the users page', async () => {
    await page.getByTestId('login-password').fill(adminPassword);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('user-session').waitFor();
    if ((await page.getByTestId('user-email').textContent()) !== adminEmail) throw new Error('another email shown');
    if ((await page.getByTestId('user-role').textContent()) !== 'ADMIN') throw new Error('another role shown');
    await page.locator('#nav a[data-route="users"]').waitFor();
    await page.getByTestId('users-table').getByText(adminEmail, { exact: true }).waitFor();
    const kept = await page.evaluate(() => JSON.stringify(sessionStorage));
    if (kept.includes(adminPassword)) throw new Error('the password is kept in sessionStorage');
    if (!kept.includes('csrfToken')) throw new Error(`no csrfToken kept: ${kept}`);
  });

  await step('the ADMIN creates an OPERATOR user (a change by cookie with X-CSRF-Token)', async () => {
    await page.getByTestId('user-email-new').fill('operator@browser.test');
    await page.getByTestId('user-role-new').selectOption('OPERATOR');
    await page.getByTestId('user-password').fill('another long password');
    await page.getByTestId('create-user').click();
    await page.getByTestId('users-table').getByText('operator@browser.test', { exact: true }).waitFor();
    await shot(page, '18-users');
  });

  await step('a reload keeps the session (GET /auth/me)', async () => {
    await page.evaluate(() => sessionStorage.removeItem('simplepg.login'));
    await page.reload();
    await page.getByTestId('user-session').waitFor();
    await page.getByTestId('users-table').getByText('operator@browser.test', { exact: true }).waitFor();
  });

  await step('the audit log shows USER_CREATED by the ADMIN, filtered by action', async () => {
    await page.goto(`${base}/console/#/audit`);
    await page.getByTestId('audit-table').getByText('LOGIN', { exact: true }).first().waitFor();
    await page.getByTestId('audit-action').selectOption('USER_CREATED');
    await page.getByTestId('audit-actor').fill(adminEmail);
    await page.getByTestId('audit-search').click();
    await waitFor('only USER_CREATED rows', async () => {
      const actions = await page.getByTestId('audit-row-action').allTextContents();
      return actions.length === 1 && actions[0] === 'USER_CREATED';
    }, 5000);
    await shot(page, '19-audit');
  });

  await step('420 px wide: the users and audit pages stay usable', async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    await page.goto(`${base}/console/#/users`);
    await page.getByTestId('users-table').getByText('operator@browser.test', { exact: true }).waitFor();
    await fitsWidth(page, 'the users page');
    const b = await page.getByTestId('create-user').boundingBox();
    if (!b || b.x < 0 || b.x + b.width > 420) throw new Error(`create-user is not usable at 420 px: ${JSON.stringify(b)}`);
    await page.goto(`${base}/console/#/audit`);
    await page.getByTestId('audit-search').waitFor();
    await fitsWidth(page, 'the audit page');
    await shot(page, '20-narrow-users');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step('the ADMIN logs out: the session ends on the server', async () => {
    await page.goto(`${base}/console/#/users`);
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    const me = await page.evaluate(async () => (await fetch('/auth/me')).status);
    if (me !== 401) throw new Error(`GET /auth/me after logout: ${me}`);
    if (await page.locator('#nav a[data-route="users"]').isVisible()) throw new Error('Users is in the nav after logout');
  });
}

await suite.run(main);
