package io.herald.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.RedisTestKeys;
import io.herald.testkit.TestNode;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The notification-center page in a real headless Chromium, over WebSocket and over SockJS (the event-bus
 * bridge), against real nodes with Redis-backed state and NATS ingress: notifications published through NATS, the HTTP API and the page's own form appear in the list and
 * count up the unread badge, "Mark read" counts it down, and when the node the page is connected to stops and
 * starts again on the same port, the dot goes red then green and the page shows what was published meanwhile
 * (through a second node sharing the Redis state), by resuming from the last offset it saw.
 */
class BrowserIT {

  private static final Duration STEP = Duration.ofSeconds(20);
  /** Backoff after a restart: attempts at about 0, 1, 2, 4, 8 s; the node is back within a few seconds. */
  private static final Duration RECONNECT = Duration.ofSeconds(60);
  private static final Path SCREENSHOTS = Path.of("target", "browser");

  private String prefix;
  private HeraldOptions options;
  private TestNode node;
  /** A second node on the same Redis state, outside the NATS queue group: it takes HTTP only. */
  private TestNode other;
  private Connection nats;

  @BeforeAll
  static void requireBrowser() {
    BrowserDriver.assertInstalled();
  }

  @BeforeEach
  void startNodes() throws Exception {
    prefix = RedisTestKeys.uniquePrefix();
    options = TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL)
            .setRedisKeyPrefix(prefix))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL))
        .state(state -> state.setInitialState(true))
        .server(server -> server.setDevMode(true));
    node = TestNode.start(options);
    other = TestNode.start(new HeraldOptions(options).ingress(ingress -> ingress.setNatsUrl(null)));
    nats = Nats.connect(TestNode.NATS_URL);
  }

  @AfterEach
  void stopNodes() throws Exception {
    try {
      if (nats != null) {
        nats.close();
      }
      if (node != null) {
        node.close();
      }
      if (other != null) {
        other.close();
      }
    } finally {
      Vertx vertx = Vertx.vertx();
      RedisTestKeys.deleteKeysAndClose(RedisTestKeys.createClient(vertx), prefix, vertx);
    }
  }

  @Test
  void notificationCenterOverWebSocket() throws Exception {
    scenario("websocket", 1501);
  }

  @Test
  void notificationCenterOverSockJs() throws Exception {
    scenario("sockjs", 2501);
  }

  @Test
  void clientRulesRefusedTokenHeartbeatsBoundedQueueAndBackoff() throws Exception {
    try (BrowserDriver browser = BrowserDriver.start(SCREENSHOTS.resolve("driver-client.log"))) {
      browser.send("open http://127.0.0.1:" + node.port() + "/", STEP);
      browser.send("state open " + STEP.toMillis(), STEP);

      // Close 4001 allows a reconnect only with a fresh token: the same static token is not tried twice.
      for (String transport : List.of("websocket", "sockjs")) {
        JsonObject refused = browser.send("refused-token " + transport, STEP);
        assertEquals(new JsonArray()
            .add(new JsonObject().put("state", "connecting").putNull("code"))
            .add(new JsonObject().put("state", "reconnecting").put("code", 4001))
            .add(new JsonObject().put("state", "closed").put("code", 4001)), refused.getJsonArray("states"),
            transport + ": " + refused.encode());
        assertTrue(refused.getJsonArray("errors").contains("token_invalid"), transport + ": " + refused.encode());
      }

      // A 300 ms heartbeat over 1.5 s: Pings go out and are answered (the client stays open).
      JsonObject heartbeats = browser.send("heartbeats", STEP);
      assertTrue(heartbeats.getInteger("pings") >= 3, heartbeats.encode());
      assertEquals("open", heartbeats.getString("state"));

      // The queue of a disconnected client is bounded (the oldest is dropped) and close() rejects what is left.
      JsonObject queue = browser.send("queue-bound", STEP);
      assertEquals(new JsonArray().add("queue_full").add("closed").add("closed"), queue.getJsonArray("results"), queue.encode());
      assertEquals("closed", queue.getString("state"));

      // Backoff: 1 s doubling to 30 s, less up to half of it at random.
      JsonObject backoff = browser.send("backoff", STEP);
      assertEquals(new JsonArray("[1000,2000,4000,8000,16000,30000,30000]"), backoff.getJsonArray("noJitter"));
      assertEquals(new JsonArray("[500,1000,2000,4000,8000,15000,15000]"), backoff.getJsonArray("fullJitter"));
      assertEquals(new JsonArray(), browser.pageErrors(), "uncaught errors in the page");
    }
  }

  /**
   * The JavaScript client keeps its position in every stream and resumes them all: a client joined to a topic gets one
   * topic and one broadcast notification, its connection drops, two of each (and one of a second topic it joined once
   * open and never received from) are published while it is gone, and once reconnected it has emitted each missed one
   * exactly once, in offset order per stream, then the live ones; over {@code /ws} (the positions in Authenticate) and
   * over SockJS ({@code herald.client.resume}).
   */
  @Test
  void theClientResumesItsTopicAndBroadcastStreamsOverWebSocketAndSockJs() throws Exception {
    try (BrowserDriver browser = BrowserDriver.start(SCREENSHOTS.resolve("driver-recovery.log"))) {
      browser.send("open http://127.0.0.1:" + node.port() + "/", STEP);
      browser.send("state open " + STEP.toMillis(), STEP);
      for (String transport : List.of("websocket", "sockjs")) {
        JsonObject result = browser.send("stream-recovery " + transport, STEP);
        JsonArray received = result.getJsonArray("received");
        List<String> topic = new ArrayList<>();
        List<String> quiet = new ArrayList<>();
        List<String> broadcast = new ArrayList<>();
        for (int i = 0; i < received.size(); i++) {
          JsonObject n = received.getJsonObject(i);
          String message = n.getString("message");
          ("broadcast".equals(n.getString("stream")) ? broadcast : message.startsWith("q") ? quiet : topic).add(message);
        }
        assertEquals(List.of("t1", "t2", "t3", "t4"), topic, transport + ": each once, in order: " + result.encode());
        assertEquals(List.of("b1", "b2", "b3", "b4"), broadcast, transport + ": each once, in order: " + result.encode());
        assertEquals(List.of("q1"), quiet, transport + ": a topic never received from is resumed too: " + result.encode());
        JsonObject streams = result.getJsonObject("streams");
        assertEquals(3, streams.fieldNames().stream()
            .filter(name -> !"user".equals(name) && streams.getJsonObject(name).getBoolean("recovered", false)).count(),
            transport + ": the broadcast and both topics resumed: " + result.encode());
        assertEquals(new JsonArray(), result.getJsonArray("errors"), transport + ": " + result.encode());
      }
      assertEquals(new JsonArray(), browser.pageErrors(), "uncaught errors in the page");
    }
  }

  /**
   * The token never travels in a URL or a Referer: the page takes it from its fragment ({@code #token=}, which no
   * browser sends) and clears it from the address bar, the client sends it in the first frame over {@code /ws} and
   * in the first bridge frame's {@code headers.token} over SockJS, on SockJS's WebSocket, XHR-streaming and
   * XHR-polling transports alike; the page sends no Referer at all, and a token left in {@code ?token=} is cleared
   * from the address bar too.
   */
  @Test
  void theTokenTravelsInNoUrlAndNoReferer() throws Exception {
    // Not the development user: notifications for this one arrive only if the page used the token of its fragment.
    String user = "reader";
    String token = node.token(user);
    String page = "http://127.0.0.1:" + node.port() + "/";
    try (BrowserDriver browser = BrowserDriver.start(SCREENSHOTS.resolve("driver-token.log"))) {
      browser.send("open " + page + "#token=" + token, STEP);
      assertEquals("Connected · WebSocket", browser.send("state open " + STEP.toMillis(), STEP).getString("label"));
      assertAddressWithoutToken(browser, token);
      deliver(browser, user, "to the fragment's user over WebSocket");

      browser.send("transport sockjs", STEP);
      browser.send("label Connected · SockJS " + STEP.toMillis(), STEP);
      deliver(browser, user, "to the fragment's user over SockJS's WebSocket");

      // Without a WebSocket in the page, SockJS falls back to XHR streaming; with that refused too, to XHR polling.
      browser.send("no-websocket", STEP);
      browser.send("new-page", STEP);
      browser.send("open " + page + "?transport=sockjs#token=" + token, STEP);
      browser.send("label Connected · SockJS " + STEP.toMillis(), STEP);
      assertAddressWithoutToken(browser, token);
      deliver(browser, user, "to the fragment's user over XHR streaming");

      browser.send("block **/xhr_streaming*", STEP);
      browser.send("block **/eventsource*", STEP);
      browser.send("new-page", STEP);
      browser.send("open " + page + "?transport=sockjs#token=" + token, STEP);
      browser.send("label Connected · SockJS " + STEP.toMillis(), STEP);
      assertAddressWithoutToken(browser, token);
      deliver(browser, user, "to the fragment's user over XHR polling");

      JsonArray requests = browser.send("requests", Duration.ZERO).getJsonArray("value");
      List<String> urls = requests.stream().map(r -> ((JsonObject) r).getString("url")).toList();
      // Every transport of the scenario was really used.
      assertTrue(urls.stream().anyMatch(u -> u.matches("ws://[^/]+/ws(\\?.*)?")), String.join("\n", urls));
      assertTrue(urls.stream().anyMatch(u -> u.matches("ws://[^/]+/eventbus/[^/]+/[^/]+/websocket(\\?.*)?")), String.join("\n", urls));
      assertTrue(urls.stream().anyMatch(u -> u.matches("http://[^/]+/eventbus/[^/]+/[^/]+/xhr_streaming(\\?.*)?")), String.join("\n", urls));
      assertTrue(urls.stream().anyMatch(u -> u.matches("http://[^/]+/eventbus/[^/]+/[^/]+/xhr(\\?.*)?")), String.join("\n", urls));
      assertTrue(urls.stream().anyMatch(u -> u.matches("http://[^/]+/eventbus/[^/]+/[^/]+/xhr_send(\\?.*)?")), String.join("\n", urls));
      for (Object entry : requests) {
        // What reaches a server: the URL without its fragment (the page's own address is reported with it).
        String sent = ((JsonObject) entry).getString("url").replaceFirst("#.*", "");
        assertFalse(sent.contains(token), "the token is in the URL of a request: " + sent);
        assertFalse(sent.contains("token="), "a token parameter is in the URL of a request: " + sent);
      }
      for (Object entry : requests) {
        // Chromium reports the Referer a no-referrer policy suppressed as empty.
        String referer = ((JsonObject) entry).getString("referer");
        assertTrue(referer == null || referer.isEmpty(),
            "Referer " + referer + " went out with " + ((JsonObject) entry).getString("url"));
      }
      assertEquals(new JsonArray(), browser.pageErrors(), "uncaught errors in the page");

      // The query form is no longer read, but is cleared from the address bar all the same.
      browser.send("new-page", STEP);
      browser.send("open " + page + "?token=" + token, STEP);
      assertAddressWithoutToken(browser, token);
    }
  }

  private static void assertAddressWithoutToken(BrowserDriver browser, String token) {
    JsonObject address = browser.send("address", STEP);
    assertFalse(address.getString("href").contains(token), "the address bar holds the token: " + address.getString("href"));
    assertFalse(address.getString("href").contains("token="), address.getString("href"));
    assertFalse(address.getString("url").contains(token), "the page's URL holds the token: " + address.getString("url"));
  }

  private void deliver(BrowserDriver browser, String user, String message) {
    node.publish(new JsonObject().put("user_id", user).put("message", message));
    browser.send("notification " + STEP.toMillis() + " " + message, STEP);
  }

  private void scenario(String transport, int alertValue) throws Exception {
    int port = node.port();
    try (BrowserDriver browser = BrowserDriver.start(SCREENSHOTS.resolve("driver-" + transport + ".log"))) {
      // The page starts on WebSocket; the other transport is chosen with the page's own switch.
      browser.send("open http://127.0.0.1:" + port + "/", STEP);
      assertEquals("Connected · WebSocket", browser.send("state open " + STEP.toMillis(), STEP).getString("label"));
      if (transport.equals("sockjs")) {
        browser.send("transport sockjs", STEP);
        browser.send("label Connected · SockJS " + STEP.toMillis(), STEP);
      }

      // NATS ingress: the alert format, mapped into message, details (with the explorer link) and actions.
      publishAlertThroughNats(alertValue);
      String fromNatsText = "Alert triggered: " + alertValue + " exceeded 1000";
      JsonObject fromNats = browser.send("notification " + STEP.toMillis() + " " + fromNatsText, STEP);
      assertEquals("High", fromNats.getString("priority"));
      browser.send("badge 1 " + STEP.toMillis(), STEP);

      String viaHttp = transport + ": disk almost full on db-1";
      node.publish(new JsonObject().put("user_id", "demo").put("message", viaHttp).put("priority", "Critical")
          .put("alert_name", "Disk usage").put("details", new JsonObject().put("host", "db-1").put("used", "93%")));
      browser.send("notification " + STEP.toMillis() + " " + viaHttp, STEP);
      browser.send("badge 2 " + STEP.toMillis(), STEP);

      String viaForm = transport + ": hello from the form";
      browser.send("publish-form " + viaForm, STEP);
      browser.send("notification " + STEP.toMillis() + " " + viaForm, STEP);
      browser.send("badge 3 " + STEP.toMillis(), STEP);

      browser.send("mark-read " + viaHttp, STEP);
      browser.send("badge 2 " + STEP.toMillis(), STEP);

      // The node the page is connected to stops: the dot goes red while it is down; a "Mark read" clicked
      // meanwhile waits in the client's queue.
      node.close();
      node = null;
      browser.send("state reconnecting " + STEP.toMillis(), STEP);
      browser.send("click-mark-read " + fromNatsText, STEP);
      String whileDown = transport + ": published while the node was down";
      other.publish(new JsonObject().put("user_id", "demo").put("message", whileDown).put("priority", "Low"));
      node = TestNode.start(new HeraldOptions(options).server(server -> server.setWebsocketPort(port)));

      // Back on the same port: green again, resumed from the last offset it saw (the server confirms nothing was
      // missed), the notification published meanwhile listed and counted, the queued "Mark read" sent.
      browser.send("state open " + RECONNECT.toMillis(), RECONNECT);
      browser.send("notification " + STEP.toMillis() + " " + whileDown, STEP);
      browser.send("read " + STEP.toMillis() + " " + fromNatsText, STEP);
      browser.send("badge 2 " + STEP.toMillis(), STEP);
      JsonArray events = browser.send("events", Duration.ZERO).getJsonArray("value");
      assertTrue(events.stream().anyMatch(e -> e.toString().contains("open over") && e.toString().contains("resumed, nothing missed")),
          events.encodePrettily());

      Path screenshot = SCREENSHOTS.resolve("notification-center" + (transport.equals("websocket") ? "" : "-" + transport) + ".png");
      browser.send("screenshot " + screenshot.toAbsolutePath(), STEP);
      assertTrue(Files.size(screenshot) > 10_000, "screenshot " + screenshot + " is too small to show the page");
      assertEquals(new JsonArray(), browser.pageErrors(), "uncaught errors in the page");
    }
  }

  private void publishAlertThroughNats(int value) throws Exception {
    JsonObject alert = new JsonObject()
        .put("user_id", "demo")
        .put("alert_id", "alert_" + value)
        .put("alert_name", "Whale transfer")
        .put("notification_type", "price_alert")
        .put("priority", "High")
        .put("payload", new JsonObject().put("triggered_value", value).put("threshold", 1000)
            .put("chain", "ethereum").put("transaction_hash", "0xabc" + value).put("wallet", "0xw"));
    nats.publish(options.ingress().getNatsSubject(), alert.encode().getBytes(StandardCharsets.UTF_8));
    nats.flush(Duration.ofSeconds(5));
  }
}
