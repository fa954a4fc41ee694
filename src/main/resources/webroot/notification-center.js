// The notification-center page: one Herald client, rendered. In development mode (GET /dev/session answers) it
// connects as the demo user and can publish test notifications; otherwise it takes its token from the address
// fragment, #token=<jwt>, which browsers never send to a server.
import { Herald } from './herald-client.js';

/** Most notifications kept on the page; the oldest go first. */
const MAX_ITEMS = 200;
/** Most lines in the events panel. */
const MAX_EVENTS = 50;
const TRANSPORT_LABELS = { websocket: 'WebSocket', sockjs: 'SockJS' };

/**
 * Takes the token out of the page's address: {@code #token=} is read, {@code ?token=} is not (that address has
 * already reached the server's and every proxy's access log; the page no longer invites the habit). Both are removed
 * from the address bar at once, so that history, bookmarks and shared links do not keep the token.
 */
function takeTokenFromAddress() {
  const url = new URL(location.href);
  const fragment = new URLSearchParams(url.hash.slice(1));
  const token = fragment.get('token');
  const inQuery = url.searchParams.has('token');
  if (token === null && !inQuery) {
    return { token: null, inQuery };
  }
  fragment.delete('token');
  url.searchParams.delete('token');
  url.hash = fragment.toString();
  history.replaceState(history.state, '', url.href);
  return { token: token || null, inQuery };
}

/** The token the page was opened with, held in memory only: a reload needs the #token= address again. */
const opened = takeTokenFromAddress();
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const view = {
  connection: $('connection'),
  connectionLabel: $('connection-label'),
  sessionInfo: $('session-info'),
  badge: $('unread-count'),
  list: $('notifications'),
  empty: $('empty'),
  template: $('notification-template'),
  events: $('events'),
  publish: $('publish'),
  publishResult: $('publish-result'),
  tokenHelp: $('token-help'),
};

/** Notification id -> its list item. */
const items = new Map();
let client = null;
/** The development session last fetched ({user_id, token, api_key}), or null outside development mode. */
let devSession = null;

function logEvent(text, isError = false) {
  const line = document.createElement('li');
  line.className = isError ? 'error' : '';
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString();
  line.append(time, text);
  view.events.prepend(line);
  while (view.events.children.length > MAX_EVENTS) {
    view.events.lastElementChild.remove();
  }
}

/** GET /dev/session: the session, null when the node is not in development mode; throws when unreachable. */
async function fetchDevSession() {
  const response = await fetch('/dev/session', { cache: 'no-store' });
  if (response.status === 404) {
    return null;
  }
  if (!response.ok) {
    throw new Error(`development session refused (HTTP ${response.status})`);
  }
  devSession = await response.json();
  view.publish.hidden = false;
  return devSession;
}

/** The token source handed to the client: called before every (re)connect. */
function tokenSource() {
  if (opened.token) {
    return opened.token;
  }
  return fetchDevSession().then((session) => {
    if (!session) {
      throw new Error('this node is not in development mode: open the page with #token=<jwt>');
    }
    return session.token;
  });
}

// ---------------------------------------------------------------- rendering

function renderStatus(status) {
  view.connection.dataset.state = status.state;
  const transport = TRANSPORT_LABELS[status.transport];
  const labels = {
    connecting: 'Connecting…',
    open: `Connected · ${transport}`,
    reconnecting: status.delay != null ? `Reconnecting in ${Math.ceil(status.delay / 1000)} s…` : 'Reconnecting…',
    closed: 'Disconnected',
  };
  view.connectionLabel.textContent = labels[status.state];
  if (status.state === 'open') {
    view.sessionInfo.textContent = `Signed in as ${status.userId} · node ${status.nodeId}`;
  }
  const code = status.code != null ? ` (close ${status.code}${status.reason ? `: ${status.reason}` : ''})` : '';
  const resumed = { true: ' · resumed, nothing missed', false: ' · history lost, unread reloaded' }[status.recovered] ?? '';
  logEvent(`${status.state} over ${transport}${code}${resumed}`);
}

function renderBadge(count) {
  const value = count ?? 0;
  view.badge.textContent = String(value);
  view.badge.dataset.count = String(value);
}

