// The admin sign-in shown in place of any operator page while no token is kept.
import { admin, session } from './api.js';
import { h, card, field, input, toast } from './ui.js';

/** Renders `render(container)` if an admin token is kept, else a sign-in form that does. */
export function adminGate(container, render) {
  if (session.adminToken()) return render(container);
  const token = input({ type: 'password', name: 'adminToken', placeholder: 'admin token', 'data-testid': 'admin-token', autocomplete: 'current-password' });
  const form = h('form', { class: 'stack', 'data-testid': 'admin-login' },
    h('p', { class: 'muted', text: 'Operator pages need the admin token (configuration admin.token). It is kept in this tab only (sessionStorage) and sent as Authorization: Bearer.' }),
    field('Admin token', token),
    h('div', { class: 'row' }, h('button', { type: 'submit', 'data-testid': 'admin-login-submit' }, 'Sign in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    session.setAdminToken(token.value.trim());
    try {
      await admin('GET', '/admin/api/merchants?limit=1');
      toast('Signed in as operator', 'ok');
      container.replaceChildren();
      render(container);
    } catch (e) {
      session.clearAdminToken();
      toast(e.message, 'error');
    }
  });
  container.append(card('Operator sign-in', form));
  return undefined;
}
