/**
 * herald-client.js: the browser client of a Herald node (plain ES module, no build step).
 *
 *   import { Herald } from 'http://localhost:8080/herald-client.js';
 *   const h = new Herald({ url: 'http://localhost:8080', token: () => currentToken, transport: 'websocket' });
 *   h.on('notification', n => ...); h.on('status', s => ...); h.on('unread', u => ...); h.on('error', e => ...);
 *
 * Transports: 'websocket' speaks the /ws protocol; 'sockjs' speaks to the SockJS event-bus bridge at /eventbus
 * through the standard vertx-eventbus.js client, whose two scripts the node serves under /vendor/. Both emit the
 * same events. The README ("JavaScript client") documents every option, event and method.
 */

/** Connection states, in the order a session usually goes through them. */
export const STATES = Object.freeze(['connecting', 'open', 'reconnecting', 'closed']);

/** Options left out of the constructor take these values (times in milliseconds). */
export const DEFAULTS = Object.freeze({
  transport: 'websocket',
  device: 'Dashboard',
  reconnect: Object.freeze({
    initialDelay: 1000, maxDelay: 30000, factor: 2, jitter: 0.5, maxAttempts: Infinity,
  }),
  heartbeatInterval: 25000,
  heartbeatTimeout: 10000,
  requestTimeout: 10000,
  maxQueue: 100,
  unreadLimit: 10,
});

/** Close codes (README "Close codes") after which the session is over: no reconnect. */
const FINAL_CLOSE_CODES = new Set([1000, 4003]);
/** The node is going away: reconnect at once, the load balancer picks another node. */
const SHUTDOWN_CLOSE_CODE = 1001;
/** Token invalid or expired: reconnect only with a token different from the refused one. */
const TOKEN_INVALID_CLOSE_CODE = 4001;
/** Bridge error messages (the /ws error codes) that mean the same as close code 4001. */
const TOKEN_ERRORS = new Set(['token_invalid', 'not_authenticated']);
/** Positions remembered to drop duplicates (replay and live copies, resume overlaps). */
const SEEN_POSITIONS = 2048;
/** Ids of unread notifications remembered to keep the unread count in step. */
const KNOWN_UNREAD = 1024;

/**
 * The delay before reconnect attempt number {@code attempt} (0-based): {@code initialDelay} multiplied by
 * {@code factor} per attempt, capped at {@code maxDelay}, less a random share of up to {@code jitter} of it so
 * that clients dropped together do not come back together.
 */
export function reconnectDelay(attempt, reconnect, random = Math.random) {
  const nominal = Math.min(reconnect.maxDelay, reconnect.initialDelay * Math.pow(reconnect.factor, attempt));
  return Math.round(nominal * (1 - reconnect.jitter * random()));
}

/** An error with a machine-readable code, as carried by the 'error' event and rejected promises. */
export class HeraldError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = 'HeraldError';
    this.code = code;
    Object.assign(this, extra);
  }
}

/** Raised to the client when the connection under a request went away: the request is sent again later. */
class ConnectionLost extends HeraldError {
  constructor() {
    super('connection_lost', 'the connection closed before the answer came');
  }
}

/** A set that forgets its oldest entries beyond a fixed size. */
class BoundedSet {
  constructor(max) {
    this.max = max;
    this.items = new Set();
  }

  has(item) {
    return this.items.has(item);
  }

  add(item) {
    this.items.delete(item);
    this.items.add(item);
    if (this.items.size > this.max) {
      this.items.delete(this.items.values().next().value);
    }
  }

  delete(item) {
    return this.items.delete(item);
  }

  clear() {
    this.items.clear();
  }
}

/** Minimal event emitter: a listener that throws is reported on the console and does not stop the others. */
class Emitter {
  constructor() {
    this.listeners = new Map();
  }

  on(event, listener) {
    if (!this.listeners.has(event)) {
      this.listeners.set(event, new Set());
    }
    this.listeners.get(event).add(listener);
    return () => this.off(event, listener);
  }

  off(event, listener) {
    this.listeners.get(event)?.delete(listener);
  }

  emit(event, value) {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(value);
      } catch (e) {
        console.error(`herald-client: '${event}' listener failed`, e);
      }
    }
  }
}

/**
 * Where the client stands in its history streams, which it resumes from after a reconnect: the user stream's epoch and
 * highest offset seen, and the same for the tenant's broadcast stream and each topic stream it received from (by
 * stream name: 'broadcast', 'topic:<name>'); and the positions already delivered, so that a notification arriving
 * twice (a replay overlapping live delivery) is emitted once.
 */
class StreamPosition {
  constructor() {
    this.epoch = null;
    this.offset = 0;
    /** Stream name -> {epoch, offset} of the broadcast and topic streams; at most one per joined topic and the broadcast. */
    this.streams = new Map();
    this.seen = new BoundedSet(SEEN_POSITIONS);
  }

