// Drives the notification-center page in headless Chromium for io.herald.web.BrowserTest.
//
// Line protocol: the test writes one command per line on stdin; the driver answers each with exactly one line
// on stdout, "ok <json>" or "fail <reason>". Diagnostics go to stderr. The driver exits by itself on "quit",
// when stdin closes (the test is gone), on any failure to start, and after TIME_LIMIT_MS whatever happens.
//
// Commands (times in milliseconds; TEXT is the rest of the line):
//   open URL                      load the page
//   new-page                      close the page and start a fresh one (same browser, requests still recorded)
//   no-websocket                  the next pages have no WebSocket (SockJS then falls back to its XHR transports)
//   block GLOB                    the next pages' requests matching GLOB fail (e.g. **/xhr_streaming*)
//   address                       the page's address as the page sees it (location.href)
//   requests                      every request URL, Referer and WebSocket URL the pages made so far
//   state STATE TIMEOUT           wait until the connection dot shows STATE (connecting|open|reconnecting|closed)
//   label TEXT TIMEOUT            wait until the connection label reads TEXT (TIMEOUT is the last word)
//   notification TIMEOUT TEXT     wait until a notification whose message is TEXT is listed; answers its id
//   badge COUNT TIMEOUT           wait until the unread badge shows COUNT
//   mark-read TEXT                click "Mark read" on that notification and wait until it shows as read
//   publish-form TEXT             publish TEXT (priority High, to me) through the page's form
//   transport NAME                click the WebSocket / SockJS switch (NAME: websocket|sockjs)
//   screenshot PATH               save a full-page PNG
//   click-mark-read TEXT          click "Mark read" on that notification without waiting for the answer
//   read TIMEOUT TEXT             wait until that notification shows as read
//   events                        the lines of the page's events panel, newest first (JSON array)
//   refused-token TRANSPORT       a second client in the page with an invalid static token: its states and errors
//   heartbeats                    a second client in the page with a 300 ms heartbeat: Pings sent in 1.5 s open
//   queue-bound                   a client that cannot connect, maxQueue 2: what three markReads then close() give
//   backoff                       reconnectDelay for attempts 0..6 with the lowest and the highest jitter draw
//   stream-recovery TRANSPORT     a second client in the page joined to a topic of its own (and, once open, to a quiet
//                                 one): one topic and one broadcast notification, its connection dropped, two of each
//                                 and one of the quiet topic published while it is gone, then two live: what it
//                                 emitted ({stream, topic, message, offset}), its errors, its last streams answer
//   page-errors                   the uncaught errors the page raised so far (JSON array)
//   quit                          close the browser and exit 0
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIME_LIMIT_MS = Number(process.env.TIME_LIMIT_MS ?? 240000);
const ACTION_TIMEOUT_MS = 15000;

const userDataDir = mkdtempSync(join(tmpdir(), 'herald-chromium-'));
let context = null;
let page = null;
const pageErrors = [];
/** Every request the pages made (HTTP and WebSocket): {url, referer}. */
const requests = [];
/** Applied to every page created after they were set: no WebSocket constructor, URL patterns whose requests fail. */
let withoutWebSocket = false;
const blocked = [];

async function shutdown(code) {
  try {
    await context?.close();
  } catch (e) {
    console.error(`closing the browser: ${e.message}`);
  }
  rmSync(userDataDir, { recursive: true, force: true });
  process.exit(code);
}

setTimeout(() => {
  console.error(`browser driver: time limit of ${TIME_LIMIT_MS} ms reached`);
  process.stdout.write('fail time limit reached\n');
  shutdown(2);
}, TIME_LIMIT_MS);

function splitFirst(text) {
  const space = text.indexOf(' ');
  return space < 0 ? [text, ''] : [text.slice(0, space), text.slice(space + 1)];
}

function item(text) {
  return page.locator('li.notification').filter({ has: page.locator('.message', { hasText: text }) }).first();
}

/** Makes a new page the current one: every request recorded, the blocked patterns and the init script applied. */
async function adopt(fresh) {
  page = fresh;
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  page.on('pageerror', (e) => {
    pageErrors.push(String(e));
    console.error(`page error: ${e}`);
  });
  page.on('console', (m) => console.error(`page console ${m.type()}: ${m.text()}`));
  // The Referer as Chromium decided it when the request left: "" or absent when the page's policy sends none.
  page.on('request', (r) => requests.push({ url: r.url(), referer: r.headers().referer ?? null }));
  page.on('websocket', (socket) => requests.push({ url: socket.url(), referer: null, websocket: true }));
  if (withoutWebSocket) {
    await page.addInitScript(() => {
      delete window.WebSocket;
    });
  }
  for (const glob of blocked) {
    await page.route(glob, (route) => route.abort());
  }
}

