// The operator sign-in shown in place of any operator page while nobody is signed in: a person
// signs in with email and password (and a one-time code when the account asks for one), or an
// operator pastes the admin token.
import { admin, login, session } from './api.js';
import { h, card, field, input, toast } from './ui.js';

function loginForm(done) {
  const email = input({ type: 'email', name: 'email', placeholder: 'you@example.com', 'data-testid': 'login-email', autocomplete: 'username' });
  const password = input({ type: 'password', name: 'password', 'data-testid': 'login-password', autocomplete: 'current-password' });
  const totp = input({ name: 'totp', inputmode: 'numeric', placeholder: '123456', 'data-testid': 'login-totp', autocomplete: 'one-time-code' });
  const totpField = field('One-time code', totp, 'From your authenticator app');
  totpField.hidden = true;
  const error = h('p', { class: 'problem', 'data-testid': 'login-error', role: 'alert' });
  error.hidden = true;
  const submit = h('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Sign in');
  const form = h('form', { class: 'stack', 'data-testid': 'login-form' },
    h('p', { class: 'muted', text: 'Sign in with your account. The password is sent once and never kept; the session lives in an HttpOnly cookie.' }),
    field('Email', email), field('Password', password), totpField, error,
    h('div', { class: 'row' }, submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    try {
      const r = await login(email.value.trim(), password.value, totpField.hidden ? '' : totp.value.trim());
      if (r.ok) {
        password.value = '';
        toast(`Signed in as ${r.login.user.email}`, 'ok');
        done();
        return;
      }
      if (r.code === 'TOTP_REQUIRED') {
        totpField.hidden = false;
        totp.focus();
      }
      error.textContent = r.message;
      error.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function tokenForm(done) {
  const token = input({ type: 'password', name: 'adminToken', placeholder: 'admin token', 'data-testid': 'admin-token', autocomplete: 'off' });
  const form = h('form', { class: 'stack', 'data-testid': 'admin-login' },
    h('p', { class: 'muted', text: 'Or use the admin token (configuration admin.token). It is kept in this tab only (sessionStorage) and sent as Authorization: Bearer.' }),
    field('Admin token', token),
    h('div', { class: 'row' }, h('button', { type: 'submit', 'data-testid': 'admin-login-submit' }, 'Sign in with the token')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    session.setAdminToken(token.value.trim());
    try {
      await admin('GET', '/admin/api/merchants?limit=1');
      toast('Signed in as operator', 'ok');
      done();
    } catch (e) {
      session.clearAdminToken();
      toast(e.message, 'error');
    }
  });
  return form;
}

/**
 * Renders `render(container)` if someone is signed in, else the sign-in forms; after a sign-in
 * the shell routes again (`simplepg:signed-in`): the page for its role, or its start page.
 */
export function adminGate(container, render) {
  if (session.signedIn()) return render(container);
  const done = () => {
    container.replaceChildren();
    window.dispatchEvent(new CustomEvent('simplepg:signed-in'));
  };
  container.append(h('div', { class: 'grid-2 gate' },
    card('Sign in with email and password', loginForm(done)),
    card('Operator sign-in (admin token)', tokenForm(done))));
  return undefined;
}
