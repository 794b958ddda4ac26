// What the signed-in role may use (docs/api.md §10.1, §10.5, §10.6). The console hides what a
// role may not do; the server decides anyway (403 FORBIDDEN, or 404 for another merchant's data).
import { session } from './api.js';

export const ROLES = ['ADMIN', 'OPERATOR', 'VIEWER', 'MERCHANT_ADMIN', 'MERCHANT_VIEWER'];
export const PLATFORM_ROLES = ['ADMIN', 'OPERATOR', 'VIEWER'];
export const MERCHANT_ROLES = ['MERCHANT_ADMIN', 'MERCHANT_VIEWER'];

const ALL = ROLES;
const CHANGERS = ['ADMIN', 'OPERATOR', 'MERCHANT_ADMIN'];

/** Who may do what; anything not listed is allowed to nobody. */
const RULES = {
  // pages
  dashboard: PLATFORM_ROLES,
  my: MERCHANT_ROLES,
  sandbox: ['ADMIN', 'OPERATOR', 'MERCHANT_ADMIN'],
  flow: ALL,
  live: ALL, // as the server answers GET /admin/api/events (probed); until then PROBED_DEFAULT
  simulator: ['ADMIN', 'OPERATOR'],
  merchants: PLATFORM_ROLES,
  payments: ALL,
  deliveries: ALL,
  stats: ALL,
  users: ['ADMIN', 'MERCHANT_ADMIN'],
  audit: ['ADMIN'],
  settlements: PLATFORM_ROLES,
  reconciliations: PLATFORM_ROLES,
  payouts: MERCHANT_ROLES,
  // actions
  registerMerchant: ['ADMIN'],
  activateMerchant: ['ADMIN'],
  editMerchant: ['ADMIN', 'MERCHANT_ADMIN'],
  rotateSecrets: ['ADMIN', 'MERCHANT_ADMIN'],
  testNotification: CHANGERS,
  cancel: CHANGERS,
  retry: CHANGERS,
  runSettlement: ['ADMIN'],
  reconcile: ['ADMIN'],
  editTerms: ['ADMIN'],
};

/** The role in force: ADMIN for the admin token, the person's role, or null (signed out). */
export function role() {
  if (session.adminToken()) return 'ADMIN';
  const u = session.user();
  return u ? u.role : null;
}

/** The merchant of a merchant user (null for a platform role or the admin token). */
export function myClientId() {
  if (session.adminToken()) return null;
  const u = session.user();
  return u && MERCHANT_ROLES.includes(u.role) ? u.clientId : null;
}

export function isMerchantRole() {
  return MERCHANT_ROLES.includes(role());
}

export function isPlatformRole() {
  return PLATFORM_ROLES.includes(role());
}

// The live feed of the whole PG is shown as the server decides: GET /admin/api/events is asked
// once per sign-in (200: shown, 403: hidden); until it answers, the platform roles see it.
const PROBED_DEFAULT = { live: PLATFORM_ROLES };
const probed = new Map(); // `${who}:${what}` -> boolean
const asking = new Set();

/** May the signed-in role do `what`? Signed out: nothing. */
export function can(what) {
  const r = role();
  if (!r) return false;
  if (!(RULES[what] || []).includes(r)) return false;
  const answer = probed.get(`${who()}:${what}`);
  if (answer !== undefined) return answer;
  return PROBED_DEFAULT[what] ? PROBED_DEFAULT[what].includes(r) : true;
}

/** The page a role starts on. */
export function home() {
  return isMerchantRole() ? '#/my' : '#/';
}

function who() {
  if (session.adminToken()) return 'token';
  const u = session.user();
  return u ? u.userId || u.email : '';
}

/**
 * Asks the server whether the live feed is open to this session: GET /admin/api/events, its
 * status read and the stream dropped at once. Resolves true when the answer changed what `can`
 * says (a 403 hides the Live log, a 200 shows it).
 */
export async function probeLive() {
  const key = `${who()}:live`;
  if (!role() || probed.has(key) || asking.has(key)) return false;
  asking.add(key);
  const before = can('live');
  const ctl = new AbortController();
  const headers = session.adminToken() ? { Authorization: `Bearer ${session.adminToken()}` } : {};
  try {
    const res = await fetch('/admin/api/events', { headers, signal: ctl.signal, credentials: 'same-origin', cache: 'no-store' });
    probed.set(key, res.ok);
    return can('live') !== before;
  } catch {
    return false; // no answer: keep what the rule says
  } finally {
    asking.delete(key);
    ctl.abort();
  }
}

/**
 * Shows the navigation entries the role may use: `data-need="x"` is shown when `can('x')`, or
 * signed out when it also has `data-public`; a group heading is shown when one of its entries is.
 */
export function applyNav(nav) {
  const signedIn = !!role();
  let heading = null;
  let any = false;
  const close = () => { if (heading) heading.hidden = !any; };
  for (const el of nav.children) {
    if (el.classList.contains('nav-group')) {
      close();
      heading = el;
      any = false;
    } else if (el.dataset.need) {
      el.hidden = signedIn ? !can(el.dataset.need) : !('public' in el.dataset);
      if (!el.hidden) any = true;
    }
  }
  close();
}
