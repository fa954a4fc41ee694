package io.herald.socket.bridge;

import static io.herald.socket.bridge.BridgeIT.raw;
import static io.herald.socket.bridge.BridgeIT.registerAndSync;
import static io.herald.socket.bridge.BridgeIT.user;
import static io.herald.socket.bridge.BridgeIT.userAddress;
import static io.herald.testkit.CloseInfo.assertClosed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.SockJsXhrClient;
import io.herald.testkit.NodeGroups;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;


import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The limits of {@code /ws} on the bridge, with the {@code /ws} close codes as SockJS close codes: connections per user
 * (counted together with {@code /ws}) and per node, the rate limit, the frame size, the authentication timeout, token
 * expiry, slow clients and draining. Each group runs on its own node (started on first use, closed after the class).
 */
@Timeout(60)
class BridgeLimitsIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final NodeGroups NODES = new NodeGroups();

  private static TestNode node(String group, UnaryOperator<HeraldOptions> customise) {
    return NODES.node(group, customise);
  }

  @AfterAll
  static void stopNodes() {
    NODES.close();
  }

  @Test
  void thePerUserLimitCountsWsAndBridgeConnectionsTogether() {
    TestNode node = node("per-user", o -> o.limits(limits -> limits.setMaxConnectionsPerUser(2)));
    String user = user();
    try (WsClient ws = node.connect(user);
         BridgeWsClient first = raw(node, node.token(user))) {
      assertEquals("Pong", first.call(BridgeAddresses.PING, new JsonObject()).getString("type"));
      try (BridgeWsClient third = raw(node, node.token(user))) {
        assertClosed(third.awaitClose(T), 4029, "connection_limit");
      }
      try (SockJsXhrClient third = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null,
          "?token=" + node.token(user), Map.of())) {
        assertClosed(third.awaitClose(T), 4029, "connection_limit");
      }
      first.close();
      // The bridge socket's session was released: a new one is admitted.
      Await.until(() -> {
        try (BridgeWsClient again = raw(node, node.token(user))) {
          return "Pong".equals(again.call(BridgeAddresses.PING, new JsonObject()).getString("type"));
        } catch (AssertionError refused) {
          return false;
        }
      }, T, "a bridge socket admitted after another one closed");
    }
  }

  @Test
  void theNodeLimitAppliesToBridgeSockets() {
    TestNode node = node("per-node", o -> o.limits(limits -> limits.setMaxConnections(2)));
    try (BridgeWsClient a = raw(node, node.token(user()));
         WsClient b = node.connect(user())) {
      assertEquals("Pong", a.call(BridgeAddresses.PING, new JsonObject()).getString("type"));
      try (BridgeWsClient c = raw(node, node.token(user()))) {
        assertClosed(c.awaitClose(T), 4029, "connection_limit");
      }
    }
  }

  @Test
  void inboundFramesAreRateLimitedThenTheSocketIsClosedWith4029() {
    TestNode node = node("rate", o -> o.limits(limits -> limits.setRateLimitPerSec(1).setRateLimitBurst(3)));
    String user = user();
    try (BridgeWsClient c = raw(node, node.token(user))) {
      for (int i = 0; i < 3; i++) {
        c.register(userAddress(user) + "-" + i);
      }
      // The burst is spent (three refused registrations): from here frames are refused by the rate limit.
      for (int i = 0; i < 3; i++) {
        c.awaitError(T);
      }
      // More than rate_limit_burst refusals in a row, with room for one token refilled meanwhile; the server closes
      // the socket after the fourth refusal in a row, so later writes may find it closed.
      for (int i = 0; i < 8 && !c.isClosed(); i++) {
        try {
          c.send(BridgeAddresses.PING, new JsonObject(), null, "r-" + i);
        } catch (AssertionError closedMeanwhile) {
          break;
        }
      }
      assertClosed(c.awaitClose(T), 4029, "rate_limited");
      assertTrue(metric(node, "herald_rate_limited_total") >= 4);
    }
  }

  @Test
  void framesOverMaxFrameBytesAreRefused() {
    TestNode node = node("frame", o -> o.server(server -> server.setMaxFrameBytes(1024)));
    JsonObject big = new JsonObject().put("pad", "x".repeat(2000));
    try (BridgeWsClient c = raw(node, node.token(user()))) {
      c.call(BridgeAddresses.PING, new JsonObject());
      c.send(BridgeAddresses.PING, big, null, "r-big");
      assertClosed(c.awaitClose(T), 1009, "too_large");
    }
    // SockJS's WebSocket transport hands the error to the bridge on a later event-loop turn, racing Vert.x's own
    // close of the connection: the client sees the 1009 close frame, or the connection dropped (1006).
    try (BridgeWsClient c = BridgeWsClient.sockJs(node.vertx(), node.port(), "?token=" + node.token(user()))) {
      c.call(BridgeAddresses.PING, new JsonObject());
      c.send(BridgeAddresses.PING, big, null, "r-big");
      CloseInfo close = c.awaitClose(T);
      assertTrue(close.codeOr1006() == 1009 || close.codeOr1006() == 1006, close.toString());
    }
    try (SockJsXhrClient x = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null,
        "?token=" + node.token(user()), Map.of())) {
      x.call(BridgeAddresses.PING, new JsonObject());
      String body = new JsonArray().add(new JsonObject().put("type", "send").put("address", BridgeAddresses.PING)
          .put("body", big).encode()).encode();
      assertEquals(413, x.post(body), "an xhr_send body over max_frame_bytes");
    }
  }

  @Test
  void aSocketWithoutTokenIsClosedAfterTheAuthTimeoutAndAnExpiredTokenWith4001() {
    TestNode node = node("timeouts", o -> o.auth(auth -> auth.setAuthTimeoutSecs(1).setExpiredCloseDelaySecs(0)));
    try (BridgeWsClient noToken = BridgeWsClient.raw(node.vertx(), node.port(), "");
         SockJsXhrClient noTokenXhr = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null, "", Map.of());
         BridgeWsClient expiring = raw(node, node.token(user(), Duration.ofSeconds(2), null, List.of()))) {
      assertClosed(noToken.awaitClose(T), 4008, "auth_timeout");
      assertClosed(noTokenXhr.awaitClose(T), 4008, "auth_timeout");
      assertEquals("Pong", expiring.call(BridgeAddresses.PING, new JsonObject()).getString("type"));
      assertClosed(expiring.awaitClose(T), 4001, "token_invalid");
    }
  }

  @Test
  void aClientThatStopsReadingIsClosedWith4010() {
    TestNode node = node("slow", o -> o.limits(limits -> limits.setWriteQueueMaxBytes(1024).setSlowClientGraceSecs(1).setSlowClientMaxPending(50)));
    String user = user();
    try (BridgeWsClient slow = raw(node, node.token(user))) {
      registerAndSync(slow, userAddress(user));
      slow.pause();
      JsonObject details = new JsonObject().put("blob", "x".repeat(20_000));
      // Batches of ~600 KB until the server gives up on the client (the kernel's buffers swallow the first ones).
      for (int b = 0; b < 20 && metric(node, "herald_server_closes_total{code=\"4010\"") == 0; b++) {
        JsonArray batch = new JsonArray();
        for (int i = 0; i < 30; i++) {
          batch.add(new JsonObject().put("user_id", user).put("message", "bulk " + b + "." + i).put("details", details));
        }
        node.publish(batch);
      }
      Await.until(() -> metric(node, "herald_server_closes_total{code=\"4010\"") >= 1, T, "a 4010 close");
    }
  }

  @Test
  void drainingClosesBridgeSocketsWith1001AndRefusesNewOnes() {
    TestNode node = TestNode.start();
    try (BridgeWsClient c = raw(node, node.token(user()));
         SockJsXhrClient x = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null,
             "?token=" + node.token(user()), Map.of())) {
      c.call(BridgeAddresses.PING, new JsonObject());
      x.call(BridgeAddresses.PING, new JsonObject());
      node.node().drain();
      assertClosed(c.awaitClose(T), 1001, "shutdown");
      assertClosed(x.awaitClose(T), 1001, "shutdown");
      assertEquals(503, WsClient.upgradeStatus(node.vertx(),
          new WebSocketConnectOptions().setHost("localhost").setPort(node.port()).setURI("/eventbus/websocket")));
      try (SockJsXhrClient late = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null,
          "?token=" + node.token(user()), Map.of())) {
        assertClosed(late.awaitClose(T), 1001, "shutdown");
      }
    } finally {
      node.close();
    }
  }

  /** The sum of the samples of a Prometheus metric whose line starts with {@code prefix}. */
  static double metric(TestNode node, String prefix) {
    double sum = 0;
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(prefix) + "[^ ]* ([0-9.eE+-]+)$").matcher(node.get("/metrics").body());
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return sum;
  }
}