const commands = {
  async open(url) {
    if (!page) {
      await adopt(context.pages()[0] ?? await context.newPage());
    }
    await page.goto(url);
    await page.locator('#connection').waitFor();
    return { url: page.url() };
  },
  async 'new-page'() {
    const old = page;
    await adopt(await context.newPage());
    await old?.close();
    return { pages: context.pages().length };
  },
  async 'no-websocket'() {
    withoutWebSocket = true;
    return { websocket: false };
  },
  async block(glob) {
    blocked.push(glob);
    return { blocked };
  },
  async address() {
    return { href: await page.evaluate(() => location.href), url: page.url() };
  },
  async requests() {
    return requests;
  },
  async state(args) {
    const [state, timeout] = args.split(' ');
    await page.locator(`#connection[data-state="${state}"]`).waitFor({ timeout: Number(timeout) });
    return { state, label: await page.locator('#connection-label').textContent() };
  },
  async label(args) {
    const timeout = Number(args.slice(args.lastIndexOf(' ') + 1));
    const text = args.slice(0, args.lastIndexOf(' '));
    await page.locator('#connection-label', { hasText: text }).waitFor({ timeout });
    return { label: await page.locator('#connection-label').textContent() };
  },
  async notification(args) {
    const [timeout, text] = splitFirst(args);
    const li = item(text);
    await li.waitFor({ timeout: Number(timeout) });
    return { id: await li.getAttribute('data-id'), priority: await li.getAttribute('data-priority') };
  },
  async badge(args) {
    const [count, timeout] = args.split(' ');
    const badge = page.locator('#unread-count');
    try {
      await page.locator(`#unread-count[data-count="${count}"]`).waitFor({ timeout: Number(timeout) });
    } catch (e) {
      throw new Error(`badge shows ${await badge.textContent()}, expected ${count}`);
    }
    return { count: Number(await badge.textContent()) };
  },
  async 'mark-read'(text) {
    const li = item(text);
    await li.locator('button.mark-read').click();
    await page.locator('li.notification.read').filter({ has: page.locator('.message', { hasText: text }) })
        .first().waitFor();
    return { read: true };
  },
  async 'publish-form'(text) {
    await page.locator('#publish').waitFor();
    await page.fill('#publish-message', text);
    await page.selectOption('#publish-priority', 'High');
    await page.selectOption('#publish-target', 'user');
    await page.locator('#publish-result').evaluate((e) => { e.textContent = ''; });
    await page.click('#publish button[type="submit"]');
    await page.locator('#publish-result', { hasText: 'Published' }).waitFor();
    return { result: await page.locator('#publish-result').textContent() };
  },
  async transport(name) {
    await page.locator(`input[name="transport"][value="${name}"]`).check({ force: true });
    return { transport: name };
  },
  async screenshot(path) {
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, fullPage: true });
    return { path };
  },
  async 'click-mark-read'(text) {
    await item(text).locator('button.mark-read').click();
    return { clicked: true };
  },
  async read(args) {
    const [timeout, text] = splitFirst(args);
    await page.locator('li.notification.read').filter({ has: page.locator('.message', { hasText: text }) })
        .first().waitFor({ timeout: Number(timeout) });
    return { read: true };
  },
  async events() {
    return page.locator('#events li').allTextContents();
  },
  async 'refused-token'(transport) {
    // Close 4001 allows a reconnect only with a fresh token: a static token refused once ends the session.
    return page.evaluate(async (transport) => {
      const { Herald } = await import('/herald-client.js');
      const states = [];
      const errors = [];
      const client = new Herald({ url: location.origin, token: 'not-a-valid-token', transport });
      client.on('error', (e) => errors.push(e.code));
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ states, errors, timedOut: true }), 10000);
        client.on('status', (s) => {
          states.push({ state: s.state, code: s.code ?? null });
          if (s.state === 'closed') {
            clearTimeout(timer);
            resolve({ states, errors });
          }
        });
      });
    }, transport);
  },
  async heartbeats() {
    return page.evaluate(async () => {
      const { Herald } = await import('/herald-client.js');
      const sent = [];
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function countingSend(data) {
        sent.push({ socket: this, type: JSON.parse(data).type });
        return send.call(this, data);
      };
      const token = async () => (await (await fetch('/dev/session')).json()).token;
      const client = new Herald({ url: location.origin, token, heartbeatInterval: 300 });
      try {
        await new Promise((resolve) => client.on('status', (s) => s.state === 'open' && resolve()));
        const socket = sent.find((s) => s.type === 'Authenticate').socket;
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return { pings: sent.filter((s) => s.socket === socket && s.type === 'Ping').length, state: client.state };
      } finally {
        client.close();
        WebSocket.prototype.send = send;
      }
    });
  },
  async 'queue-bound'() {
    return page.evaluate(async () => {
      const { Herald } = await import('/herald-client.js');
      // Port 9 (discard) on loopback: nothing listens, every attempt fails at once; the next one is a minute away.
      const client = new Herald({
        url: 'http://127.0.0.1:9', token: 'unused', maxQueue: 2, reconnect: { initialDelay: 60000 },
      });
      const outcome = (promise) => promise.then(() => 'resolved', (e) => e.code);
      const results = [outcome(client.markRead('a')), outcome(client.markRead('b')), outcome(client.markRead('c'))];
      const first = await results[0];
      client.close();
      return { results: [first, await results[1], await results[2]], state: client.state };
    });
  },
  async backoff() {
    return page.evaluate(async () => {
      const { reconnectDelay, DEFAULTS } = await import('/herald-client.js');
      const attempts = [0, 1, 2, 3, 4, 5, 6];
      return {
        noJitter: attempts.map((n) => reconnectDelay(n, DEFAULTS.reconnect, () => 0)),
        fullJitter: attempts.map((n) => reconnectDelay(n, DEFAULTS.reconnect, () => 1)),
      };
    });
  },
  async 'stream-recovery'(transport) {
    return page.evaluate(async (transport) => {
      const { Herald } = await import('/herald-client.js');
      const devSession = async () => (await fetch('/dev/session')).json();
      const { api_key: apiKey } = await devSession();
      const run = Math.random().toString(36).slice(2, 10);
      const topic = `recovery-${run}`;
      const quiet = `quiet-${run}`;
      const publish = async (notifications) => {
        const response = await fetch('/api/v1/notifications', {
          method: 'POST', body: JSON.stringify(notifications),
          headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
        });
        if (response.status !== 202) {
          throw new Error(`publish answered ${response.status}`);
        }
      };
      const note = (kind, n) => (kind === 't' ? { topic, message: `${run} t${n}` }
        : kind === 'q' ? { topic: quiet, message: `${run} q${n}` } : { broadcast: true, message: `${run} b${n}` });
      const until = (condition, what) => new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (condition()) {
            clearInterval(poll);
            resolve();
          } else if (Date.now() - started > 10000) {
            clearInterval(poll);
            reject(new Error(`timed out waiting for ${what}`));
          }
        }, 20);
      });
      const received = [];
      const errors = [];
      const opened = [];
      const client = new Herald({
        url: location.origin, token: async () => (await devSession()).token, transport, topics: [topic],
        reconnect: { initialDelay: 1000, jitter: 0 },
      });
      client.on('notification', (n) => {
        if (n.message.startsWith(run)) {
          received.push({ stream: n.stream, topic: n.topic ?? null, message: n.message.slice(run.length + 1), offset: n.offset });
        }
      });
      client.on('error', (e) => errors.push(e.code));
      client.on('status', (s) => s.state === 'open' && opened.push(s));
      try {
        await until(() => client.state === 'open', 'open');
        // Joined once open, and nothing of it arrives before the drop: its position comes from the server.
        await client.subscribe([quiet]);
        await publish([note('t', 1), note('b', 1)]);
        await until(() => received.length === 2, 't1 and b1');
        // The connection drops (a code that reconnects); two of each stream are published while it is gone.
        if (transport === 'websocket') {
          client.transport.socket.close(4999, 'dropped by the test');
        } else {
          client.transport.bus.sockJSConn.close(4999, 'dropped by the test');
        }
        await until(() => client.state === 'reconnecting', 'reconnecting');
        await publish([note('t', 2), note('b', 2), note('t', 3), note('b', 3), note('q', 1)]);
        await until(() => client.state === 'open' && received.length >= 7, 'the missed ones');
        await publish([note('t', 4), note('b', 4)]);
        await until(() => received.length >= 9, 'the live ones');
        await new Promise((resolve) => setTimeout(resolve, 500));
        return { received, errors, opened: opened.length, streams: opened[opened.length - 1].streams ?? null };
      } finally {
        client.close();
      }
    }, transport);
  },
  async 'page-errors'() {
    return pageErrors;
  },
};

async function main() {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  process.stdout.write('ok {"ready":true}\n');
  const lines = createInterface({ input: process.stdin });
  // One command at a time, in order.
  let chain = Promise.resolve();
  lines.on('close', () => {
    chain = chain.then(() => shutdown(3));
  });
  lines.on('line', (line) => {
    chain = chain.then(async () => {
      const [name, args] = splitFirst(line.trim());
      if (name === 'quit') {
        process.stdout.write('ok {}\n');
        await shutdown(0);
        return;
      }
      const command = commands[name];
      try {
        if (!command) {
          throw new Error(`unknown command ${name}`);
        }
        process.stdout.write(`ok ${JSON.stringify(await command(args))}\n`);
      } catch (e) {
        process.stdout.write(`fail ${name}: ${String(e.message).split('\n')[0]}\n`);
      }
    });
  });
}

main().catch((e) => {
  console.error(e);
  process.stdout.write(`fail start: ${String(e.message).split('\n')[0]}\n`);
  shutdown(1);
});
