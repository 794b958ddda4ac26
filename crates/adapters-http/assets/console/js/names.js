// Merchant names (clientName) beside their client ids in the lists: GET /admin/api/merchants
// once (up to 1,000 merchants), then GET /admin/api/merchants/{clientId} for any id it missed;
// kept for a minute, forgotten when the session changes.
import { admin, adminRaw } from './api.js';
import { h } from './ui.js';

const TTL_MS = 60000;
let names = new Map(); // clientId -> Promise<string|null>
let listed = null;
let listedAt = 0;

window.addEventListener('simplepg:session', () => forget());

/** Forgets every name (after a registration or a rename, and when the session changes). */
export function forget() {
  names = new Map();
  listed = null;
  listedAt = 0;
}

async function listAll() {
  const found = new Map();
  let after = '';
  for (let i = 0; i < 10; i += 1) {
    const page = await admin('GET', `/admin/api/merchants?limit=100${after ? `&startingAfter=${after}` : ''}`);
    for (const m of page.data) found.set(m.clientId, m.clientName);
    if (!page.hasMore || page.data.length === 0) break;
    after = page.data[page.data.length - 1].clientId;
  }
  return found;
}

function fresh() {
  if (Date.now() - listedAt > TTL_MS) {
    listedAt = Date.now();
    names = new Map();
    listed = listAll().catch(() => new Map());
  }
}

/** Every merchant the session may see, as [clientId, clientName] sorted by name. */
export async function merchantList() {
  fresh();
  const all = await listed;
  return [...all.entries()].sort((a, b) => String(a[1]).localeCompare(String(b[1])));
}

/** The clientName of `clientId`, or null when it cannot be read. */
export async function nameOf(clientId) {
  if (!clientId) return null;
  fresh();
  if (!names.has(clientId)) {
    names.set(clientId, (async () => {
      const all = await listed;
      if (all.has(clientId)) return all.get(clientId);
      const res = await adminRaw('GET', `/admin/api/merchants/${encodeURIComponent(clientId)}`);
      return res.ok && res.json ? res.json.clientName : null;
    })());
  }
  return names.get(clientId);
}

/** The merchant's name above its client id; the name fills in when known. */
export function merchantLabel(clientId) {
  const name = h('span', { class: 'merchant-name', 'data-testid': 'client-name' });
  nameOf(clientId).then((n) => { name.textContent = n || ''; }).catch(() => {});
  return h('span', { class: 'merchant' }, name, h('code', { class: 'small', text: clientId || '—' }));
}
