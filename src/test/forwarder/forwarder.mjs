// The raw forwarder of scripts/bench's baseline (README, Performance): the simplest gateway that could work. It
// takes each message from NATS and writes it, unchanged, as a text frame to every socket of its user_id (to the
// sockets that subscribed to its topic, to every socket for broadcast). A socket's first message must be
// {"type":"Authenticate","token":<HS256 JWT signed with JWT_SECRET>}; it is answered {"type":"Authenticated"} and
// the socket is filed under the token's sub. {"type":"Subscribe","topics":[...]} is answered {"type":"Subscribed"}.
// No history, no offline queue, no limits: the cost floor Herald is compared with. Same environment as a node:
// WEBSOCKET_HOST, WEBSOCKET_PORT, NATS_URL, NATS_SUBJECT, NATS_QUEUE_GROUP, JWT_SECRET.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { connect } from 'nats';
import { WebSocketServer } from 'ws';

const env = process.env;
const secret = env.JWT_SECRET;
const users = new Map(); // user_id -> Set of sockets
const topics = new Map(); // topic -> Set of sockets
const everyone = new Set();

const join = (index, key, ws) => (index.get(key) ?? index.set(key, new Set()).get(key)).add(ws);
const send = (sockets, data) => sockets?.forEach(ws => ws.send(data, { binary: false }));

function subject(token) { // the token's sub when its HS256 signature and exp hold, else null
  const [header, payload, signature = ''] = String(token).split('.');
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const h = JSON.parse(Buffer.from(header, 'base64url'));
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  const fresh = claims.exp === undefined || claims.exp * 1000 > Date.now();
  return h.alg === 'HS256' && fresh && typeof claims.sub === 'string' ? claims.sub : null;
}

const nc = await connect({ servers: (env.NATS_URL || 'nats://127.0.0.1:4222').split(',') });
nc.subscribe(env.NATS_SUBJECT || 'notifications.websocket', {
  queue: env.NATS_QUEUE_GROUP || undefined,
  callback: (err, m) => {
    if (err) return;
    const n = JSON.parse(Buffer.from(m.data));
    if (n.broadcast === true) send(everyone, m.data);
    else if (typeof n.topic === 'string') send(topics.get(n.topic), m.data);
    else send(users.get(n.user_id), m.data);
  },
});
await nc.flush(); // subscribed before the port opens: scripts/bench starts publishing once it is open

const wss = new WebSocketServer({ host: env.WEBSOCKET_HOST || '127.0.0.1', port: Number(env.WEBSOCKET_PORT || 8080), path: '/ws' });
wss.on('connection', ws => {
  let user = null;
  const subscribed = [];
  ws.on('error', () => ws.terminate());
  ws.on('message', text => {
    let m;
    try { m = JSON.parse(text); } catch { return ws.close(4000, 'invalid JSON'); }
    if (user === null) {
      let sub = null;
      try { sub = m.type === 'Authenticate' ? subject(m.token) : null; } catch { /* a malformed token */ }
      if (sub === null) return ws.close(4001, 'unauthorized');
      user = sub;
      join(users, user, ws);
      everyone.add(ws);
      ws.send('{"type":"Authenticated"}');
    } else if (m.type === 'Subscribe' && Array.isArray(m.topics)) {
      m.topics.forEach(t => { join(topics, t, ws); subscribed.push(t); });
      ws.send(JSON.stringify({ type: 'Subscribed', topics: m.topics }));
    }
  });
  ws.on('close', () => {
    users.get(user)?.delete(ws);
    subscribed.forEach(t => topics.get(t)?.delete(ws));
    everyone.delete(ws);
  });
});
wss.on('listening', () => console.log(`forwarder listening on ${wss.address().port}`));
