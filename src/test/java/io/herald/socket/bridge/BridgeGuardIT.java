package io.herald.socket.bridge;

import static io.herald.socket.bridge.BridgeLimitsIT.metric;
import static io.herald.socket.bridge.BridgeIT.registerAndSync;
import static io.herald.socket.bridge.BridgeIT.user;
import static io.herald.testkit.CloseInfo.assertClosed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.herald.config.HeraldOptions;
import io.herald.model.Addresses;
import io.herald.testkit.Await;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.RawWsClient;
import io.herald.testkit.SockJsXhrClient;
import io.herald.testkit.NodeGroups;
import io.herald.testkit.TestNode;
import io.netty.util.internal.PlatformDependent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.time.Duration;


import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Herald in front of vertx-web's bridge (GuardedSocket): a client that stops reading is closed with 4010 on SockJS's
 * WebSocket and XHR-streaming transports with little buffered; every inbound message counts against the rate limit and
 * is validated before vertx-web answers it; client strings are logged escaped and truncated; the upgrade gate matches
 * every upgrade Vert.x accepts. Each group runs on its own node (the 4010 metric is node-wide).
 */
@Timeout(60)
class BridgeGuardIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final String GOOD_ORIGIN = "https://app.example";
  private static final String EVIL_ORIGIN = "https://evil.example";
  private static final String CLOSES_4010 = "herald_server_closes_total{code=\"4010\"";
  private static final NodeGroups NODES = new NodeGroups();

  private static TestNode node(String group, UnaryOperator<HeraldOptions> customise) {
    return NODES.node(group, customise);
  }

  @AfterAll
  static void stopNodes() {
    NODES.close();
  }

  /** Heap in use after a GC plus Netty's direct memory in use: what the node holds for its clients. */
  private static long usedMemory() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() + Math.max(0, PlatformDependent.usedDirectMemory());
  }

  /**
   * Publishes broadcasts of 20 KB in batches of 10 until the node has closed a socket with 4010, at most 5,000 (100 MB):
   * returns how many were published. A batch (200 KB) stays below {@code write_queue_max_bytes} (256 KiB): what
   * piles up is what the client does not read, never one batch written in one event-loop turn.
   */
  private static int publishUntilSlowClientClosed(TestNode node) {
    JsonObject details = new JsonObject().put("blob", "x".repeat(20_000));
    int published = 0;
    while (published < 5_000 && metric(node, CLOSES_4010) == 0) {
      JsonArray batch = new JsonArray();
      for (int i = 0; i < 10; i++) {
        batch.add(new JsonObject().put("broadcast", true).put("message", "bulk " + published++).put("details", details));
      }
      node.publish(batch);
    }
    return published;
  }

  // ---------------------------------------------------------------- item 4: slow clients on every transport

  @Test
  void aSockJsWebSocketClientThatStopsReadingIsClosedWith4010WhileLittleIsBuffered() {
    TestNode node = node("slow-ws", o -> o.limits(limits -> limits.setSlowClientMaxPending(50)));
    long before = usedMemory();
    try (BridgeWsClient slow = BridgeWsClient.sockJs(node.vertx(), node.port(), "?token=" + node.token(user()))) {
      registerAndSync(slow, Addresses.broadcast("default"));
      slow.pause();
      int published = publishUntilSlowClientClosed(node);
      long grown = usedMemory() - before;
      assertTrue(metric(node, CLOSES_4010) >= 1, "no 4010 after " + published + " broadcasts of 20 KB");
      // 256 KiB pending plus 50 messages of 20 KB at most, and the kernel's socket buffers: far below the 100 MB sent.
      assertTrue(grown < 40L * 1024 * 1024, "the node holds " + grown / 1024 + " KiB more after " + published + " broadcasts");
      slow.resume();
      assertClosed(slow.awaitClose(Duration.ofSeconds(10)), 4010, "slow_client");
    }
  }

  @Test
  void anXhrStreamingClientThatStopsReadingIsClosedWith4010() {
    TestNode node = node("slow-xhr", o -> o.limits(limits -> limits.setSlowClientMaxPending(50)));
    try (SockJsXhrClient slow = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null,
        "?token=" + node.token(user()), Map.of())) {
      registerAndSync(slow, Addresses.broadcast("default"));
      slow.streamingResponse().pause();
      int published = publishUntilSlowClientClosed(node);
      assertTrue(metric(node, CLOSES_4010) >= 1, "no 4010 after " + published + " broadcasts of 20 KB");
    }
  }

  // ---------------------------------------------------------------- item 5: inbound frames before vertx-web

  @Test
  void aSockJsFrameOf16000BadMessagesGetsBoundedAnswersThenA4029Close() {
    TestNode node = node("default", o -> o);
    int burst = node.nodeOptions().limits().getRateLimitBurst();
    try (BridgeWsClient c = BridgeWsClient.sockJs(node.vertx(), node.port(), "?token=" + node.token(user()))) {
      c.call(BridgeAddresses.PING, new JsonObject());
      JsonArray frame = new JsonArray();
      for (int i = 0; i < 16_000; i++) {
        frame.add("x");
      }
      long start = System.nanoTime();
      c.writeText(frame.encode());
      assertClosed(c.awaitClose(T), 4029, "rate_limited");
      double seconds = (System.nanoTime() - start) / 1e9;
      long answers = c.drain().stream().filter(m -> "err".equals(m.getString("type"))).count();
      // One answer per message the bucket let through (the burst, plus what it refilled meanwhile: on a loaded machine
      // the messages take a while) and per refusal before the close (burst); not one per message of the frame.
      long bound = 2L * burst + 1 + (long) Math.ceil(seconds * node.nodeOptions().limits().getRateLimitPerSec());
      assertTrue(answers <= bound, answers + " err frames for one frame, more than " + bound);
    }
  }

  @Test
  void aSocketWithoutTokenIsClosedOnItsFirstProtocolError() {
    TestNode node = node("default", o -> o);
    try (BridgeWsClient raw = BridgeWsClient.raw(node.vertx(), node.port(), "")) {
      raw.writeText("not json");
      assertClosed(raw.awaitClose(T), 4000, "malformed");
      assertTrue(raw.drain().isEmpty());
    }
    try (BridgeWsClient sockJs = BridgeWsClient.sockJs(node.vertx(), node.port(), "")) {
      sockJs.writeText(new JsonArray().add(new JsonObject().put("type", "nonsense").put("address", "a").encode()).encode());
      assertClosed(sockJs.awaitClose(T), 4000, "malformed");
    }
  }

  @Test
  void anUnknownTypeIsAnsweredAndLoggedEscapedAndTruncated() {
    TestNode node = node("default", o -> o);
    String type = "evil\r\nFORGED LOG LINE " + "y".repeat(10_000);
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger sessions = (Logger) LoggerFactory.getLogger(BridgeSessions.class);
    Level level = sessions.getLevel();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    root.addAppender(captured);
    sessions.setLevel(Level.DEBUG);
    try (BridgeWsClient c = BridgeWsClient.sockJs(node.vertx(), node.port(), "?token=" + node.token(user()))) {
      c.call(BridgeAddresses.PING, new JsonObject());
      c.write(new JsonObject().put("type", type).put("address", "a"));
      assertEquals("invalid_type", c.awaitError(T).getString("body"));
      c.call(BridgeAddresses.PING, new JsonObject());
    } finally {
      sessions.setLevel(level);
      root.detachAppender(captured);
    }
    List<String> lines = captured.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(line -> line.contains("FORGED")).toList();
    for (String line : lines) {
      assertFalse(line.contains("\r") || line.contains("\n"), "a raw CR/LF in the log: " + line.substring(0, 100));
      assertTrue(line.length() < 1_000, "a log line of " + line.length() + " chars");
    }
    assertTrue(lines.stream().anyMatch(l -> l.contains("unknown type \"evil\\r\\nFORGED LOG LINE yyy")), lines.toString());
  }

  // ---------------------------------------------------------------- item 10: the upgrade gate

  /**
   * Vert.x 5.0.10 upgrades a request whose {@code Upgrade} headers, any of them, say {@code websocket}: with
   * {@code Upgrade: foo} first and {@code Upgrade: websocket} second, the gate used to read only the first and let the
   * upgrade through without its origin check (101). The CORS handler behind it refuses a foreign {@code Origin} (403)
   * but not a request without one, which {@code allowed_origins} refuses for upgrades. The raw client writes a header
   * value as is, so a CRLF in it makes two headers.
   */
  @Test
  void anUpgradeWithARepeatedUpgradeHeaderIsCheckedForItsOrigin() {
    TestNode node = node("strict", o -> o.access(access -> access.setAllowedOrigins(List.of(GOOD_ORIGIN))));
    for (String path : List.of("/eventbus/websocket", "/eventbus/123/abcdef/websocket")) {
      for (String upgrade : List.of("foo\r\nUpgrade: websocket", "websocket\r\nUpgrade: foo", "foo, WebSocket")) {
        RawWsClient.UpgradeFailed refused = assertThrows(RawWsClient.UpgradeFailed.class,
            () -> RawWsClient.connect(node.vertx(), node.port(), path, Map.of("Upgrade", upgrade)).close());
        assertEquals(403, refused.status(), path + " without Origin, Upgrade: " + upgrade);
        refused = assertThrows(RawWsClient.UpgradeFailed.class, () -> RawWsClient.connect(
            node.vertx(), node.port(), path, Map.of("Upgrade", upgrade, "Origin", EVIL_ORIGIN)).close());
        assertEquals(403, refused.status(), path + " from " + EVIL_ORIGIN + ", Upgrade: " + upgrade);
      }
      RawWsClient.connect(node.vertx(), node.port(), path,
          Map.of("Upgrade", "foo\r\nUpgrade: websocket", "Origin", GOOD_ORIGIN)).close();
    }
  }
}
