// Browser test of "Your account" and two-step sign-in (docs/console.md, docs/api.md §10.2), with
// the operator's rule that every platform role confirms a second factor
// (auth.require_totp_for_platform_roles): an OPERATOR signs in and is held on its account page;
// it enrolls an authenticator (the one-time codes computed here, RFC 6238), confirms a code and
// may use the back office; signing in again asks for a code, and the same code does not open a
// second session. Screenshots go to tests/browser/output/account/.
import { createHmac } from 'node:crypto';
import { PASSWORD, Suite, waitFor } from './lib.mjs';

const suite = new Suite('account');
const EMAIL = 'operator@account.test';

/** The bytes of an unpadded base32 string (RFC 4648). */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The six-digit code of `secret` now (HMAC-SHA-1, 30 s steps). */
function totpNow(secret) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(at) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, '0');
}

/** Fills the sign-in form (with `code` when given) and resolves to the /auth/login status. */
async function signIn(page, base, code) {
  await page.goto(`${base}/console/#/login`);
  await page.getByTestId('login-email').fill(EMAIL);
  await page.getByTestId('login-password').fill(PASSWORD);
  if (code !== undefined) {
    let answer = page.waitForResponse((res) => res.url().endsWith('/auth/login'));
    await page.getByTestId('login-submit').click();
    if ((await answer).status() !== 401) throw new Error('a code was not asked for');
    await page.getByTestId('login-totp').waitFor();
    await page.getByTestId('login-totp').fill(code);
    answer = page.waitForResponse((res) => res.url().endsWith('/auth/login'));
    await page.getByTestId('login-submit').click();
    return (await answer).status();
  }
  const answer = page.waitForResponse((res) => res.url().endsWith('/auth/login'));
  await page.getByTestId('login-submit').click();
  return (await answer).status();
}

await suite.run(async () => {
  let base;
  let secret;
  let code;
  await suite.step('server starts requiring a second factor of platform roles; an OPERATOR is created', async () => {
    base = await suite.start({ SIMPLEPG__AUTH__REQUIRE_TOTP_FOR_PLATFORM_ROLES: 'true' });
    const r = await suite.admin('POST', '/admin/api/users', { email: EMAIL, role: 'OPERATOR', password: PASSWORD });
    if (r.status !== 201) throw new Error(`user: ${r.status} ${r.text}`);
  });

  const page = await suite.page('operator');
  await suite.step('signed in without a second factor, the operator is held on its account page', async () => {
    const status = await signIn(page, base);
    if (status !== 200) throw new Error(`login: ${status}`);
    await page.waitForURL((u) => u.hash === '#/account');
    await page.getByTestId('totp-required').waitFor();
    await page.goto(`${base}/console/#/payments`);
    await page.waitForURL((u) => u.hash === '#/account');
    await page.getByTestId('totp-required').waitFor();
    await suite.shot(page, '01-held');
  });

  await suite.step('it enrolls an authenticator: a wrong code is refused, a current one turns it on', async () => {
    await page.getByTestId('totp-begin').click();
    const uri = await page.getByTestId('totp-uri').textContent();
    if (!uri.startsWith('otpauth://totp/SimplePG:')) throw new Error(`uri: ${uri}`);
    secret = (await page.getByTestId('totp-secret').textContent()).trim();
    if (new URL(uri).searchParams.get('secret') !== secret) throw new Error('the key shown is not the URI\'s');
    await suite.shot(page, '02-enroll');
    await page.getByTestId('totp-code').fill('000000x');
    await page.getByTestId('totp-confirm').click();
    await page.getByTestId('totp-error').waitFor();
    code = totpNow(secret);
    await page.getByTestId('totp-code').fill(code);
    await page.getByTestId('totp-confirm').click();
    await page.getByTestId('totp-on').waitFor();
    if (await page.getByTestId('totp-required').count()) throw new Error('still held after confirming');
    await page.goto(`${base}/console/#/payments`);
    await waitFor('the payments page', async () => (await page.evaluate(() => document.body.dataset.page)) === 'payments', 10000);
    await suite.shot(page, '03-on');
  });

  await suite.step('signing in again asks for a code; one code opens one session only', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('sign-in-link').waitFor();
    code = totpNow(secret);
    const first = await signIn(page, base, code);
    if (first !== 200) throw new Error(`login with a code: ${first}`);
    await page.getByTestId('user-session').waitFor();
    const other = await suite.page('replay');
    const replayed = await signIn(other, base, code);
    if (replayed !== 401) throw new Error(`the same code again: ${replayed}`);
    const error = (await other.getByTestId('login-error').textContent()).trim();
    if (!/one-time code/.test(error)) throw new Error(`error: ${error}`);
    await suite.shot(other, '04-replayed');
    await other.context().close();
  });
});
