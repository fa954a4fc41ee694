package io.herald.state;

import static io.herald.state.StateNodeIT.WAIT;
import static io.herald.state.StateNodeIT.note;
import static io.herald.state.StateNodeIT.notifications;
import static io.herald.state.StateNodeIT.send;
import static io.herald.state.StateNodeIT.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.ingress.IngressVerticle;
import io.herald.testkit.Await;
import io.herald.testkit.LogCapture;
import io.herald.testkit.PrivateRedis;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node on a private redis-server that this test kills and restarts: live delivery goes on without positions,
 * failures are counted, /health says degraded; after the restart positions (under a new epoch, the history being
 * lost) and /health 200 come back.
 */
class RedisOutageIT {

  private static final Pattern HISTORY_FAILURES =
      Pattern.compile("(?m)^herald_state_failures_total\\{store=\"history\"[^}]*\\}\\s+([0-9.eE+]+)$");

  private static int port;
  private static Process redisServer;
  private static Vertx vertx;
  private static TestNode node;

  @BeforeAll
  static void start() throws IOException {
    port = PrivateRedis.freePort();
    redisServer = PrivateRedis.start(port);
    vertx = Vertx.vertx();
    node = TestNode.start(TestNode.options()
        .state(state -> state.setRedisUrl("redis://127.0.0.1:" + port))
        .limits(limits -> limits.setHeartbeatIntervalSecs(1)
            .setConnectionTimeoutSecs(10))
            .state(state -> state.setSessionTtlSecs(5))
            .auth(auth -> auth.setAuthTimeoutSecs(3)));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (node != null) {
        node.close();
      }
    } finally {
      PrivateRedis.kill(redisServer);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void liveDeliveryGoesOnWithoutRedisAndPositionsComeBackWithIt() throws IOException {
    String user = user();
    String prefix = node.nodeOptions().state().getRedisKeyPrefix();
    try (WsClient client = node.connect(user)) {
      node.publish(note(user, "before"));
      JsonObject before = notifications(client, 1).get(0);
      String epoch = before.getString("epoch");
      assertNotNull(epoch, before.encode());
      assertEquals(1L, before.getLong("offset"));
      assertEquals(200, node.get("/health").status());

      PrivateRedis.kill(redisServer);
      redisServer = null;

      node.publish(note(user, "during"));
      JsonObject during = notifications(client, 1).get(0);
      assertEquals("during", during.getString("message"), "live delivery goes on while Redis is down");
      assertFalse(during.containsKey("epoch") || during.containsKey("offset"), "no position without Redis: " + during);
      Await.until(() -> historyFailures() > 0, WAIT, "herald_state_failures_total{store=\"history\"} counted");
      // Every failure is counted, but an outage does not write a warning per notification.
      try (LogCapture ingressLog = LogCapture.of(IngressVerticle.class)) {
        double failuresBefore = historyFailures();
        for (int i = 0; i < 50; i++) {
          node.publish(note(user, "burst-" + i));
        }
        assertEquals(50, notifications(client, 50).size(), "the burst delivered live");
        Await.until(() -> historyFailures() >= failuresBefore + 50, WAIT, "each failed write of the burst counted");
        long warnings = ingressLog.messages().stream().filter(m -> m.startsWith("state write")).count();
        assertTrue(warnings <= 1, "at most one warning for the burst, not one per notification: " + warnings);
      }

      // A new connection is still admitted (without a position) and served live; Resume says not recovered.
      try (WsClient late = node.connectWithToken(node.token(user), "iOS")) {
        late.send(new JsonObject().put("type", "Resume").put("epoch", epoch).put("last_offset", 1));
        JsonObject resumed = late.awaitType("Resumed", WAIT);
        assertEquals(Boolean.FALSE, resumed.getBoolean("recovered"), resumed.encode());
        node.publish(note(user, "during-2"));
        assertEquals("during-2", notifications(late, 1).get(0).getString("message"));
        assertEquals("during-2", notifications(client, 1).get(0).getString("message"));
      }

      redisServer = PrivateRedis.start(port);
      Redis redis = Redis.createClient(vertx, "redis://127.0.0.1:" + port);
      AtomicReference<JsonObject> positioned = new AtomicReference<>();
      Await.until(() -> {
        node.publish(note(user, "after"));
        JsonObject frame = notifications(client, 1).get(0);
        if (frame.containsKey("offset")) {
          positioned.set(frame);
          return true;
        }
        return false;
      }, Duration.ofSeconds(15), "notifications carry a position again once Redis is back");
      JsonObject after = positioned.get();
      assertEquals("user", after.getString("stream"));
      assertNotEquals(epoch, after.getString("epoch"), "the history was lost with the server: a new epoch");
      Await.until(() -> node.get("/health").status() == 200, Duration.ofSeconds(15), "/health 200 again");
      assertEquals("up", node.get("/health").json().getString("status"));
      // Heartbeats recreate the session of the connected client in the new server.
      Await.until(() -> send(redis, Command.SCARD, prefix + ":sessions:" + user).toLong() == 1, WAIT,
          "session recreated by a heartbeat");
      redis.close();
    }
  }

  @Test
  void aRetryOfAnIdAfterRedisLostItsDataIsNotShownTwice() {
    String user = user();
    Redis redis = Redis.createClient(vertx, "redis://127.0.0.1:" + port);
    try (WsClient client = node.connect(user)) {
      node.publish(note(user, "original").put("id", "retried-id"));
      JsonObject original = notifications(client, 1).get(0);
      assertEquals(1L, original.getLong("offset"), original.encode());

      // The data, with the id index that makes appends idempotent, is gone (a restart without persistence does the
      // same): the retry is recorded again, at a new position.
      send(redis, Command.FLUSHALL);
      node.publish(note(user, "original").put("id", "retried-id"));
      node.publish(note(user, "next"));
      JsonObject next = notifications(client, 1).get(0);
      assertEquals("next", next.getString("message"), "the retry is dropped, not written again: " + next.encode());
      assertNotEquals(original.getString("epoch"), next.getString("epoch"), "recorded in a new stream: " + next);
      assertEquals(2L, next.getLong("offset"), "after the retry's new entry: " + next.encode());
    } finally {
      redis.close();
    }
  }

  private static double historyFailures() {
    Matcher m = HISTORY_FAILURES.matcher(node.get("/metrics").body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