/** An http(s) URL for a link, or null: a notification cannot smuggle a javascript: link into the page. */
function safeUrl(text) {
  try {
    const url = new URL(String(text), location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch (e) {
    return null;
  }
}

function link(label, href) {
  const a = document.createElement('a');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.textContent = label;
  return a;
}

function titleOf(n) {
  if (n.alert_name) {
    return n.alert_name;
  }
  if (n.notification_type) {
    return n.notification_type;
  }
  if (n.topic) {
    return `#${n.topic}`;
  }
  return n.stream === 'broadcast' ? 'Broadcast' : 'Notification';
}

function renderDetails(element, details) {
  const entries = Object.entries(details ?? {});
  element.hidden = entries.length === 0;
  const dl = element.querySelector('dl');
  for (const [key, value] of entries) {
    const dt = document.createElement('dt');
    dt.textContent = key.replaceAll('_', ' ');
    const dd = document.createElement('dd');
    const href = typeof value === 'string' && /^https?:\/\//.test(value) ? safeUrl(value) : null;
    if (href) {
      dd.append(link(value, href));
    } else {
      dd.textContent = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    }
    dl.append(dt, dd);
  }
}

function createItem(n, markable) {
  const li = view.template.content.firstElementChild.cloneNode(true);
  li.dataset.id = n.id;
  li.dataset.priority = n.priority ?? 'Medium';
  li.dataset.timestamp = n.timestamp ?? '';
  li.querySelector('.priority').textContent = n.priority ?? 'Medium';
  li.querySelector('.title').textContent = titleOf(n);
  const time = li.querySelector('.time');
  const when = n.timestamp ? new Date(n.timestamp) : new Date();
  time.dateTime = when.toISOString();
  time.title = when.toISOString();
  time.textContent = when.toLocaleTimeString();
  li.querySelector('.message').textContent = n.message ?? '';
  renderDetails(li.querySelector('.details'), n.details);
  const actions = li.querySelector('.actions');
  for (const action of n.actions ?? []) {
    const href = safeUrl(action.url);
    if (href) {
      actions.append(link(action.label ?? action.url, href));
    }
  }
  const button = li.querySelector('.mark-read');
  if (markable) {
    button.addEventListener('click', () => markRead(n.id, button));
  } else {
    button.remove();
  }
  return li;
}

/** Adds a notification (newest first by timestamp) unless it is already listed. */
function upsert(n, markable) {
  if (items.has(n.id)) {
    return;
  }
  const li = createItem(n, markable);
  const before = [...view.list.children].find((other) => (other.dataset.timestamp ?? '') < (n.timestamp ?? ''));
  view.list.insertBefore(li, before ?? null);
  items.set(n.id, li);
  while (view.list.children.length > MAX_ITEMS) {
    const oldest = view.list.lastElementChild;
    items.delete(oldest.dataset.id);
    oldest.remove();
  }
  view.empty.hidden = true;
}

function showRead(id) {
  const li = items.get(id);
  if (li) {
    li.classList.add('read');
    li.querySelector('.mark-read')?.remove();
  }
}

function markRead(id, button) {
  button.disabled = true;
  client.markRead(id).catch((e) => {
    button.disabled = false;
    logEvent(`mark read failed: ${e.code ?? ''} ${e.message}`, true);
  });
}

// ---------------------------------------------------------------- the client

function connect(transport) {
  client?.close();
  const current = new Herald({ url: location.origin, transport, token: tokenSource });
  client = current;
  // Events of a client replaced by a transport switch are ignored.
  const mine = (handler) => (value) => {
    if (client === current) {
      handler(value);
    }
  };
  current.on('status', mine(renderStatus));
  current.on('notification', mine((n) => upsert(n, n.stream !== 'topic' && n.stream !== 'broadcast')));
  current.on('unread', mine((u) => {
    renderBadge(u.count);
    (u.notifications ?? []).forEach((n) => upsert(n, true));
    if (u.read) {
      showRead(u.read);
    }
  }));
  current.on('error', mine((e) => logEvent(`${e.code ?? 'error'}: ${e.message}`, true)));
}

async function publish(event) {
  event.preventDefault();
  const form = new FormData(view.publish);
  const body = {
    message: form.get('message'),
    priority: form.get('priority'),
    alert_name: 'Test notification',
    notification_type: 'test',
    details: { source: 'notification center', sent_at: new Date().toISOString() },
    actions: [{ label: 'Node health', url: '/health' }],
  };
  if (form.get('target') === 'broadcast') {
    body.broadcast = true;
  } else {
    body.user_id = devSession.user_id;
  }
  view.publishResult.textContent = 'Publishing…';
  try {
    const response = await fetch('/api/v1/notifications', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${devSession.api_key}` },
      body: JSON.stringify(body),
    });
    const reply = await response.json();
    view.publishResult.textContent = response.ok ? `Published ${reply.ids.join(', ')}` : `Refused: ${reply.error}`;
  } catch (e) {
    view.publishResult.textContent = `Failed: ${e.message}`;
  }
}

async function start() {
  if (opened.inQuery) {
    logEvent('?token= in the address is no longer read (and was removed from it): open the page with #token=<jwt>', true);
  }
  if (!opened.token) {
    try {
      if (!(await fetchDevSession())) {
        view.tokenHelp.hidden = false;
        renderStatus({ state: 'closed', transport: 'websocket' });
        return;
      }
    } catch (e) {
      // The node is unreachable for now: the client keeps trying (and fetches the session) with backoff.
      logEvent(e.message, true);
    }
  }
  view.publish.addEventListener('submit', publish);
  const requested = params.get('transport');
  const transport = TRANSPORT_LABELS[requested] ? requested : 'websocket';
  for (const radio of document.querySelectorAll('input[name="transport"]')) {
    radio.checked = radio.value === transport;
    radio.addEventListener('change', () => {
      params.set('transport', radio.value);
      history.replaceState(null, '', `?${params}`);
      connect(radio.value);
    });
  }
  connect(transport);
}

start();
