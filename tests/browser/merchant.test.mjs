// Browser test of the merchant dashboard (docs/console.md): a MERCHANT_ADMIN lands on #/my
// (figures, daily charts of volume and approval rate, latest payments and notifications),
// searches and exports its payments, cancels part of one, renames its merchant and points its
// notifications at a failing receiver, sends a test notification that goes DEAD, sees the alert
// strip pick it up on its 30-second poll, follows it to the deliveries and retries it, rotates
// its client secret with a grace period (both secrets then work), adds a person to its team; an
// OPERATOR sees the same DEAD delivery with the merchant's new name; and all of it at 420 px.
// Screenshots go to tests/browser/output/merchant/.
import { readFileSync } from 'node:fs';
import { ROLE_USERS, Suite, fitsWidth, same, signInAs, startSeeded, text, waitFor } from './lib.mjs';

const suite = new Suite('merchant');

await suite.run(async () => {
  const { base, data } = await startSeeded(suite);
  const { alpha } = data;
  let retriedAt;
  const step = (name, fn) => suite.step(name, fn);
  const page = await suite.page('MERCHANT_ADMIN');
  page.on('dialog', (d) => d.accept()); // the rotation asks for a confirmation

  await step('MERCHANT_ADMIN lands on #/my: its figures and the daily charts of volume and approval rate', async () => {
    await signInAs(page, base, ROLE_USERS.MERCHANT_ADMIN);
    await page.waitForURL((u) => u.hash === '#/my');
    same('name', await text(page.getByTestId('my-name')), 'Alpha Coffee');
    same('client id', await text(page.getByTestId('my-client-id')), alpha.clientId);
    await page.getByTestId('my-count').locator('.value', { hasText: /^3$/ }).waitFor();
    same('approval rate', await text(page.getByTestId('my-rate').locator('.value')), '66.7%'); // 2 approved of 3 decided
    await page.getByTestId('stats-chart').locator('svg rect').first().waitFor();
    await page.getByTestId('stats-volume-KRW').locator('svg rect').first().waitFor();
    await page.getByTestId('stats-volume-KRW').locator('svg circle').first().waitFor(); // the approval rate
    await page.getByTestId('my-recent-payments').locator('tbody tr').nth(2).waitFor();
    await page.getByTestId('my-deliveries').getByText('payment.approved').first().waitFor();
    await suite.shot(page, '01-my-dashboard');
  });

  await step('payments: search, export as CSV, detail, and a partial cancel of its own (actor MERCHANT)', async () => {
    await page.goto(`${base}/console/#/payments`);
    await page.getByTestId('search-status').selectOption('COMPLETED');
    await page.getByTestId('search-payments').click();
    await waitFor('one COMPLETED payment', async () => (await page.getByTestId('payment-results').locator('tbody tr').count()) === 1
      && (await page.getByTestId('payment-results').locator('.badge', { hasText: /^COMPLETED$/ }).count()) === 1, 5000);
    await page.getByTestId('search-status').selectOption('');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    if (!csv[0].startsWith('paymentKey,clientId,orderNo,status')) throw new Error(`CSV header: ${csv[0]}`);
    same('CSV rows', csv.length - 1, 3);
    if (!csv.slice(1).every((row) => row.includes(alpha.clientId))) throw new Error('another merchant\'s payment in the CSV');
    await page.goto(`${base}/console/#/payments/${data.completed}`);
    await waitFor('the default amount', async () => (await page.getByTestId('cancel-amount').inputValue()) === '15000', 5000);
    await page.getByTestId('cancel-amount').fill('5000');
    await page.getByTestId('cancel-reason').fill('one bag returned');
    await page.getByTestId('cancel').click();
    await page.locator('[data-testid="cancel-outcome"][data-outcome="done"]').waitFor();
    await page.getByTestId('detail-status').getByText('PARTIAL_CANCELED').waitFor();
    await page.getByTestId('audit-table').locator('tbody tr').filter({ hasText: 'PARTIAL_CANCEL' }).filter({ hasText: 'MERCHANT' }).first().waitFor();
    same('still cancelable', await text(page.getByTestId('cancelable-amount')), '10,000 KRW');
    await suite.shot(page, '02-partial-cancel');
  });

  await step('statistics: its own figures with the charts, no per-merchant part', async () => {
    await page.goto(`${base}/console/#/stats`);
    same('total', await text(page.getByTestId('stats-total')), '3');
    await page.getByTestId('stats-volume-KRW').locator('svg rect').first().waitFor();
    if (await page.getByTestId('stats-client').count()) throw new Error('a clientId filter');
    if (await page.getByRole('heading', { name: 'Per merchant' }).count()) throw new Error('a per-merchant part');
  });

  await step('integration settings: rename, and send notifications to a receiver that fails', async () => {
    await page.goto(`${base}/console/#/my/settings`);
    await page.getByTestId('settings-client-name').fill('Alpha Coffee Roasters');
    await page.getByTestId('settings-return-url').fill(`${suite.receiverUrl}/fail`);
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-name').getByText('Alpha Coffee Roasters').waitFor();
    const m = (await suite.admin('GET', `/admin/api/merchants/${alpha.clientId}`)).json;
    same('stored', [m.clientName, m.returnUrl], ['Alpha Coffee Roasters', `${suite.receiverUrl}/fail`]);
    await page.getByTestId('settings-return-url').fill('not a url');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-problem').getByText('VALIDATION_FAILED').waitFor();
  });

  await step('a test notification to the failing receiver goes DEAD; the alert strip shows it on its next poll', async () => {
    const hasSummary = await suite.hasSummary();
    const polls = [];
    page.on('request', (r) => { if (r.url().endsWith('/admin/api/deliveries/summary')) polls.push(Date.now()); });
    await page.getByTestId('send-test-notification').click();
    await page.getByTestId('test-delivery-status').getByText('DEAD').waitFor({ timeout: 30000 });
    const deadAt = Date.now();
    if (!hasSummary) return;
    // No navigation from here: only the 30-second poll can bring the news.
    await page.getByTestId('alert-dead').waitFor({ timeout: 40000 });
    if (!polls.some((t) => t >= deadAt)) throw new Error('the strip changed without a poll');
    if (!/^1 dead delivery/.test(await text(page.getByTestId('alert-dead')))) throw new Error(await text(page.getByTestId('alert-dead')));
    await suite.shot(page, '03-alert-strip');
  });

  await step('the alert leads to the DEAD deliveries, where the MERCHANT_ADMIN retries it', async () => {
    if (await page.getByTestId('alert-dead').count()) await page.getByTestId('alert-dead').click();
    else await page.goto(`${base}/console/#/deliveries?status=DEAD`);
    await page.waitForURL((u) => u.hash === '#/deliveries?status=DEAD');
    same('status filter', await page.getByTestId('delivery-status').inputValue(), 'DEAD');
    const row = page.getByTestId('deliveries-table').locator('tbody tr').filter({ hasText: 'merchant.test' });
    await row.first().waitFor();
    same('rows', await page.getByTestId('deliveries-table').locator(':scope > tbody > tr').count(), 1);
    retriedAt = new Date().toISOString();
    await row.getByTestId('retry-delivery').click();
    await page.locator('.toast', { hasText: 'Redelivery queued' }).waitFor();
  });

  await step('rotating the client secret with a one-hour grace shows the new secret once; both secrets work', async () => {
    await page.goto(`${base}/console/#/my/settings`);
    await page.getByTestId('rotate-grace').selectOption('3600');
    await page.getByTestId('rotate-secret').click();
    const secret = await text(page.getByTestId('new-client-secret'));
    if (!secret.startsWith('sk_') || secret === alpha.clientSecret) throw new Error(`new secret ${secret}`);
    await page.getByTestId('previous-secret-until').waitFor();
    const old = await suite.merchant(alpha, 'GET', '/api/payments');
    const fresh = await suite.merchant({ clientId: alpha.clientId, clientSecret: secret }, 'GET', '/api/payments');
    same('old and new secret', [old.status, fresh.status], [200, 200]);
    await suite.shot(page, '04-rotated');
    await page.reload();
    await page.getByTestId('settings-name').waitFor();
    if (await page.getByTestId('new-client-secret').count()) throw new Error('the secret is shown again');
  });

  await step('its people: merchant roles only, and a new MERCHANT_VIEWER of its own merchant', async () => {
    await page.goto(`${base}/console/#/users`);
    same('roles offered', await page.getByTestId('user-role-new').locator('option').allTextContents(), ['MERCHANT_ADMIN', 'MERCHANT_VIEWER']);
    if (await page.getByTestId('user-client-id').isVisible()) throw new Error('the clientId field is shown');
    await page.getByTestId('users-table').getByText(ROLE_USERS.MERCHANT_VIEWER, { exact: true }).waitFor();
    if (await page.getByTestId('users-table').getByText(ROLE_USERS.OPERATOR).count()) throw new Error('a platform user is listed');
    await page.getByTestId('user-email-new').fill('clerk@alpha.test');
    await page.getByTestId('user-role-new').selectOption('MERCHANT_VIEWER');
    await page.getByTestId('user-password').fill('another long password');
    await page.getByTestId('create-user').click();
    await page.getByTestId('users-table').getByText('clerk@alpha.test', { exact: true }).waitFor();
    const users = (await suite.admin('GET', `/admin/api/users?clientId=${alpha.clientId}`)).json.data;
    same('the clerk', users.filter((u) => u.email === 'clerk@alpha.test').map((u) => [u.role, u.clientId]), [['MERCHANT_VIEWER', alpha.clientId]]);
  });

  await step('the sandbox acts for its own merchant only', async () => {
    await page.goto(`${base}/console/#/sandbox`);
    same('client id', await page.getByTestId('client-id').inputValue(), alpha.clientId);
    if (!(await page.getByTestId('client-id').getAttribute('readonly') !== null)) throw new Error('the client id can be changed');
  });

  await step('an OPERATOR sees the DEAD delivery too, with the merchant\'s new name', async () => {
    // After the retry it is PENDING for a few seconds, then DEAD again (the receiver still fails).
    await waitFor('the test notification DEAD again', async () => (await suite.admin('GET', '/admin/api/deliveries?status=DEAD')).json.data
      .some((d) => d.eventType === 'merchant.test' && d.updatedAt > retriedAt), 30000, 500);
    const operator = await suite.page('OPERATOR');
    await signInAs(operator, base, ROLE_USERS.OPERATOR);
    if (await suite.hasSummary()) await operator.getByTestId('alert-dead').waitFor();
    await operator.goto(`${base}/console/#/deliveries?status=DEAD`);
    const row = operator.getByTestId('deliveries-table').locator('tbody tr').filter({ hasText: 'merchant.test' }).first();
    await row.getByTestId('client-name').getByText('Alpha Coffee Roasters').waitFor({ timeout: 20000 });
    await suite.shot(operator, '05-operator-dead');
    await operator.setViewportSize({ width: 420, height: 900 });
    await operator.goto(`${base}/console/#/payments`);
    await operator.getByTestId('payment-results').getByTestId('client-name').first().waitFor();
    await fitsWidth(operator, 'the operator\'s payments');
    await operator.context().close();
  });

  await step('420 px wide: the dashboard, settings, payments, deliveries, users and the alert strip fit', async () => {
    await page.setViewportSize({ width: 420, height: 900 });
    for (const [hash, ready] of [
      ['#/my', 'my-recent-payments'], ['#/my/settings', 'rotate-secret'], ['#/payments', 'payment-results'],
      ['#/deliveries', 'deliveries-table'], ['#/stats', 'stats-chart'], ['#/users', 'create-user'],
    ]) {
      await page.goto(`${base}/console/${hash}`);
      await page.getByTestId(ready).first().waitFor();
      await page.waitForTimeout(200); // names and charts fill in
      await fitsWidth(page, hash);
      if (hash === '#/my') await suite.shot(page, '06-narrow-my');
    }
    await page.goto(`${base}/console/#/my/settings`);
    await page.getByTestId('rotate-secret').waitFor();
    for (const id of ['rotate-grace', 'rotate-secret', 'send-test-notification', 'settings-save']) {
      const b = await page.getByTestId(id).boundingBox();
      if (!b || b.x < 0 || b.x + b.width > 420 || b.width < 40) throw new Error(`${id} is not usable at 420 px: ${JSON.stringify(b)}`);
    }
    if (await suite.hasSummary()) {
      const b = await page.getByTestId('alert-strip').boundingBox();
      if (!b || b.width > 420) throw new Error(`the alert strip at 420 px: ${JSON.stringify(b)}`);
    }
    await suite.shot(page, '07-narrow-settings');
  });
});
