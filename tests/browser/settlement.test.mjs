// Browser test of the settlement views (docs/console.md): captures and a cancel are made through
// the API and moved to yesterday in the database (a black-box test cannot pay on a past day; the
// daily run is off so the day waits for the ADMIN); an ADMIN changes a merchant's settlement
// terms in its merchant page, sees the run of today refused (409 SETTLEMENT_DATE_NOT_OVER),
// settles yesterday (2 batches, then a second run creates nothing), filters the batches by
// merchant and date, opens one with its lines and downloads its CSV; a VIEWER reads them without
// the run form; a MERCHANT_ADMIN sees its own payouts only (no Settlements or Reconciliations);
// and all of it at 420 px. Screenshots go to tests/browser/output/settlement/.
import { readFileSync } from 'node:fs';
import { ROLE_USERS, Suite, absent, fitsWidth, navRoutes, same, seed, seoulDate, signInAs, text, waitFor } from './lib.mjs';

const suite = new Suite('settlement');

/** Reads the CSV a click on "Download CSV" saves. */
async function downloadCsv(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('settlement-csv').click()]);
  return readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
}

await suite.run(async () => {
  let base;
  let data;
  let extraKey;
  const yesterday = seoulDate(1);
  const today = seoulDate(0);
  const tomorrow = seoulDate(-1);
  await suite.step('server starts (no daily run); captures and a cancel of two merchants, moved to yesterday', async () => {
    base = await suite.start({ SIMPLEPG__SETTLEMENT__DAILY_RUN: 'false' });
    data = await seed(suite); // Alpha: 15,000 completed; Beta: 20,000 approved
    const { alpha, beta } = data;
    const r = await suite.merchant(alpha, 'POST', '/api/payments', { orderNo: `SETTLE-${Date.now()}`, amount: 20000, methodCode: 'CARD', productName: 'Beans' });
    if (r.status !== 201) throw new Error(`payment: ${r.status}`);
    extraKey = r.json.paymentKey;
    await waitFor('APPROVED', async () => (await suite.admin('GET', `/admin/api/payments/${extraKey}`)).json.status === 'APPROVED', 20000);
    for (const [m, key] of [[alpha, extraKey], [beta, beta.keys[0]]]) {
      const done = await suite.merchant(m, 'POST', `/api/payments/${key}/complete`);
      if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.json)}`);
    }
    const cancel = await suite.merchant(alpha, 'POST', `/api/payments/${extraKey}/cancel`, { cancelAmount: 5000, cancelReason: 'one bag returned' });
    if (cancel.status !== 200) throw new Error(`cancel: ${cancel.status} ${JSON.stringify(cancel.json)}`);
    suite.sql('UPDATE payment SET completed_at = completed_at - INTERVAL 1 DAY WHERE completed_at IS NOT NULL');
    suite.sql('UPDATE payment_cancel SET completed_at = completed_at - INTERVAL 1 DAY WHERE completed_at IS NOT NULL');
  });
  const { alpha, beta } = data;
  const step = (name, fn) => suite.step(name, fn);
  const admin = await suite.page('ADMIN');
  const rows = () => admin.getByTestId('settlement-results').getByTestId('settlement-row');

  await step('ADMIN: Settlements and Reconciliations in the navigation; no batches yet; the run form', async () => {
    await signInAs(admin, base, ROLE_USERS.ADMIN);
    const nav = await navRoutes(admin);
    for (const route of ['settlements', 'reconciliations']) if (!nav.includes(route)) throw new Error(`${route} not in ${nav}`);
    await admin.goto(`${base}/console/#/settlements`);
    await admin.getByTestId('settlement-results').getByText('No settlement batches yet').waitFor();
    await admin.getByTestId('run-settlement').waitFor();
    const localYesterday = await admin.evaluate(() => {
      const d = new Date();
      d.setDate(d.getDate() - 1);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    });
    same('the run date defaults to yesterday (the browser\'s)', await admin.getByTestId('run-settlement-date').inputValue(), localYesterday);
  });

  await step('ADMIN: a merchant\'s terms in its merchant page — 2.50 % (250 bps) → 3.00 % (300 bps), 2 days → 1 day', async () => {
    await admin.goto(`${base}/console/#/merchants/${alpha.clientId}`);
    same('fee rate', await text(admin.getByTestId('settings-fee-rate')), '2.50 % (250 bps)');
    same('delay', await text(admin.getByTestId('settings-delay')), '2 days after the settlement date');
    same('the form shows it in %', await admin.getByTestId('terms-fee-percent').inputValue(), '2.50');
    await admin.getByTestId('terms-fee-percent').fill('150');
    await admin.getByTestId('terms-save').click();
    await admin.getByTestId('settings-problem').filter({ hasText: 'VALIDATION_FAILED' }).filter({ hasText: 'feeRateBps' }).waitFor();
    await admin.getByTestId('terms-fee-percent').fill('3');
    same('the bps beside it', await text(admin.getByTestId('terms-fee-bps')), '= 300 bps (0–10000)');
    await admin.getByTestId('terms-delay').fill('1');
    await admin.getByTestId('terms-save').click();
    await admin.getByTestId('settings-fee-rate').getByText('3.00 % (300 bps)').waitFor();
    same('delay', await text(admin.getByTestId('settings-delay')), '1 day after the settlement date');
    const m = (await suite.admin('GET', `/admin/api/merchants/${alpha.clientId}`)).json;
    same('terms on the server', [m.feeRateBps, m.settlementDelayDays], [300, 1]);
    await suite.shot(admin, '01-terms');
    await admin.goto(`${base}/console/#/merchants`);
    await admin.getByTestId('merchant-table').locator('tbody tr').filter({ hasText: alpha.clientId }).getByTestId('merchant-terms').getByText('3.00 % · 1 day').waitFor();
  });

  await step('ADMIN: running today is refused — 409 SETTLEMENT_DATE_NOT_OVER shown with what it means', async () => {
    await admin.goto(`${base}/console/#/settlements`);
    await admin.getByTestId('run-settlement-date').fill(today);
    await admin.getByTestId('run-settlement').click();
    const problem = admin.locator('[data-testid="run-settlement-problem"][data-code="SETTLEMENT_DATE_NOT_OVER"]');
    await problem.waitFor();
    const said = await text(problem);
    if (!/409/.test(said) || !/not ended|has not ended|not over/i.test(said)) throw new Error(`the 409 says: ${said}`);
    await absent(rows(), 'a batch');
    await suite.shot(admin, '02-run-today-409');
  });

  await step('ADMIN: running yesterday creates 2 batches, listed with names, sums and payout dates', async () => {
    await admin.getByTestId('run-settlement-date').fill(yesterday);
    await admin.getByTestId('run-settlement').click();
    await admin.locator('[data-testid="run-settlement-outcome"][data-created="2"]').waitFor();
    await waitFor('2 batches listed', async () => (await rows().count()) === 2, 5000);
    const alphaRow = rows().filter({ hasText: alpha.clientId });
    await alphaRow.getByTestId('client-name').getByText('Alpha Coffee').waitFor();
    // 3 % of 15,000 + 20,000 − 5,000: 450 + 600 − 150.
    same('Alpha', [
      await text(alphaRow.getByTestId('settlement-link')), await text(alphaRow.getByTestId('settlement-payout-date')),
      await text(alphaRow.getByTestId('settlement-gross')), await text(alphaRow.getByTestId('settlement-fees')),
      await text(alphaRow.getByTestId('settlement-net')), await text(alphaRow.getByTestId('settlement-line-count')),
    ], [yesterday, today, '30,000 KRW', '900 KRW', '29,100 KRW', '3']);
    const betaRow = rows().filter({ hasText: beta.clientId });
    await betaRow.getByTestId('client-name').getByText('Beta Books').waitFor();
    same('Beta (2.5 %, 2 days)', [
      await text(betaRow.getByTestId('settlement-payout-date')), await text(betaRow.getByTestId('settlement-gross')),
      await text(betaRow.getByTestId('settlement-fees')), await text(betaRow.getByTestId('settlement-net')),
    ], [tomorrow, '20,000 KRW', '500 KRW', '19,500 KRW']);
    await suite.shot(admin, '03-run-yesterday');
  });

  await step('ADMIN: a second run of yesterday creates nothing and says so', async () => {
    await admin.getByTestId('run-settlement').click();
    const outcome = admin.locator('[data-testid="run-settlement-outcome"][data-created="0"]');
    await outcome.waitFor();
    if (!/settled already/.test(await text(outcome))) throw new Error(await text(outcome));
    same('batches', await rows().count(), 2);
  });

  await step('ADMIN: filter by merchant and by date range', async () => {
    await admin.getByTestId('settlement-merchant').selectOption(beta.clientId);
    await admin.getByTestId('search-settlements').click();
    await waitFor('Beta only', async () => (await rows().count()) === 1 && (await rows().first().getAttribute('data-client-id')) === beta.clientId, 5000);
    await admin.getByTestId('settlement-merchant').selectOption('');
    await admin.getByTestId('settlement-from').fill(today);
    await admin.getByTestId('search-settlements').click();
    await admin.getByTestId('settlement-results').getByText('No batches match these filters.').waitFor();
    await admin.getByTestId('settlement-from').fill(yesterday);
    await admin.getByTestId('settlement-to').fill(yesterday);
    await admin.getByTestId('search-settlements').click();
    await waitFor('both of yesterday', async () => (await rows().count()) === 2, 5000);
    await admin.goto(`${base}/console/#/settlements?clientId=${alpha.clientId}`);
    await waitFor('Alpha only, from the address', async () => (await rows().count()) === 1 && (await rows().first().getAttribute('data-client-id')) === alpha.clientId, 5000);
  });

  let alphaBatch;
  await step('ADMIN: a batch\'s detail — terms, its lines with payment links, and the CSV', async () => {
    await rows().first().getByTestId('settlement-link').click();
    await admin.waitForURL((u) => /^#\/settlements\/stl_[0-9a-f]{32}$/.test(u.hash));
    alphaBatch = admin.url().split('/').pop();
    same('net', await text(admin.getByTestId('settlement-detail-net')), '29,100 KRW');
    same('fee rate', await text(admin.getByTestId('settlement-fee-rate')), '3.00 % (300 bps)');
    same('payout date', await text(admin.getByTestId('settlement-payout')), today);
    const lines = admin.getByTestId('settlement-lines').getByTestId('settlement-line');
    await lines.nth(2).waitFor();
    same('line types', await lines.evaluateAll((rs) => rs.map((r) => r.dataset.type).sort()), ['CANCEL', 'CAPTURE', 'CAPTURE']);
    const cancel = admin.locator('[data-testid="settlement-line"][data-type="CANCEL"]');
    if (!/-5,000 KRW/.test(await text(cancel)) || !/-150 KRW/.test(await text(cancel))) throw new Error(`the cancel line: ${await text(cancel)}`);
    const csv = await downloadCsv(admin);
    same('CSV header', csv[0], 'settlementId,clientId,currency,date,paymentKey,orderNo,type,cancelId,amount,fee,net,at');
    same('CSV rows', csv.length - 1, 3);
    if (!csv.slice(1).every((row) => row.startsWith(`${alphaBatch},${alpha.clientId},KRW,${yesterday},`))) throw new Error(`CSV: ${csv.join('\n')}`);
    await suite.shot(admin, '04-detail');
    await cancel.getByRole('link').click();
    await admin.waitForURL((u) => u.hash === `#/payments/${extraKey}`);
    await admin.getByTestId('detail-status').getByText('PARTIAL_CANCELED').waitFor();
  });

  await step('VIEWER: reads the batches and a batch\'s lines, without the run form', async () => {
    const page = await suite.page('VIEWER');
    await signInAs(page, base, ROLE_USERS.VIEWER);
    const nav = await navRoutes(page);
    for (const route of ['settlements', 'reconciliations']) if (!nav.includes(route)) throw new Error(`${route} not in ${nav}`);
    await page.goto(`${base}/console/#/settlements`);
    await waitFor('2 batches', async () => (await page.getByTestId('settlement-row').count()) === 2, 5000);
    await absent(page.getByTestId('run-settlement'), 'the run form');
    await page.goto(`${base}/console/#/settlements/${alphaBatch}`);
    await page.getByTestId('settlement-line').nth(2).waitFor();
    same('CSV rows', (await downloadCsv(page)).length - 1, 3);
    await page.goto(`${base}/console/#/merchants/${alpha.clientId}`);
    await page.getByTestId('settings-fee-rate').getByText('3.00 % (300 bps)').waitFor();
    await absent(page.getByTestId('terms-save'), 'the terms form');
    await suite.shot(page, '05-viewer');
    await page.context().close();
  });

  await step('OPERATOR: the batches without the run form or the terms form', async () => {
    const page = await suite.page('OPERATOR');
    await signInAs(page, base, ROLE_USERS.OPERATOR);
    await page.goto(`${base}/console/#/settlements`);
    await waitFor('2 batches', async () => (await page.getByTestId('settlement-row').count()) === 2, 5000);
    await absent(page.getByTestId('run-settlement'), 'the run form');
    await page.goto(`${base}/console/#/merchants/${alpha.clientId}`);
    await page.getByTestId('send-test-notification').waitFor();
    await absent(page.getByTestId('terms-save'), 'the terms form');
    await page.context().close();
  });

  const merchant = await suite.page('MERCHANT_ADMIN');
  await step('MERCHANT_ADMIN: Payouts in its navigation (no Settlements or Reconciliations); its own batch on #/my and #/my/payouts', async () => {
    await signInAs(merchant, base, ROLE_USERS.MERCHANT_ADMIN);
    await merchant.waitForURL((u) => u.hash === '#/my');
    const nav = await navRoutes(merchant);
    if (!nav.includes('payouts')) throw new Error(`no payouts in ${nav}`);
    for (const route of ['settlements', 'reconciliations']) if (nav.includes(route)) throw new Error(`${route} in ${nav}`);
    const latest = merchant.getByTestId('my-payouts').getByTestId('settlement-row');
    await latest.first().waitFor();
    same('latest payouts', await latest.count(), 1);
    same('net', await text(latest.getByTestId('settlement-net')), '29,100 KRW');
    await suite.shot(merchant, '06-my-payouts-card');
    await merchant.getByRole('link', { name: /all payouts/ }).click();
    await merchant.waitForURL((u) => u.hash === '#/my/payouts');
    await merchant.getByTestId('payout-terms').getByText('3.00 % (300 bps)').waitFor();
    const listed = merchant.getByTestId('payout-results').getByTestId('settlement-row');
    await listed.first().waitFor();
    same('its payouts only', await listed.count(), 1);
    await absent(merchant.getByTestId('settlement-merchant'), 'the merchant filter');
    await absent(merchant.getByTestId('payout-results').locator('th', { hasText: /^merchant$/ }), 'the merchant column');
    same('payout date', await text(listed.getByTestId('settlement-payout-date')), today);
  });

  await step('MERCHANT_ADMIN: a payout\'s lines and CSV; another merchant\'s batch is not found; platform pages go to #/my', async () => {
    await merchant.getByTestId('payout-results').getByTestId('settlement-link').click();
    await merchant.waitForURL((u) => u.hash === `#/my/payouts/${alphaBatch}`);
    await merchant.getByTestId('settlement-line').nth(2).waitFor();
    same('net', await text(merchant.getByTestId('settlement-detail-net')), '29,100 KRW');
    const csv = await downloadCsv(merchant);
    same('CSV rows', csv.length - 1, 3);
    await suite.shot(merchant, '07-payout-detail');
    const betaBatch = (await suite.admin('GET', `/admin/api/settlements?clientId=${beta.clientId}`)).json.data[0].settlementId;
    await merchant.goto(`${base}/console/#/my/payouts/${betaBatch}`);
    await merchant.locator('[data-testid="settlement-problem"][data-code="SETTLEMENT_NOT_FOUND"]').waitFor();
    await merchant.goto(`${base}/console/#/my/settings`);
    await merchant.getByTestId('settings-fee-rate').getByText('3.00 % (300 bps)').waitFor();
    await merchant.getByTestId('settings-save').waitFor();
    await absent(merchant.getByTestId('terms-save'), 'the terms form');
    for (const hash of ['#/settlements', `#/settlements/${alphaBatch}`, '#/reconciliations']) {
      await merchant.goto(`${base}/console/${hash}`);
      await merchant.waitForURL((u) => u.hash === '#/my');
    }
  });

  await step('MERCHANT_VIEWER: the same payouts, read only', async () => {
    const page = await suite.page('MERCHANT_VIEWER');
    await signInAs(page, base, ROLE_USERS.MERCHANT_VIEWER);
    await page.goto(`${base}/console/#/my/payouts`);
    await page.getByTestId('payout-results').getByTestId('settlement-row').first().waitFor();
    same('rows', await page.getByTestId('payout-results').getByTestId('settlement-row').count(), 1);
    await page.context().close();
  });

  await step('420 px: the settlements page with a run result, a batch, the terms form and the payouts fit', async () => {
    const narrow = await suite.page('ADMIN 420', 420);
    await signInAs(narrow, base, ROLE_USERS.ADMIN);
    await narrow.goto(`${base}/console/#/settlements`);
    await narrow.getByTestId('settlement-row').nth(1).waitFor();
    await narrow.getByTestId('run-settlement-date').fill(yesterday);
    await narrow.getByTestId('run-settlement').click();
    await narrow.locator('[data-testid="run-settlement-outcome"][data-created="0"]').waitFor();
    await fitsWidth(narrow, 'settlements');
    await suite.shot(narrow, '08-narrow-settlements');
    await narrow.goto(`${base}/console/#/settlements/${alphaBatch}`);
    await narrow.getByTestId('settlement-line').nth(2).waitFor();
    await fitsWidth(narrow, 'a settlement');
    await suite.shot(narrow, '09-narrow-detail');
    await narrow.goto(`${base}/console/#/merchants/${alpha.clientId}`);
    await narrow.getByTestId('terms-save').waitFor();
    await fitsWidth(narrow, 'the merchant page with its terms');
    await narrow.context().close();
    await merchant.setViewportSize({ width: 420, height: 900 });
    await merchant.goto(`${base}/console/#/my/payouts`);
    await merchant.getByTestId('payout-results').getByTestId('settlement-row').waitFor();
    await fitsWidth(merchant, 'payouts');
    await merchant.goto(`${base}/console/#/my/payouts/${alphaBatch}`);
    await merchant.getByTestId('settlement-line').nth(2).waitFor();
    await fitsWidth(merchant, 'a payout');
    await merchant.goto(`${base}/console/#/my`);
    await merchant.getByTestId('my-payouts').getByTestId('settlement-row').waitFor();
    await fitsWidth(merchant, 'the merchant dashboard with its payouts');
    await suite.shot(merchant, '10-narrow-payouts');
  });
});
