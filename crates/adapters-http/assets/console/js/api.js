// Talking to SimplePG: admin requests (bearer token kept in sessionStorage, or the session
// cookie of a signed-in person with its CSRF token) and merchant
// requests signed in the browser exactly as docs/signing.md describes (HMAC-SHA256 over the
// six-line canonical string). Nothing is stored on the server; the merchant secret stays in
// this tab's sessionStorage and only its signature is sent.

const ADMIN_KEY = 'simplepg.adminToken';
const MERCHANT_KEY = 'simplepg.merchant';
const LOGIN_KEY = 'simplepg.login'; // {user, csrfToken}: never the password

export const session = {
  adminToken() { return sessionStorage.getItem(ADMIN_KEY) || ''; },
  setAdminToken(t) { sessionStorage.setItem(ADMIN_KEY, t); notify(); },
  clearAdminToken() { sessionStorage.removeItem(ADMIN_KEY); notify(); },
  /** The signed-in person ({userId, email, role, clientId, ...}) or null. */
  user() { return (this.login() || {}).user || null; },
  csrfToken() { return (this.login() || {}).csrfToken || ''; },
  login() {
    try { return JSON.parse(sessionStorage.getItem(LOGIN_KEY) || 'null'); } catch { return null; }
  },
  setLogin(l) {
    const kept = { user: l.user, csrfToken: l.csrfToken, totpEnrollmentRequired: !!l.totpEnrollmentRequired };
    sessionStorage.setItem(LOGIN_KEY, JSON.stringify(kept));
    notify();
  },
  /** A person whose role must confirm a second factor before the back office lets it in. */
  mustEnrollTotp() { return !this.adminToken() && !!(this.login() || {}).totpEnrollmentRequired; },
  clearLogin() { sessionStorage.removeItem(LOGIN_KEY); notify(); },
  /** Signed in to the operator pages at all: by the admin token or as a person. */
  signedIn() { return !!(this.adminToken() || this.user()); },
  /** May use everything: the admin token, or a person whose role is ADMIN. */
  isAdmin() {
    const u = this.user();
    return !!(this.adminToken() || (u && u.role === 'ADMIN'));
  },
  merchant() {
    try { return JSON.parse(sessionStorage.getItem(MERCHANT_KEY) || 'null'); } catch { return null; }
  },
  setMerchant(m) { sessionStorage.setItem(MERCHANT_KEY, JSON.stringify(m)); notify(); },
  clearMerchant() { sessionStorage.removeItem(MERCHANT_KEY); notify(); },
};

function notify() { window.dispatchEvent(new CustomEvent('simplepg:session')); }

/** Reads a whole response: status, headers, text, JSON (if any) and timing. */
async function exchange(method, url, headers, body) {
  const started = performance.now();
  let res;
  try {
    res = await fetch(url, { method, headers, body: body === undefined || body === null ? undefined : body, cache: 'no-store', credentials: 'same-origin' });
  } catch (e) {
    return { status: 0, ok: false, headers: [], text: '', json: null, ms: Math.round(performance.now() - started), error: String(e) };
  }
  const text = await res.text();
  const ms = Math.round(performance.now() - started);
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, ok: res.ok, headers: [...res.headers.entries()], text, json, ms, contentType: res.headers.get('content-type') || '' };
}

/** GET /health, /ready: no authentication. */
export function probe(path) {
  return exchange('GET', path, {});
}

export class ApiError extends Error {
  constructor(res) {
    const p = res.json || {};
    super(p.detail ? `${p.title || 'Error'} (${p.code || res.status}): ${p.detail}` : `HTTP ${res.status}`);
    this.res = res;
  }
}

/** An admin request; the whole answer whatever its status ({status, ok, json, text, ...}). */
export async function adminRaw(method, path, body) {
  const headers = {};
  if (session.adminToken()) {
    headers.Authorization = `Bearer ${session.adminToken()}`;
  } else if (session.csrfToken() && method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = session.csrfToken(); // the session cookie goes along by itself
  }
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await exchange(method, path, headers, payload);
  if (res.status === 401) {
    window.dispatchEvent(new CustomEvent('simplepg:admin-rejected'));
  }
  return res;
}

