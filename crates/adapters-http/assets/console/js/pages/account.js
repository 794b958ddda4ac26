// Your account: who is signed in, and the second factor (docs/api.md §10.2) — turning on
// two-step sign-in with an authenticator app: POST /auth/totp gives the otpauth:// URI once,
// POST /auth/totp/confirm with a current code turns it on. A platform role that the operator
// requires to have one (auth.require_totp_for_platform_roles) is brought here until it does.
import { beginTotp, confirmTotp, restoreLogin, session } from '../api.js';
import { adminGate } from '../gate.js';
import { h, card, field, input, actionButton, toast, facts, copyButton, pageTitle } from '../ui.js';

/** The base32 secret of an otpauth:// URI, for typing it in by hand. */
function secretOf(uri) {
  try {
    return new URL(uri).searchParams.get('secret') || '';
  } catch {
    return '';
  }
}

function enrollment(box, rerender) {
  const start = actionButton('Set up two-step sign-in', async () => {
    const r = await beginTotp();
    if (!r.ok) {
      toast(r.message, 'error');
      return;
    }
    const uri = r.json.otpauthUri;
    const code = input({ inputmode: 'numeric', placeholder: '123456', autocomplete: 'one-time-code', 'data-testid': 'totp-code' });
    const error = h('p', { class: 'problem', role: 'alert', 'data-testid': 'totp-error' });
    error.hidden = true;
    const confirm = actionButton('Turn it on', async () => {
      const c = await confirmTotp(code.value.trim());
      if (!c.ok) {
        error.textContent = c.message;
        error.hidden = false;
        return;
      }
      await restoreLogin();
      toast('Two-step sign-in is on: every sign-in now asks for a code', 'ok');
      rerender();
    }, { 'data-testid': 'totp-confirm' });
    box.replaceChildren(
      h('p', {}, 'Add this account to your authenticator app (Google Authenticator, 1Password, Authy, …). It is shown this once: open the link on your phone, or type the key in by hand.'),
      h('p', {}, h('a', { href: uri, 'data-testid': 'totp-uri', text: uri }), ' ', copyButton(uri, 'Copy link')),
      facts([['key', h('code', { 'data-testid': 'totp-secret', text: secretOf(uri) })], ['type', 'time-based, 6 digits, every 30 s']]),
      field('Code from the app', code, 'The six digits it shows now'), error,
      h('div', { class: 'row' }, confirm));
    code.focus();
  }, { 'data-testid': 'totp-begin' });
  box.replaceChildren(h('p', { class: 'muted', text: 'Two-step sign-in asks for a code from an authenticator app after your password, so a stolen password alone does not get in.' }), h('div', { class: 'row' }, start));
}

function account(main) {
  const login = session.login() || {};
  const user = login.user;
  if (!user) {
    main.append(card('Your account', h('p', { class: 'muted', text: 'Signed in with the admin token: it is no person\'s account, and has no second factor. Sign in with an email and password to manage your account.' })));
    return;
  }
  main.append(pageTitle('Your account', user.email));
  if (login.totpEnrollmentRequired) {
    main.append(h('p', { class: 'problem', role: 'alert', 'data-testid': 'totp-required' },
      'Your role must turn on two-step sign-in before it may use the back office. Set it up below; everything else is held until you do.'));
  }
  main.append(card('Who you are', facts([
    ['email', user.email],
    ['role', h('code', { text: user.role })],
    ['merchant', user.clientId ? h('code', { text: user.clientId }) : '—'],
  ])));
  const second = h('div', { 'data-testid': 'totp-box' });
  const rerender = () => { main.replaceChildren(); account(main); };
  if (user.totpEnabled) {
    second.append(h('p', { 'data-testid': 'totp-on' }, 'Two-step sign-in is ', h('strong', { text: 'on' }), ': every sign-in asks for a code from your authenticator app, and each code opens one session.'));
  } else {
    enrollment(second, rerender);
  }
  main.append(card('Two-step sign-in', second));
}

/** #/account: the signed-in person's account (the sign-in forms while nobody is signed in). */
export function render(main) {
  return adminGate(main, account);
}