  /** Takes the stream position a server reported (Authenticated, Status, Resumed). */
  adopt(epoch, offset) {
    if (typeof epoch !== 'string') {
      return;
    }
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.offset = offset ?? 0;
    } else {
      this.offset = Math.max(this.offset, offset ?? 0);
    }
  }

  /** Takes the position of a broadcast or topic stream (a notification's, or the per-stream answer of a resume). */
  adoptStream(name, epoch, offset) {
    if (typeof epoch !== 'string' || typeof offset !== 'number') {
      return;
    }
    const known = this.streams.get(name);
    if (!known || known.epoch !== epoch) {
      this.streams.set(name, { epoch, offset });
    } else {
      known.offset = Math.max(known.offset, offset);
    }
  }

  /** Forgets a topic's stream position (the topic was left or refused). */
  forgetTopic(topic) {
    this.streams.delete(`topic:${topic}`);
  }

  /** True the first time a notification is seen; notifications without a position always pass. */
  accept(notification) {
    if (typeof notification.epoch !== 'string' || typeof notification.offset !== 'number') {
      return true;
    }
    const key = `${notification.stream}|${notification.topic ?? ''}|${notification.epoch}|${notification.offset}`;
    if (this.seen.has(key)) {
      return false;
    }
    this.seen.add(key);
    if (notification.stream === 'user') {
      this.adopt(notification.epoch, notification.offset);
    } else {
      const name = streamName(notification);
      if (name !== null) {
        this.adoptStream(name, notification.epoch, notification.offset);
      }
    }
    return true;
  }

  /** The position to resume from, or null before anything was received. */
  resumePoint() {
    return this.epoch === null ? null : { epoch: this.epoch, last_offset: this.offset };
  }

  /**
   * The broadcast and topic streams to resume, as the 'streams' of Authenticate and herald.client.resume: the
   * broadcast's and each of the {@code topics}'s, at its known position, or {} (from now: the server answers with the
   * stream's position) for a stream the client has no position of yet.
   */
  streamPoints(topics) {
    const points = {};
    for (const name of ['broadcast', ...[...topics].map((t) => `topic:${t}`)]) {
      const p = this.streams.get(name);
      points[name] = p ? { epoch: p.epoch, offset: p.offset } : {};
    }
    return points;
  }

  /** Whether the client has a position of the stream. */
  knows(name) {
    return this.streams.has(name);
  }

  /** A copy of the current position, for the unread watermark. */
  snapshot() {
    return { epoch: this.epoch, offset: this.offset };
  }
}

/** The name of a broadcast or topic notification's stream in 'streams' ('broadcast', 'topic:<name>'), else null. */
function streamName(notification) {
  if (notification.stream === 'broadcast') {
    return 'broadcast';
  }
  return notification.stream === 'topic' && typeof notification.topic === 'string' ? `topic:${notification.topic}` : null;
}

/**
 * The user's unread count: taken from the server at every connection (InitialState, Unread) and kept in step
 * locally in between (+1 per new user notification, -1 per NotificationUpdated of a known unread one).
 */
class UnreadCount {
  constructor() {
    this.count = null;
    this.ids = new BoundedSet(KNOWN_UNREAD);
    this.watermark = null;
  }

  /** A server snapshot taken at {@code watermark}: user notifications up to it are already in the count. */
  reset(count, notifications, watermark) {
    this.count = count;
    this.ids.clear();
    for (const n of notifications ?? []) {
      this.ids.add(n.id);
    }
    this.watermark = watermark;
  }

  /** A new user notification; true when the count changed. */
  added(notification) {
    if (notification.stream !== 'user' || this.ids.has(notification.id)) {
      return false;
    }
    this.ids.add(notification.id);
    const w = this.watermark;
    if (this.count === null || (w && notification.epoch === w.epoch && notification.offset <= w.offset)) {
      return false;
    }
    this.count += 1;
    return true;
  }

  /** A notification marked read; false when it was not known as unread (the count must be fetched again). */
  read(id) {
    if (!this.ids.delete(id)) {
      return false;
    }
    if (this.count !== null) {
      this.count = Math.max(0, this.count - 1);
    }
    return true;
  }
}

