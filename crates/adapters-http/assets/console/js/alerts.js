// The alert strip under the top bar, for every signed-in role: DEAD deliveries and the outbox
// backlog from GET /admin/api/deliveries/summary (a merchant user gets its merchant's figures),
// asked every 30 s and when the page changes, each figure linking to the deliveries page.
import { adminRaw, session } from './api.js';
import { h, fmtAge } from './ui.js';

export const POLL_MS = 30000;
/** A due delivery waiting longer than this is a backlog worth showing. */
const BACKLOG_SECS = 60;
/** Asking again on a page change no sooner than this after the last answer. */
const MIN_GAP_MS = 3000;

let timer = null;
let lastAt = 0;
let inFlight = null;

function strip() {
  return document.getElementById('alerts');
}

function show(state, ...items) {
  const el = strip();
  if (!el) return;
  el.dataset.state = state;
  el.replaceChildren(...items);
  el.hidden = items.length === 0;
  el.className = `alert-strip alert-${state}`;
}

function item(kind, href, testid, ...text) {
  return h('a', { class: `alert-item alert-item-${kind}`, href, 'data-testid': testid }, ...text);
}

/** What the summary says, as links; empty when all is well. */
export function items(s) {
  const out = [];
  if (s.dead > 0) {
    out.push(item('bad', '#/deliveries?status=DEAD', 'alert-dead',
      h('strong', { text: String(s.dead) }), ` dead deliver${s.dead === 1 ? 'y' : 'ies'} — retry or fix the receiver`));
  }
  const dueAge = s.oldestDueAgeSeconds;
  if (s.due > 0 && dueAge !== null && dueAge !== undefined && dueAge >= BACKLOG_SECS) {
    out.push(item('warn', '#/deliveries?status=PENDING', 'alert-backlog',
      'Outbox backlog: ', h('strong', { text: String(s.due) }), ` due, the oldest for ${fmtAge(dueAge)}`));
  }
  if (s.retrying > 0) {
    out.push(item('warn', '#/deliveries?status=PENDING', 'alert-retrying',
      h('strong', { text: String(s.retrying) }), ` retrying${s.oldestRetryingAgeSeconds !== null && s.oldestRetryingAgeSeconds !== undefined ? `, the oldest for ${fmtAge(s.oldestRetryingAgeSeconds)}` : ''}`));
  }
  return out;
}

/** Asks for the summary now (unless asked a moment ago) and shows it. */
export async function refresh(force) {
  if (!session.signedIn()) {
    show('off');
    return;
  }
  if (inFlight) return;
  if (!force && Date.now() - lastAt < MIN_GAP_MS) return;
  inFlight = adminRaw('GET', '/admin/api/deliveries/summary');
  try {
    const res = await inFlight;
    lastAt = Date.now();
    if (!session.signedIn()) {
      show('off');
    } else if (res.ok && res.json) {
      const found = items(res.json);
      show(found.length ? 'alert' : 'clear', ...found);
      strip().dataset.dead = String(res.json.dead);
      strip().dataset.due = String(res.json.due);
    } else {
      show('unavailable'); // an older server without the summary, or refused: nothing to say
    }
  } finally {
    inFlight = null;
  }
}

/** Starts polling while someone is signed in; stops (and hides the strip) otherwise. */
export function sync() {
  if (session.signedIn()) {
    if (!timer) {
      timer = setInterval(() => { refresh(true); }, POLL_MS);
      refresh(true);
    }
  } else {
    if (timer) clearInterval(timer);
    timer = null;
    lastAt = 0;
    show('off');
  }
}