/** An admin request; throws ApiError on a non-2xx answer. */
export async function admin(method, path, body) {
  const res = await adminRaw(method, path, body);
  if (!res.ok) throw new ApiError(res);
  return res.json;
}

/** The Retry-After of an answer, in seconds, or null. */
function retryAfter(res) {
  const found = res.headers.find(([k]) => k.toLowerCase() === 'retry-after');
  return found ? Number(found[1]) : null;
}

/**
 * POST /auth/login. Resolves to {ok: true, login} or {ok: false, code, message}; code is the
 * problem's code (TOTP_REQUIRED asks for the one-time code, LOGIN_LOCKED says how long to wait).
 */
export async function login(email, password, totp) {
  const body = { email, password };
  if (totp) body.totp = totp;
  const res = await exchange('POST', '/auth/login', { 'Content-Type': 'application/json' }, JSON.stringify(body));
  if (res.ok && res.json) {
    session.setLogin(res.json);
    return { ok: true, login: res.json };
  }
  const p = res.json || {};
  let message = p.detail || `HTTP ${res.status}`;
  if (p.code === 'LOGIN_LOCKED') {
    const secs = retryAfter(res);
    if (secs !== null && !Number.isNaN(secs)) message = `${message} — try again in ${secs} s`;
  }
  return { ok: false, code: p.code || '', message };
}

/** GET /auth/me: restores a session whose cookie the browser still has; false if none. */
export async function restoreLogin() {
  const res = await exchange('GET', '/auth/me', {});
  if (res.ok && res.json) {
    session.setLogin(res.json);
    return true;
  }
  if (session.user()) session.clearLogin();
  return false;
}

/** POST /auth/logout (ends the session on the server), then forgets it here. */
export async function logout() {
  const res = await exchange('POST', '/auth/logout', { 'X-CSRF-Token': session.csrfToken() });
  session.clearMerchant(); // the sandbox's secret goes with the person who used it
  session.clearLogin();
  return res;
}

/** Builds a query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// ---------------------------------------------------------------------------------------------
// Signing

const encoder = new TextEncoder();

function hex(bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function base64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

const subtle = globalThis.crypto && globalThis.crypto.subtle;

/** Whether WebCrypto is available (it is only in secure contexts: https or localhost). */
export const webCrypto = !!subtle;

export async function sha256Hex(bytes) {
  if (subtle) return hex(new Uint8Array(await subtle.digest('SHA-256', bytes)));
  return hex(sha256(bytes));
}

export async function hmacBase64(secret, message) {
  const key = encoder.encode(secret);
  const data = encoder.encode(message);
  if (subtle) {
    const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return base64(new Uint8Array(await subtle.sign('HMAC', k, data)));
  }
  return base64(hmacSha256(key, data));
}

export function freshNonce() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return hex(bytes);
}

/**
 * Signs one request (docs/signing.md): returns the canonical string, the body hash and the
 * four headers. `body` is the exact string that will be sent ('' for none).
 */
export async function sign({ method, path, query: q = '', body = '', clientId, secret, timestamp, nonce }) {
  const ts = timestamp || String(Date.now());
  const n = nonce || freshNonce();
  const bodyHash = await sha256Hex(encoder.encode(body));
  const canonical = [method.toUpperCase(), path, q, ts, n, bodyHash].join('\n');
  const signature = await hmacBase64(secret, canonical);
  return {
    canonical,
    bodyHash,
    signature,
    headers: { 'X-Client-Id': clientId, 'X-Timestamp': ts, 'X-Nonce': n, 'X-Signature': signature },
  };
}