/** The endpoint URL of {@code path} on the node at {@code base}, in the ws(s) or http(s) scheme. */
function endpoint(base, path, webSocket) {
  const url = new URL(base, globalThis.location?.href);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  url.protocol = webSocket ? (secure ? 'wss:' : 'ws:') : (secure ? 'https:' : 'http:');
  // A base naming the endpoint itself (ws://host/ws) is accepted too.
  url.pathname = url.pathname.replace(/\/(ws|eventbus)\/?$/, '').replace(/\/+$/, '') + path;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** Runs {@code promise} with a time limit: rejects with code 'timeout' after {@code ms}. */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new HeraldError('timeout', `${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The /ws transport: one WebSocket, JSON text frames, answers matched to requests in order per reply type. The token
 * goes in the first frame, Authenticate, never in the URL (an upgrade's ?token= would reach access logs).
 */
class WebSocketTransport {
  constructor(base, options, events) {
    this.url = endpoint(base, '/ws', true);
    this.options = options;
    this.events = events;
    this.socket = null;
    /** Reply type -> requests waiting for it, oldest first (the server answers in order). */
    this.waiting = new Map();
    /** Notification id -> requests waiting for its NotificationUpdated. */
    this.markReads = new Map();
  }

  get name() {
    return 'websocket';
  }

  open({ token, position, streams, filters, device }) {
    return new Promise((resolve, reject) => {
      let authenticated = false;
      let refusal = null;
      const socket = new WebSocket(this.url);
      this.socket = socket;
      socket.onopen = () => {
        const authenticate = { type: 'Authenticate', token, device };
        if (position) {
          authenticate.epoch = position.epoch;
          authenticate.last_offset = position.last_offset;
        }
        // Topics of the streams resumed are joined by Authenticate itself, before their replay: nothing live overtakes it.
        if (streams && Object.keys(streams).length > 0) {
          authenticate.streams = streams;
        }
        // The replays go through the filters, which the node keeps as a Subscribe's.
        if (filters !== undefined) {
          authenticate.filters = filters;
        }
        socket.send(JSON.stringify(authenticate));
      };
      socket.onmessage = (event) => {
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch (e) {
          this.events.error(new HeraldError('malformed', 'the server sent a frame that is not JSON'));
          return;
        }
        if (authenticated) {
          this.dispatch(frame);
        } else if (frame.type === 'Authenticated') {
          authenticated = true;
          this.events.authenticated({
            userId: frame.user_id, nodeId: frame.node_id, epoch: frame.epoch, offset: frame.offset,
            recovered: frame.recovered, streams: frame.streams,
          });
          resolve();
        } else if (frame.type === 'Error') {
          refusal = frame;
        }
      };
      socket.onclose = (event) => {
        this.socket = null;
        this.failWaiting();
        const close = { code: event.code, reason: event.reason || refusal?.message || '' };
        if (authenticated) {
          this.events.closed(close);
        } else {
          reject(new HeraldError(refusal?.code ?? 'connect_failed',
              refusal?.message ?? `connection closed (${event.code})`, { close }));
        }
      };
    });
  }

  dispatch(frame) {
    switch (frame.type) {
      case 'Notification':
        this.events.notification(frame);
        break;
      case 'InitialState':
        this.events.unreadSnapshot({ count: frame.unread_count, notifications: frame.notifications ?? [] });
        break;
      case 'NotificationUpdated':
        for (const request of this.markReads.get(frame.notification_id) ?? []) {
          request.resolve({ notification_id: frame.notification_id, read: frame.read });
        }
        this.markReads.delete(frame.notification_id);
        this.events.updated(frame);
        break;
      case 'Error':
        this.events.error(new HeraldError(frame.code, frame.message));
        break;
      default:
        this.answer(frame);
    }
  }

  /** Settles the oldest request waiting for this reply type (a late answer to a timed-out request is dropped). */
  answer(frame) {
    const queue = this.waiting.get(frame.type);
    const request = queue?.shift();
    if (request && !request.settled) {
      request.settled = true;
      request.resolve(frame);
    }
  }

  request(message, replyType) {
    return new Promise((resolve, reject) => {
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
        reject(new ConnectionLost());
        return;
      }
      const request = { resolve, reject, settled: false };
      if (!this.waiting.has(replyType)) {
        this.waiting.set(replyType, []);
      }
      this.waiting.get(replyType).push(request);
      setTimeout(() => {
        if (!request.settled) {
          // Stays in the queue, settled, so that its late answer is not taken for the next request's.
          request.settled = true;
          reject(new HeraldError('timeout', `no ${replyType} within ${this.options.requestTimeout} ms`));
        }
      }, this.options.requestTimeout);
      this.socket.send(JSON.stringify(message));
    });
  }

  async subscribe({ topics, filters }) {
    const message = { type: 'Subscribe', topics };
    if (filters !== undefined) {
      message.filters = filters;
    }
    const reply = await this.request(message, 'Subscribed');
    return { topics: reply.topics, refused: topics.filter((t) => !reply.topics.includes(t)), filters: reply.filters };
  }

  /** The current positions of streams the client has none of ({} in a Resume): the per-stream answer. */
  async positions(names) {
    const reply = await this.request({ type: 'Resume', streams: Object.fromEntries(names.map((n) => [n, {}])) },
        'Resumed');
    return reply.streams ?? {};
  }

  async unsubscribe(topics) {
    const reply = await this.request({ type: 'Unsubscribe', topics }, 'Unsubscribed');
    return { topics: reply.topics };
  }

  async unread(limit) {
    const reply = await this.request({ type: 'GetUnread', limit }, 'Unread');
    return { count: reply.count, notifications: reply.notifications ?? [] };
  }

  markRead(id) {
    const answered = new Promise((resolve, reject) => {
      if (!this.socket || this.socket.readyState !== WebSocket.OPEN) {
        reject(new ConnectionLost());
        return;
      }
      if (!this.markReads.has(id)) {
        this.markReads.set(id, []);
      }
      this.markReads.get(id).push({ resolve, reject });
      this.socket.send(JSON.stringify({ type: 'MarkRead', notification_id: id }));
    });
    return withTimeout(answered, this.options.requestTimeout, 'MarkRead');
  }

  ping() {
    return this.request({ type: 'Ping' }, 'Pong');
  }

  failWaiting() {
    for (const queue of this.waiting.values()) {
      for (const request of queue) {
        if (!request.settled) {
          request.settled = true;
          request.reject(new ConnectionLost());
        }
      }
    }
    this.waiting.clear();
    for (const requests of this.markReads.values()) {
      requests.forEach((request) => request.reject(new ConnectionLost()));
    }
    this.markReads.clear();
  }

  close() {
    const socket = this.socket;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      this.socket = null;
      this.failWaiting();
      socket.close(1000, 'client closed');
    }
  }
}

/** Loads the SockJS client and vertx-eventbus.js (classic scripts) from the node once per page. */
const scriptLoads = new Map();

function loadScript(src) {
  if (!scriptLoads.has(src)) {
    scriptLoads.set(src, new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve();
      script.onerror = () => {
        scriptLoads.delete(src);
        reject(new HeraldError('script_unavailable', `could not load ${src}`));
      };
      document.head.appendChild(script);
    }));
  }
  return scriptLoads.get(src);
}

async function loadEventBus(base) {
  if (typeof globalThis.EventBus !== 'function') {
    if (typeof globalThis.SockJS !== 'function') {
      await loadScript(endpoint(base, '/vendor/sockjs-client/sockjs.min.js', false));
    }
    await loadScript(endpoint(base, '/vendor/vertx-eventbus.js', false));
  }
  return globalThis.EventBus;
}

/**
 * The SockJS transport: the event-bus bridge at /eventbus, requests to the herald.client.* addresses, notifications
 * on the user, broadcast and topic addresses the bridge names. The token goes in the headers of the first frame,
 * never in the URL: sockjs-client repeats its URL's query on every request of every transport (info, xhr_send,
 * each poll), and URLs end up in proxy, balancer and server access logs.
 */
class SockJsTransport {
  constructor(base, options, events) {
    this.base = base;
    this.url = endpoint(base, '/eventbus', false);
    this.options = options;
    this.events = events;
    this.bus = null;
    this.pending = new Set();
    this.topicAddresses = new Map();
    /** Notifications held until the session is set up, so that missed ones come first and 'open' before all. */
    this.held = null;
    this.onAddressMessage = (err, message) => this.receive(err, message);
  }

  get name() {
    return 'sockjs';
  }

  async open({ token, position, streams, filters }) {
    const EventBus = await loadEventBus(this.base);
    return new Promise((resolve, reject) => {
      let opened = false;
      const bus = new EventBus(this.url);
      this.bus = bus;
      bus.onerror = (err) => this.events.error(new HeraldError(err?.message ?? 'bridge_error',
          err?.body ?? err?.message ?? 'event-bus bridge error'));
      bus.onclose = (event) => {
        const wasOpen = opened;
        opened = false;
        this.bus = null;
        this.failPending();
        const close = { code: event?.code ?? 1006, reason: event?.reason ?? '' };
        if (wasOpen) {
          this.events.closed(close);
        } else {
          reject(new HeraldError('connect_failed', `connection closed (${close.code})`, { close }));
        }
      };
      bus.onopen = async () => {
        try {
          // The first frame authenticates the socket (README "Browser bridge"); later frames need no token.
          const status = await this.call('herald.client.status', {}, { token });
          this.held = [];
          bus.registerHandler(status.addresses.user, this.onAddressMessage);
          bus.registerHandler(status.addresses.broadcast, this.onAddressMessage);
          let session = {
            userId: status.user_id, nodeId: status.node_id, epoch: status.epoch, offset: status.offset,
            recovered: undefined,
          };
          let missed = [];
          const resumedStreams = Object.keys(streams ?? {});
          // The topics resumed (and the filters the replay goes through) are asked for and their addresses registered
          // before the resume: what they deliver meanwhile is held with the rest.
          const topics = resumedStreams.filter((name) => name.startsWith('topic:')).map((name) => name.slice(6));
          if (topics.length > 0 || filters !== undefined) {
            await this.subscribe(filters === undefined ? { topics } : { topics, filters });
          }
          if (position || resumedStreams.length > 0) {
            const request = resumedStreams.length > 0 ? { streams } : {};
            if (position) {
              request.epoch = position.epoch;
              request.last_offset = position.last_offset;
            }
            const resumed = await this.call('herald.client.resume', request);
            session = {
              ...session, epoch: resumed.epoch ?? session.epoch, offset: resumed.offset ?? session.offset,
              recovered: resumed.recovered, streams: resumed.streams,
            };
            missed = resumed.notifications ?? [];
          }
          opened = true;
          this.events.authenticated(session);
          const held = this.held;
          this.held = null;
          // The pushed InitialState first (it precedes everything on the user address), then missed, then what
          // arrived live meanwhile; the client drops the overlap by position.
          const snapshots = held.filter((m) => m.type === 'InitialState');
          const live = held.filter((m) => m.type !== 'InitialState');
          [...snapshots, ...missed, ...live].forEach((m) => this.deliver(m));
          resolve();
        } catch (e) {
          reject(this.refusal(e));
          bus.onclose = null;
          this.bus = null;
          bus.close();
        }
      };
    });
  }

  /** A failed status/resume: token errors are reported as close 4001 so that the same rules apply. */
  refusal(error) {
    const code = TOKEN_ERRORS.has(error.code) ? TOKEN_INVALID_CLOSE_CODE : 1011;
    return new HeraldError(error.code ?? 'connect_failed', error.message, { close: { code, reason: error.message } });
  }

  receive(err, message) {
    if (err) {
      this.events.error(new HeraldError(err.message ?? 'bridge_error', err.message ?? 'event-bus bridge error'));
      return;
    }
    const body = message.body;
    if (body?.type === 'Notification' || body?.type === 'InitialState') {
      if (this.held) {
        this.held.push(body);
      } else {
        this.deliver(body);
      }
    } else if (body?.type === 'NotificationUpdated') {
      this.events.updated(body);
    }
  }

  /** A message of the user stream: the InitialState Herald pushes when the user address is registered, or a Notification. */
  deliver(body) {
    if (body.type === 'InitialState') {
      this.events.unreadSnapshot({ count: body.unread_count, notifications: body.notifications ?? [] });
    } else {
      this.events.notification(body);
    }
  }

  call(address, body, headers = {}) {
    return new Promise((resolve, reject) => {
      if (!this.bus || this.bus.state !== globalThis.EventBus.OPEN) {
        reject(new ConnectionLost());
        return;
      }
      const request = { reject };
      this.pending.add(request);
      const timer = setTimeout(() => {
        this.pending.delete(request);
        reject(new HeraldError('timeout', `${address}: no answer within ${this.options.requestTimeout} ms`));
      }, this.options.requestTimeout);
      this.bus.send(address, body, headers, (err, reply) => {
        clearTimeout(timer);
        if (!this.pending.delete(request)) {
          return;
        }
        if (err) {
          // Failed replies carry the /ws error code as their message.
          reject(new HeraldError(err.message, err.message, { failureCode: err.failureCode }));
        } else {
          resolve(reply.body);
        }
      });
    });
  }

  async subscribe({ topics, filters }) {
    const body = { topics };
    if (filters !== undefined) {
      body.filters = filters;
    }
    const reply = await this.call('herald.client.subscribe', body);
    for (const [topic, address] of Object.entries(reply.addresses ?? {})) {
      if (!this.topicAddresses.has(topic)) {
        this.topicAddresses.set(topic, address);
        this.bus.registerHandler(address, this.onAddressMessage);
      }
    }
    return { topics: reply.topics ?? [], refused: reply.refused ?? [], filters: reply.filters };
  }

  async unsubscribe(topics) {
    if (!this.bus) {
      throw new ConnectionLost();
    }
    const removed = [];
    for (const topic of topics) {
      const address = this.topicAddresses.get(topic);
      if (address) {
        this.topicAddresses.delete(topic);
        this.bus.unregisterHandler(address, this.onAddressMessage);
        removed.push(topic);
      }
    }
    return { topics: removed };
  }

  async unread(limit) {
    const reply = await this.call('herald.client.unread', { limit });
    return { count: reply.count, notifications: reply.notifications ?? [] };
  }

  /** The current positions of streams the client has none of ({} in a resume): the per-stream answer. */
  async positions(names) {
    const reply = await this.call('herald.client.resume', { streams: Object.fromEntries(names.map((n) => [n, {}])) });
    return reply.streams ?? {};
  }

  async markRead(id) {
    const reply = await this.call('herald.client.markRead', { notification_id: id });
    return { notification_id: reply.notification_id ?? id, read: reply.read ?? true };
  }

  ping() {
    return this.call('herald.client.ping', {});
  }

  failPending() {
    for (const request of this.pending) {
      request.reject(new ConnectionLost());
    }
    this.pending.clear();
  }

  close() {
    const bus = this.bus;
    if (bus) {
      bus.onclose = null;
      this.bus = null;
      this.failPending();
      bus.close();
    }
  }
}

const TRANSPORTS = { websocket: WebSocketTransport, sockjs: SockJsTransport };

/**
 * A Herald session that stays up: it reconnects with backoff, fetching a fresh token first, resumes its user
 * stream from the last position it saw (no gap, no duplicate), restores its topics and filters, and queues
 * what it is asked to send while disconnected.
 */
export class Herald {
  constructor(options) {
    if (!options || typeof options !== 'object') {
      throw new TypeError('new Herald({url, token, ...})');
    }
    const transport = options.transport ?? DEFAULTS.transport;
    if (!TRANSPORTS[transport]) {
      throw new TypeError(`transport must be one of ${Object.keys(TRANSPORTS).join(', ')}`);
    }
    if (typeof options.token !== 'function' && typeof options.token !== 'string') {
      throw new TypeError('token must be a string or a function returning one (or a promise of one)');
    }
    this.options = {
      ...DEFAULTS,
      ...options,
      transport,
      url: options.url ?? globalThis.location?.origin,
      reconnect: { ...DEFAULTS.reconnect, ...(options.reconnect ?? {}) },
    };
    this.emitter = new Emitter();
    this.topics = new Set(options.topics ?? []);
    this.filters = options.filters;
    this.position = new StreamPosition();
    this.unreadCount = new UnreadCount();
    /** Operations waiting for an open connection, oldest first; bounded by maxQueue. */
    this.queue = [];
    this.sequence = 0;
    this.currentState = 'connecting';
    this.transport = null;
    this.attempt = 0;
    this.generation = 0;
    this.reconnectTimer = null;
    this.heartbeatTimer = null;
    this.usedToken = null;
    this.refusedToken = null;
    this.ended = false;
    this.session = null;
    // Deferred so that listeners attached right after the constructor see the first 'connecting' status.
    setTimeout(() => {
      if (!this.ended) {
        this.setState('connecting', { attempt: 0 });
        this.connect();
      }
    }, 0);
  }

  /** The connection state: 'connecting', 'open', 'reconnecting' or 'closed'. */
  get state() {
    return this.currentState;
  }

  /** The transport name: 'websocket' or 'sockjs'. */
  get transportName() {
    return this.options.transport;
  }

  /** The last known unread count of the user, or null before the server gave one. */
  get unread() {
    return this.unreadCount.count;
  }

  /** Adds a listener for 'notification', 'status', 'unread' or 'error'; returns a function that removes it. */
  on(event, listener) {
    return this.emitter.on(event, listener);
  }

  off(event, listener) {
    this.emitter.off(event, listener);
  }

  /** Joins topics (and replaces the filters when given); resolves to {topics, refused, filters}. */
  subscribe(topics = [], filters) {
    topics.forEach((t) => this.topics.add(t));
    if (filters !== undefined) {
      this.filters = filters;
    }
    return this.enqueue('subscribe', async (t) => {
      const result = await t.subscribe({ topics: [...topics], filters });
      await this.learnPositions(t, result.topics ?? []);
      return result;
    }).then((result) => this.forgetRefused(result));
  }

  /**
   * Asks for the current position of the topics just joined that the client has none of, so that a reconnect resumes
   * them from the moment they were joined even if nothing of them arrived before. Best effort: without it, the next
   * connection asks for them from then on.
   */
  async learnPositions(transport, topics) {
    const names = topics.map((t) => `topic:${t}`).filter((name) => !this.position.knows(name));
    if (names.length === 0) {
      return;
    }
    try {
      for (const [name, answer] of Object.entries(await transport.positions(names))) {
        this.position.adoptStream(name, answer.epoch, answer.offset);
      }
    } catch (e) {
      // Lost or refused (another resume of the socket was being read): the next connection asks for them with {}.
      if (!(e instanceof ConnectionLost) && e.code !== 'rate_limited') {
        this.emitError(e);
      }
    }
  }

  /** Leaves topics; resolves to {topics} (those that were joined). */
  unsubscribe(topics = []) {
    topics.forEach((t) => {
      this.topics.delete(t);
      this.position.forgetTopic(t);
    });
    return this.enqueue('unsubscribe', (t) => t.unsubscribe([...topics]));
  }

  /** Marks a notification read for the user on every device; resolves to {notification_id, read}. */
  markRead(id) {
    return this.enqueue('markRead', (t) => t.markRead(id));
  }

  /** Fetches the unread count and the latest unread notifications; resolves to {count, notifications}. */
  getUnread(limit = this.options.unreadLimit) {
    return this.enqueue('getUnread', (t) => t.unread(limit)).then((snapshot) => {
      this.applyUnreadSnapshot(snapshot);
      return snapshot;
    });
  }

  /** Ends the session: no reconnect; queued operations are rejected with code 'closed'. */
  close() {
    if (this.ended) {
      return;
    }
    this.ended = true;
    this.generation += 1;
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    this.transport?.close();
    this.transport = null;
    this.rejectQueue(new HeraldError('closed', 'the client was closed'));
    this.setState('closed', { code: 1000, reason: 'client closed' });
  }

  // ---------------------------------------------------------------- connection lifecycle

  async connect() {
    if (this.ended) {
      return;
    }
    const generation = ++this.generation;
    let token;
    try {
      token = await withTimeout(Promise.resolve(
          typeof this.options.token === 'function' ? this.options.token() : this.options.token),
          this.options.requestTimeout, 'token');
      if (typeof token !== 'string' || token === '') {
        throw new HeraldError('token_unavailable', 'the token function gave no token');
      }
    } catch (e) {
      if (generation === this.generation) {
        this.emitError(e instanceof HeraldError ? e : new HeraldError('token_unavailable', String(e?.message ?? e)));
        this.retry({ code: null, reason: 'no token' });
      }
      return;
    }
    if (generation !== this.generation) {
      return;
    }
    if (this.refusedToken !== null && token === this.refusedToken) {
      // Close 4001 allows a reconnect only with a fresh token; the token source gave the refused one again.
      this.finish({ code: TOKEN_INVALID_CLOSE_CODE, reason: 'token refused and no fresh token' },
          new HeraldError('token_invalid', 'the token was refused and the token source gave no fresh one'));
      return;
    }
    this.usedToken = token;
    const transport = new TRANSPORTS[this.options.transport](this.options.url, this.options, this.transportEvents());
    this.transport = transport;
    try {
      await transport.open({
        token, position: this.position.resumePoint(), streams: this.position.streamPoints(this.topics),
        filters: this.filters, device: this.options.device,
      });
    } catch (e) {
      if (transport === this.transport) {
        this.transport = null;
        this.afterClose(e.close ?? { code: 1006, reason: e.message }, e);
      }
      return;
    }
    if (transport !== this.transport) {
      return;
    }
    this.attempt = 0;
    this.refusedToken = null;
    this.startHeartbeat();
    await this.restoreSubscriptions(transport);
    this.flushQueue();
  }

  /** The callbacks a transport reports to, bound to this client. */
  transportEvents() {
    return {
      authenticated: (session) => {
        this.position.adopt(session.epoch, session.offset);
        const lost = [];
        for (const [name, answer] of Object.entries(session.streams ?? {})) {
          if (name !== 'user') {
            this.position.adoptStream(name, answer.epoch, answer.offset);
          }
          if (answer.recovered === false && answer.error === undefined) {
            lost.push(name);
          }
        }
        this.session = session;
        this.setState('open', {
          userId: session.userId, nodeId: session.nodeId, recovered: session.recovered, streams: session.streams,
        });
        if (session.recovered === false && !lost.includes('user')) {
          lost.unshift('user');
        }
        if (lost.length > 0) {
          this.emitError(new HeraldError('not_recovered',
              `the history no longer holds everything missed (${lost.join(', ')}); call getUnread() to reload`,
              { streams: lost }));
        }
      },
      notification: (n) => this.onNotification(n),
      unreadSnapshot: (snapshot) => this.applyUnreadSnapshot(snapshot),
      updated: (event) => this.onUpdated(event),
      error: (error) => this.emitError(error),
      closed: (close) => {
        this.transport = null;
        this.afterClose(close, null);
      },
    };
  }

  afterClose(close, error) {
    this.stopHeartbeat();
    if (this.ended) {
      return;
    }
    if (error && error.code !== 'connect_failed') {
      this.emitError(error);
    }
    if (FINAL_CLOSE_CODES.has(close.code)) {
      this.finish(close, close.code === 4003 && !error ? new HeraldError('forbidden', close.reason || 'forbidden') : null);
      return;
    }
    if (close.code === TOKEN_INVALID_CLOSE_CODE) {
      this.refusedToken = this.usedToken;
    }
    this.retry(close);
  }

  retry(close) {
    const reconnect = this.options.reconnect;
    if (this.attempt >= reconnect.maxAttempts) {
      this.finish(close, new HeraldError('reconnect_failed', `gave up after ${this.attempt} attempts`));
      return;
    }
    // 1001: the node is leaving; another is ready at once behind the load balancer.
    const delay = close.code === SHUTDOWN_CLOSE_CODE && this.attempt === 0 ? 0
        : reconnectDelay(this.attempt, reconnect);
    this.attempt += 1;
    this.setState('reconnecting', { code: close.code, reason: close.reason, attempt: this.attempt, delay });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  finish(close, error) {
    this.ended = true;
    this.transport?.close();
    this.transport = null;
    if (error) {
      this.emitError(error);
    }
    this.rejectQueue(new HeraldError('closed', `connection closed (${close.code})`));
    this.setState('closed', { code: close.code, reason: close.reason });
  }

  setState(state, details = {}) {
    const previous = this.currentState;
    this.currentState = state;
    this.emitter.emit('status', { state, previous, transport: this.options.transport, ...details });
  }

  emitError(error) {
    this.emitter.emit('error', error);
  }

  // ---------------------------------------------------------------- heartbeats

  startHeartbeat() {
    this.stopHeartbeat();
    const transport = this.transport;
    this.heartbeatTimer = setInterval(() => {
      withTimeout(transport.ping(), this.options.heartbeatTimeout, 'heartbeat').catch((e) => {
        if (transport === this.transport && e.code === 'timeout') {
          // The connection is silently dead: drop it and go through the reconnect path.
          transport.close();
          this.transport = null;
          this.afterClose({ code: 4011, reason: 'heartbeat timeout' }, null);
        }
      });
    }, this.options.heartbeatInterval);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  // ---------------------------------------------------------------- delivery

  onNotification(notification) {
    if (!this.position.accept(notification)) {
      return;
    }
    const countChanged = this.unreadCount.added(notification);
    this.emitter.emit('notification', notification);
    if (countChanged) {
      this.emitter.emit('unread', { count: this.unreadCount.count });
    }
  }

  onUpdated(event) {
    if (!event.read) {
      return;
    }
    const known = this.unreadCount.read(event.notification_id);
    this.emitter.emit('unread', { count: this.unreadCount.count, read: event.notification_id });
    if (!known) {
      // Not known as unread here: only the server knows whether the count changed.
      this.getUnread().catch((e) => this.emitError(e));
    }
  }

  applyUnreadSnapshot(snapshot) {
    this.unreadCount.reset(snapshot.count, snapshot.notifications, this.position.snapshot());
    this.emitter.emit('unread', { count: snapshot.count, notifications: snapshot.notifications });
  }

  // ---------------------------------------------------------------- subscriptions and the outgoing queue

  async restoreSubscriptions(transport) {
    if (this.topics.size === 0 && this.filters === undefined) {
      return;
    }
    try {
      this.forgetRefused(await transport.subscribe({ topics: [...this.topics], filters: this.filters }));
    } catch (e) {
      if (!(e instanceof ConnectionLost)) {
        this.emitError(e);
      }
    }
  }

  forgetRefused(result) {
    if (result.refused?.length) {
      result.refused.forEach((t) => {
        this.topics.delete(t);
        this.position.forgetTopic(t);
      });
      this.emitError(new HeraldError('forbidden', `topics refused: ${result.refused.join(', ')}`,
          { topics: result.refused }));
    }
    return result;
  }

  enqueue(label, run) {
    return new Promise((resolve, reject) => {
      const operation = { label, run, resolve, reject, sequence: ++this.sequence };
      if (this.ended) {
        reject(new HeraldError('closed', 'the client is closed'));
        return;
      }
      this.queue.push(operation);
      this.trimQueue();
      if (this.currentState === 'open' && this.transport) {
        this.flushQueue();
      }
    });
  }

  flushQueue() {
    const transport = this.transport;
    while (this.queue.length > 0 && transport && transport === this.transport && this.currentState === 'open') {
      const operation = this.queue.shift();
      operation.run(transport).then(operation.resolve, (e) => {
        if (e instanceof ConnectionLost && !this.ended) {
          // Every operation is idempotent: it is sent again, in its original order, once reconnected.
          this.queue.push(operation);
          this.queue.sort((a, b) => a.sequence - b.sequence);
          this.trimQueue();
        } else {
          operation.reject(e);
        }
      });
    }
  }

  /** Keeps the queue within maxQueue by rejecting its oldest operations. */
  trimQueue() {
    while (this.queue.length > this.options.maxQueue) {
      const dropped = this.queue.shift();
      const error = new HeraldError('queue_full',
          `more than ${this.options.maxQueue} operations waiting: ${dropped.label} dropped`);
      dropped.reject(error);
      this.emitError(error);
    }
  }

  rejectQueue(error) {
    const queued = this.queue;
    this.queue = [];
    queued.forEach((operation) => operation.reject(error));
  }
}
