// Shared helpers of the browser tests (docs/console.md): a suite runs the real `simplepg` binary
// on a fresh MariaDB database, a tiny merchant backend, and Debian's Chromium through
// playwright-core; it reports each step, fails on any script error or CSP violation, and drops
// its database at the end either way. Environment:
//   SIMPLEPG_BIN              the binary (default: target/debug/simplepg of this repository)
//   TEST_DATABASE_ADMIN_URL   MariaDB server (default mysql://root@127.0.0.1:3306)
//   CHROMIUM                  the browser (default /usr/bin/chromium)
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..');
export const bin = process.env.SIMPLEPG_BIN || path.join(repo, 'target', 'debug', 'simplepg');
export const adminUrl = (process.env.TEST_DATABASE_ADMIN_URL || 'mysql://root@127.0.0.1:3306').replace(/\/+$/, '');
export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const ADMIN_TOKEN = 'test-admin-token'; // config/test.toml

export function log(...a) { console.log(...a); }

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor(what, fn, timeoutMs = 30000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
}

/**
 * A merchant backend: remembers every notification in `notifications`; answers 204, or 500 on a
 * path under /fail (a receiver that is down, for DEAD deliveries).
 */
export function startReceiver(notifications) {
  return new Promise((resolve) => {
    const srv = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        try { notifications.push(JSON.parse(body)); } catch { notifications.push(body); }
        res.writeHead(req.url.startsWith('/fail') ? 500 : 204);
        res.end();
      });
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

/** The headers of a signed merchant request (docs/signing.md). */
export function signed(creds, method, pathname, body = '', q = '') {
  const ts = String(Date.now());
  const nonce = randomBytes(16).toString('hex');
  const hash = createHash('sha256').update(body).digest('hex');
  const canonical = [method, pathname, q, ts, nonce, hash].join('\n');
  const signature = createHmac('sha256', creds.clientSecret).update(canonical).digest('base64');
  const headers = { 'X-Client-Id': creds.clientId, 'X-Timestamp': ts, 'X-Nonce': nonce, 'X-Signature': signature };
  if (body) headers['Content-Type'] = 'application/json';
  return headers;
}

/** Fails if anything sticks out of the page's width (tables scroll inside their own box). */
export async function fitsWidth(page, what) {
  const r = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const out = [...document.querySelectorAll('body *')].filter((e) => {
      if (e.closest('.table-wrap') || e.closest('.toasts')) return false;
      const b = e.getBoundingClientRect();
      return b.width > 0 && b.height > 0 && (b.right > w + 1 || b.left < -1) && !e.classList.contains('offscreen');
    }).slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className} [${Math.round(e.getBoundingClientRect().left)}, ${Math.round(e.getBoundingClientRect().right)}]`);
    return { w, scroll: document.documentElement.scrollWidth, out };
  });
  if (r.scroll > r.w + 1 || r.out.length) throw new Error(`${what} overflows ${r.w} px (scrollWidth ${r.scroll}): ${r.out.join('; ')}`);
}

/** Fails unless `got` and `want` are the same JSON. */
export function same(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

/** A locator's text, trimmed. */
export const text = async (locator) => (await locator.textContent()).trim();

/** Fails if `locator` matches anything. */
export async function absent(locator, what) {
  const n = await locator.count();
  if (n) throw new Error(`${what} is shown (${n})`);
}

/** The date (YYYY-MM-DD) in the settlement time zone (Asia/Seoul, UTC+9) `daysAgo` days back. */
export const seoulDate = (daysAgo) => new Date(Date.now() - daysAgo * 86400000 + 9 * 3600000).toISOString().slice(0, 10);

/** One test file: its steps, its server, its browser, its screenshots (output/<name>/). */
export class Suite {
  constructor(name) {
    this.name = name;
    this.out = path.join(here, 'output', name);
    this.database = `simplepg_browser_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    this.results = [];
    this.problems = [];
    this.serverLog = '';
    this.notifications = [];
    rmSync(this.out, { recursive: true, force: true });
    mkdirSync(this.out, { recursive: true });
  }

  async step(name, fn) {
    const started = Date.now();
    try {
      await fn();
      this.results.push({ name, ok: true });
      log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      this.results.push({ name, ok: false, error: e });
      log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
      throw e;
    }
  }

  async shot(page, name) {
    await page.screenshot({ path: path.join(this.out, `${name}.png`), fullPage: true });
  }

  /** Fails the suite on any script error, CSP violation or failed console request. */
  watch(page, label) {
    page.on('pageerror', (e) => this.problems.push(`${label}: page error: ${e}`));
    page.on('console', (m) => {
      const t = m.text();
      // 4xx answers and the acquirer's refusal of a cancel (502) are answers the pages explain.
      if (m.type() === 'error' && !/the server responded with a status of (4\d\d|502)/.test(t)) this.problems.push(`${label}: console error: ${t}`);
      if (/Content Security Policy/i.test(t)) this.problems.push(`${label}: CSP violation: ${t}`);
    });
  }

  /** Starts the server (test profile, a free port, this suite's database) and the receiver. */
  async start(extraEnv = {}) {
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.receiver = await startReceiver(this.notifications);
    this.receiverUrl = `http://127.0.0.1:${this.receiver.address().port}`;
    this.server = spawn(bin, [], {
      env: {
        ...process.env,
        SIMPLEPG_PROFILE: 'test',
        SIMPLEPG__SERVER__PORT: String(port),
        SIMPLEPG__DATABASE__URL: `${adminUrl}/${this.database}`,
        SIMPLEPG__LOG__LEVEL: 'info',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.server.stdout.on('data', (d) => { this.serverLog += d; });
    this.server.stderr.on('data', (d) => { this.serverLog += d; });
    this.server.on('exit', (code) => { this.serverLog += `\n[simplepg exited with ${code}]\n`; });
    await waitFor('/ready', async () => (await fetch(`${this.base}/ready`)).status === 200, 60000);
    this.browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    return this.base;
  }

  /** A browser context (its own cookies and storage) of `width` px with one watched page. */
  async page(label, width = 1440) {
    const context = await this.browser.newContext({ viewport: { width, height: 900 } });
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    this.watch(page, label);
    return page;
  }

  /** An admin API call with the admin token: {status, json, text}. */
  async admin(method, p, body) {
    const headers = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.base}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: res.status, json, text, headers: res.headers };
  }

  /** A signed merchant call: {status, json}. */
  async merchant(creds, method, p, bodyObj) {
    const body = bodyObj === undefined ? '' : JSON.stringify(bodyObj);
    const res = await fetch(`${this.base}${p}`, { method, headers: signed(creds, method, p, body), body: body || undefined });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return { status: res.status, json };
  }

  /**
   * Whether the server has GET /admin/api/deliveries/summary (the alert strip's source). Without
   * it the strip's checks fail, unless BROWSER_SUMMARY_OPTIONAL=1 (an older server): then they
   * are skipped with a note.
   */
  async hasSummary() {
    const r = await this.admin('GET', '/admin/api/deliveries/summary');
    if (r.status === 200) return true;
    if (process.env.BROWSER_SUMMARY_OPTIONAL === '1') {
      log(`     (skipped: GET /admin/api/deliveries/summary answers ${r.status})`);
      return false;
    }
    throw new Error(`GET /admin/api/deliveries/summary answers ${r.status} ${r.text}`);
  }

  /** Runs `statement` with the mariadb (or mysql) client, in `database` if given: {status, stdout, stderr}. */
  client(statement, database) {
    const u = new URL(adminUrl);
    const args = ['-h', u.hostname, '-P', u.port || '3306', '-u', decodeURIComponent(u.username || 'root')];
    if (database) args.push('-D', database);
    args.push('-e', statement);
    const env = { ...process.env };
    if (u.password) env.MYSQL_PWD = decodeURIComponent(u.password);
    for (const client of ['mariadb', 'mysql']) {
      const r = spawnSync(client, args, { env, encoding: 'utf8' });
      if (!r.error) return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }
    return null;
  }

  /**
   * Runs SQL on this suite's database — for what the API cannot do, such as moving movements to
   * an earlier day so that day can be settled (as tests/api/settlement.rs does). Throws on failure.
   */
  sql(statement) {
    const r = this.client(statement, this.database);
    if (!r) throw new Error('no mariadb/mysql client');
    if (r.status !== 0) throw new Error(`SQL failed: ${r.stderr}`);
    return r.stdout;
  }

  dropDatabase() {
    const r = this.client(`DROP DATABASE IF EXISTS \`${this.database}\``);
    if (!r) log(`warning: no mariadb/mysql client to drop ${this.database}`);
    else if (r.status !== 0) log(`warning: dropping ${this.database} failed: ${r.stderr}`);
  }

  /** Runs `body(suite)`, then stops everything, reports and exits (non-zero on any failure). */
  async run(body) {
    let failed = false;
    try {
      await body(this);
      await this.step('no script errors or CSP violations', async () => {
        if (this.problems.length) throw new Error(this.problems.join('\n'));
      });
    } catch {
      failed = true;
    } finally {
      if (this.browser) await this.browser.close().catch(() => {});
      if (this.server && this.server.exitCode === null) {
        this.server.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => { this.server.kill('SIGKILL'); r(); }, 10000);
          this.server.on('exit', () => { clearTimeout(t); r(); });
        });
      }
      if (this.receiver) this.receiver.close();
      this.dropDatabase();
      writeFileSync(path.join(this.out, 'server.log'), this.serverLog);
    }
    const passed = this.results.filter((r) => r.ok).length;
    const failures = this.results.length - passed + (failed && this.results.every((r) => r.ok) ? 1 : 0);
    if (failures) log(`\nserver log: ${path.join(this.out, 'server.log')}`);
    log(`\n${this.name}: ${passed} passed, ${failures} failed`);
    process.exit(failures ? 1 : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// People and merchants for the role tests

export const PASSWORD = 'a long enough password';
export const ROLE_USERS = {
  ADMIN: 'admin@roles.test',
  OPERATOR: 'operator@roles.test',
  VIEWER: 'viewer@roles.test',
  MERCHANT_ADMIN: 'madmin@alpha.test',
  MERCHANT_VIEWER: 'mviewer@alpha.test',
};

/**
 * Two merchants (Alpha Coffee, whose people the merchant roles are, and Beta Books), a few
 * approved payments of each (one of Alpha's completed, one failed) and a user of every role.
 * Returns {alpha, beta: {clientId, clientSecret, keys}, completed, failed}.
 */
export async function seed(suite) {
  const merchant = async (clientName, pathname) => {
    const r = await suite.admin('POST', '/admin/api/merchants', { clientName, returnUrl: `${suite.receiverUrl}${pathname}` });
    if (r.status !== 201) throw new Error(`register ${clientName}: ${r.status} ${r.text}`);
    return { clientId: r.json.clientId, clientSecret: r.json.clientSecret, keys: [] };
  };
  const alpha = await merchant('Alpha Coffee', '/alpha');
  const beta = await merchant('Beta Books', '/beta');
  let n = 0;
  const pay = async (m, amount) => {
    n += 1;
    const r = await suite.merchant(m, 'POST', '/api/payments', { orderNo: `ROLES-${Date.now()}-${n}`, amount, methodCode: 'CARD', productName: 'Beans' });
    if (r.status !== 201) throw new Error(`payment: ${r.status} ${JSON.stringify(r.json)}`);
    m.keys.push(r.json.paymentKey);
    return r.json.paymentKey;
  };
  const statusOf = async (key) => (await suite.admin('GET', `/admin/api/payments/${key}`)).json.status;
  const completed = await pay(alpha, 15000);
  const approved = await pay(alpha, 16000);
  const failed = await pay(alpha, 15001); // the mock acquirer declines …001
  await pay(beta, 20000);
  for (const [key, want] of [[completed, 'APPROVED'], [approved, 'APPROVED'], [failed, 'FAILED'], [beta.keys[0], 'APPROVED']]) {
    await waitFor(`${key.slice(0, 10)} ${want}`, async () => (await statusOf(key)) === want, 20000);
  }
  const done = await suite.merchant(alpha, 'POST', `/api/payments/${completed}/complete`);
  if (done.status !== 200) throw new Error(`complete: ${done.status}`);
  for (const [role, email] of Object.entries(ROLE_USERS)) {
    const body = { email, role, password: PASSWORD };
    if (role.startsWith('MERCHANT_')) body.clientId = alpha.clientId;
    const r = await suite.admin('POST', '/admin/api/users', body);
    if (r.status !== 201) throw new Error(`user ${email}: ${r.status} ${r.text}`);
  }
  return { alpha, beta, completed, approved, failed };
}

/** The first step of a role test: the server started and [`seed`]ed. Returns {base, data}. */
export async function startSeeded(suite) {
  let base;
  let data;
  await suite.step('server starts; two merchants, their payments and a user of every role', async () => {
    base = await suite.start();
    data = await seed(suite);
  });
  return { base, data };
}

/** Signs `email` in on #/login with the form; resolves once the session bar shows it. */
export async function signInAs(page, base, email, password = PASSWORD) {
  await page.goto(`${base}/console/#/login`);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('user-session').waitFor();
}

/** The routes of the visible navigation entries, in order. */
export async function navRoutes(page) {
  return page.locator('#nav a[data-route]:visible').evaluateAll((as) => as.map((a) => a.dataset.route));
}
