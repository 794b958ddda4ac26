// Browser test of the reconciliation views (docs/console.md): an ADMIN reconciles today, on which
// the mock acquirer's settlement file disagrees with SimplePG for two payments — one whose amount
// ends in 011 (an amount mismatch) and one ending in 012 (missing at the acquirer); a date in the
// future is refused (400 VALIDATION_FAILED); the list shows the reconciliation with its status
// and counts, its detail the discrepancies highlighted with links to the payments; a VIEWER
// reads it without the form; a merchant user has no reconciliations at all; at 420 px it fits.
// Needs the reconciliation API (POST/GET /admin/api/reconciliations); against a server without
// it the suite fails, unless BROWSER_RECON_OPTIONAL=1 (then it is skipped with a note).
// Screenshots go to tests/browser/output/reconciliation/.
import { ROLE_USERS, Suite, absent, fitsWidth, log, navRoutes, same, seed, seoulDate, signInAs, text, waitFor } from './lib.mjs';

const suite = new Suite('reconciliation');

/** The background colour of a row's first cell (a highlighted row is not white). */
const background = (row) => row.locator('td').first().evaluate((td) => getComputedStyle(td).backgroundColor);

await suite.run(async () => {
  let base;
  let data;
  const keys = {};
  await suite.step('server starts; payments of today, one ending in 011 and one in 012, completed', async () => {
    base = await suite.start();
    const probe = await suite.admin('GET', '/admin/api/reconciliations');
    if (probe.status === 404 && process.env.BROWSER_RECON_OPTIONAL === '1') {
      log(`     (skipped: GET /admin/api/reconciliations answers 404 — the reconciliation API is not in this server)`);
      return;
    }
    if (probe.status !== 200) throw new Error(`GET /admin/api/reconciliations answers ${probe.status} ${probe.text}`);
    data = await seed(suite);
    const { alpha } = data;
    for (const amount of [15011, 15012]) {
      const r = await suite.merchant(alpha, 'POST', '/api/payments', { orderNo: `RECON-${Date.now()}-${amount}`, amount, methodCode: 'CARD', productName: 'Beans' });
      if (r.status !== 201) throw new Error(`payment ${amount}: ${r.status} ${JSON.stringify(r.json)}`);
      keys[amount] = r.json.paymentKey;
      await waitFor(`${amount} APPROVED`, async () => (await suite.admin('GET', `/admin/api/payments/${r.json.paymentKey}`)).json.status === 'APPROVED', 20000);
      const done = await suite.merchant(alpha, 'POST', `/api/payments/${r.json.paymentKey}/complete`);
      if (done.status !== 200) throw new Error(`complete ${amount}: ${done.status} ${JSON.stringify(done.json)}`);
    }
  });
  if (!data) return; // skipped: no reconciliation API
  const step = (name, fn) => suite.step(name, fn);
  const today = seoulDate(0);
  const admin = await suite.page('ADMIN');
  let reconId;

  await step('ADMIN: no reconciliations yet; a date in the future is refused (400 VALIDATION_FAILED)', async () => {
    await signInAs(admin, base, ROLE_USERS.ADMIN);
    await admin.goto(`${base}/console/#/reconciliations`);
    await admin.getByTestId('recon-results').getByText('No reconciliations yet.').waitFor();
    await admin.getByTestId('reconcile-date').fill(seoulDate(-2));
    await admin.getByTestId('reconcile').click();
    await admin.locator('[data-testid="reconcile-problem"][data-code="VALIDATION_FAILED"]').waitFor();
    await suite.shot(admin, '01-future-refused');
  });

  await step('ADMIN: reconciling today finds DISCREPANCIES, listed with its counts', async () => {
    await admin.getByTestId('reconcile-date').fill(today);
    await admin.getByTestId('reconcile').click();
    await admin.locator('[data-testid="reconcile-outcome"][data-status="DISCREPANCIES"]').waitFor();
    const row = admin.getByTestId('recon-results').getByTestId('recon-list-row');
    await waitFor('the reconciliation listed', async () => (await row.count()) === 1, 5000);
    same('status', await row.getAttribute('data-status'), 'DISCREPANCIES');
    same('date', await text(row.getByTestId('recon-link')), today);
    const count = async (id) => Number(await row.getByTestId(id).getAttribute('data-count'));
    if ((await count('recon-mismatches-n')) < 1) throw new Error('no amount mismatch counted');
    if ((await count('recon-missing-acquirer-n')) < 1) throw new Error('nothing counted missing at the acquirer');
    if (Number(await text(row.getByTestId('recon-row-matched'))) < 1) throw new Error('nothing matched (the seed completed a payment today)');
    await suite.shot(admin, '02-reconciled');
  });

  await step('ADMIN: the detail highlights the 011 mismatch (red) and the 012 missing at the acquirer (amber), linking the payments', async () => {
    await admin.getByTestId('reconcile-open').click();
    await admin.waitForURL((u) => /^#\/reconciliations\/rcn_/.test(u.hash));
    reconId = admin.url().split('/').pop();
    await admin.getByTestId('recon-status').getByText('DISCREPANCIES').waitFor();
    const mismatch = admin.getByTestId('recon-mismatches').locator(`tr[data-payment-key="${keys[15011]}"]`);
    await mismatch.waitFor();
    if (!(await mismatch.getAttribute('class')).includes('recon-bad')) throw new Error('the mismatch row is not marked');
    same('mismatch row colour', await background(mismatch), 'rgb(254, 243, 242)');
    if (!/15,011/.test(await text(mismatch))) throw new Error(`the mismatch row: ${await text(mismatch)}`);
    const missing = admin.getByTestId('recon-missing-acquirer').locator(`tr[data-payment-key="${keys[15012]}"]`);
    await missing.waitFor();
    if (!(await missing.getAttribute('class')).includes('recon-warn')) throw new Error('the missing row is not marked');
    same('missing row colour', await background(missing), 'rgb(255, 250, 235)');
    await suite.shot(admin, '03-detail');
    await mismatch.getByTestId('recon-payment-link').click();
    await admin.waitForURL((u) => u.hash === `#/payments/${keys[15011]}`);
    await admin.getByTestId('detail-status').getByText('COMPLETED').waitFor();
  });

  await step('VIEWER: the list and the detail, without the reconcile form', async () => {
    const page = await suite.page('VIEWER');
    await signInAs(page, base, ROLE_USERS.VIEWER);
    if (!(await navRoutes(page)).includes('reconciliations')) throw new Error('no Reconciliations entry');
    await page.goto(`${base}/console/#/reconciliations`);
    await page.getByTestId('recon-list-row').first().waitFor();
    await absent(page.getByTestId('reconcile'), 'the reconcile form');
    await page.goto(`${base}/console/#/reconciliations/${reconId}`);
    await page.getByTestId('recon-mismatches').locator(`tr[data-payment-key="${keys[15011]}"]`).waitFor();
    await page.context().close();
  });

  await step('MERCHANT_ADMIN: no reconciliations — not in its navigation, the page goes to #/my, the API says 403', async () => {
    const page = await suite.page('MERCHANT_ADMIN');
    await signInAs(page, base, ROLE_USERS.MERCHANT_ADMIN);
    await page.waitForURL((u) => u.hash === '#/my');
    if ((await navRoutes(page)).includes('reconciliations')) throw new Error('a Reconciliations entry');
    await page.goto(`${base}/console/#/reconciliations/${reconId}`);
    await page.waitForURL((u) => u.hash === '#/my');
    same('GET /admin/api/reconciliations', await page.evaluate(async () => (await fetch('/admin/api/reconciliations')).status), 403);
    await page.context().close();
  });

  await step('420 px: the list and the detail fit', async () => {
    const narrow = await suite.page('ADMIN 420', 420);
    await signInAs(narrow, base, ROLE_USERS.ADMIN);
    await narrow.goto(`${base}/console/#/reconciliations`);
    await narrow.getByTestId('recon-list-row').first().waitFor();
    await fitsWidth(narrow, 'reconciliations');
    await narrow.goto(`${base}/console/#/reconciliations/${reconId}`);
    await narrow.getByTestId('recon-mismatches').locator('tr.recon-bad').first().waitFor();
    await fitsWidth(narrow, 'a reconciliation');
    await suite.shot(narrow, '04-narrow-detail');
    await narrow.context().close();
  });
});