/** The worked example of docs/signing.md: proves this browser signs exactly like the server. */
export async function selfCheck() {
  const s = await sign({
    method: 'POST',
    path: '/api/payments',
    body: '{"orderNo":"ORDER-1001","amount":15000,"methodCode":"CARD","productName":"Coffee beans"}',
    clientId: 'mch_01a20d74f7a573d8a04b6d71eaac68e5',
    secret: 'sk_Zk9vYmFyLWV4YW1wbGUtc2VjcmV0LWRvLW5vdC11c2U',
    timestamp: '1795507200000',
    nonce: 'a1b2c3d4e5f60718293a4b5c',
  });
  return s.signature === 'muzhFlpksLNftTeWbcQB7d6skgZp+mAcQxyBMpe+iBY=';
}

/**
 * A signed merchant request with the credentials in `creds` ({clientId, clientSecret}).
 * Returns {request, response}: everything that was sent and everything that came back.
 */
export async function merchant(creds, { method, path, query: q = '', body = '', headers: extra = {} }) {
  if (!creds || !creds.clientId || !creds.clientSecret) {
    throw new Error('Set a client id and secret first (Sandbox → Credentials).');
  }
  const m = method.toUpperCase();
  const signed = await sign({ method: m, path, query: q, body, clientId: creds.clientId, secret: creds.clientSecret });
  const headers = { ...signed.headers, ...extra };
  if (body !== '') headers['Content-Type'] = 'application/json';
  const url = q ? `${path}?${q}` : path;
  const response = await exchange(m, url, headers, body === '' ? undefined : body);
  return { request: { method: m, url, headers, body, canonical: signed.canonical, bodyHash: signed.bodyHash, signature: signed.signature }, response };
}

// ---------------------------------------------------------------------------------------------
// Problem details, explained

const EXPLANATIONS = {
  VALIDATION_FAILED: 'A field or query parameter is missing, malformed, out of range or unknown. Each entry under "errors" names the field and what is wrong with it.',
  MALFORMED_JSON: 'The body is not valid JSON (or is empty where a JSON object is required).',
  MISSING_AUTH_HEADERS: 'One of X-Client-Id, X-Timestamp, X-Nonce or X-Signature is missing; the detail names it.',
  INVALID_SIGNATURE: 'The signature does not match. Check the client secret, that the canonical string uses the exact path and raw query you sent, and that the body bytes you hashed are exactly the bytes sent. An unknown client id gives the same answer on purpose.',
  TIMESTAMP_OUT_OF_WINDOW: 'X-Timestamp must be Unix time in milliseconds within ±300 s of the server clock. Sending seconds instead of milliseconds lands here; so does a wrong computer clock.',
  REPLAYED_REQUEST: 'This nonce was already used by this client. Every request needs a fresh X-Nonce (the console makes one per request).',
  CLIENT_INACTIVE: 'The signature is valid but the merchant is deactivated. An operator can activate it in the back office.',
  CLIENT_ID_MISMATCH: 'The body carries a clientId that differs from X-Client-Id.',
  ADMIN_UNAUTHORIZED: 'The admin token is missing or wrong, or the session ended. Sign in to the back office again.',
  FORBIDDEN: 'Your role may not do this (docs/api.md §10: what each role may do).',
  CSRF_CHECK_FAILED: 'A change made with the session cookie needs X-CSRF-Token; sign in again.',
  LOGIN_FAILED: 'Wrong email, password or one-time code (or a disabled account).',
  LOGIN_LOCKED: 'Too many failed logins: the account is locked for the seconds in Retry-After.',
  EMAIL_TAKEN: 'Another account already has this email.',
  USER_NOT_FOUND: 'No such user (or not one you may manage).',
  LAST_ADMIN: 'The last enabled ADMIN cannot be disabled or demoted.',
  PAYMENT_NOT_FOUND: 'No payment with this key belongs to this merchant (another merchant\'s payment looks exactly like an unknown one).',
  MERCHANT_NOT_FOUND: 'No merchant with this client id.',
  DUPLICATE_ORDER: 'This merchant already used this orderNo. Order numbers are unique per merchant; pick a new one.',
  INVALID_STATE_TRANSITION: 'The payment is not in a state that allows this: complete needs APPROVED; cancel needs READY, APPROVED, COMPLETED or PARTIAL_CANCELED; FAILED, CANCELED and EXPIRED are final.',
  CANCEL_AMOUNT_EXCEEDED: 'cancelAmount is more than the payment\'s cancelableAmount (its amount less what is canceled or PENDING). Another cancel may have taken it first: read the payment again and cancel at most its cancelableAmount.',
  CONCURRENT_UPDATE: 'The payment kept changing while the server retried; simply retry.',
  IDEMPOTENCY_KEY_IN_USE: 'A request with this Idempotency-Key is still running.',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was used for a different request (method, path, query or body).',
  AMOUNT_MISMATCH: 'The acquirer reported an amount different from the payment\'s; the payment is unchanged.',
  PAYLOAD_TOO_LARGE: 'The body is over 64 KiB.',
  UNSUPPORTED_MEDIA_TYPE: 'The body must be sent with Content-Type: application/json.',
  RATE_LIMITED: 'Too many requests for this merchant; wait for the number of seconds in Retry-After.',
  ACQUIRER_ERROR: 'The acquirer refused the cancel: nothing was canceled, the payment\'s status is unchanged, and the FAILED cancel stays in its cancels (its amount cancelable again). (Mock: amounts ending in 007 refuse cancels.)',
  SERVICE_UNAVAILABLE: 'The database is unreachable; retry after Retry-After seconds.',
  NOT_FOUND: 'There is no such route (or the feature is off in this profile).',
  METHOD_NOT_ALLOWED: 'The route exists but not with this method; the Allow header lists the methods.',
  DELIVERY_NOT_FOUND: 'No delivery with this id.',
  SETTLEMENT_NOT_FOUND: 'No settlement batch with this id (or not one of your merchant\'s).',
  SETTLEMENT_DATE_NOT_OVER: 'The date has not ended yet in the settlement time zone (settlement.timezone, Asia/Seoul by default). A day is settled once it is over: run it tomorrow, or let the daily run settle it.',
  RECONCILIATION_NOT_FOUND: 'No reconciliation with this id.',
  DELIVERY_PENDING: 'The delivery is still scheduled; it will be attempted on its own.',
  INTERNAL_ERROR: 'A bug on the server. The cause is in the server log under the requestId.',
};

/** A readable explanation of a problem+json body, or null if it is not one. */
export function explainProblem(json) {
  if (!json || typeof json !== 'object' || !json.code) return null;
  return {
    title: `${json.status || ''} ${json.code} — ${json.title || ''}`.trim(),
    detail: json.detail || '',
    explanation: EXPLANATIONS[json.code] || 'See docs/api.md for this code.',
    errors: Array.isArray(json.errors) ? json.errors : [],
    requestId: json.requestId || '',
  };
}

// ---------------------------------------------------------------------------------------------
// SHA-256 and HMAC in plain JavaScript, used only where WebCrypto is unavailable (a page served
// over plain http from a host other than localhost is not a secure context).

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export function sha256(bytes) {
  const len = bytes.length;
  const padded = new Uint8Array(((len + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[len] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 4, (len * 8) >>> 0);
  view.setUint32(padded.length - 8, Math.floor((len * 8) / 0x100000000));
  const H = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const W = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
      const s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = H;
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + W[i]) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  H.forEach((v, i) => ov.setUint32(i * 4, v));
  return out;
}

export function hmacSha256(key, data) {
  let k = key.length > 64 ? sha256(key) : key;
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(sha256(inner), 64);
  k = null;
  return sha256(outer);
}

/** An /auth request of the signed-in person (the cookie, with its CSRF token): {ok, json, message}. */
async function authCall(path, body) {
  const headers = { 'X-CSRF-Token': session.csrfToken() };
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await exchange('POST', path, headers, payload);
  const p = res.json || {};
  return { ok: res.ok, status: res.status, json: res.json, code: p.code || '', message: p.detail || `HTTP ${res.status}` };
}

/** POST /auth/totp: the otpauth:// URI to enroll an authenticator from (shown once). */
export function beginTotp() {
  return authCall('/auth/totp');
}

/** POST /auth/totp/confirm {code}: turns the second factor on (204). */
export function confirmTotp(code) {
  return authCall('/auth/totp/confirm', { code });
}
