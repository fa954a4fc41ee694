package io.herald.state;

import static io.herald.state.StateNodeIT.QUIET;
import static io.herald.state.StateNodeIT.WAIT;
import static io.herald.state.StateNodeIT.authenticate;
import static io.herald.state.StateNodeIT.drainNotifications;
import static io.herald.state.StateNodeIT.getUnread;
import static io.herald.state.StateNodeIT.messages;
import static io.herald.state.StateNodeIT.notifications;
import static io.herald.state.StateNodeIT.offsets;
import static io.herald.state.StateNodeIT.publishRange;
import static io.herald.state.StateNodeIT.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same state behaviours on a node WITHOUT Redis (embedded mode, in-memory stores): positions, the offline queue,
 * recovery with recovered true/false, InitialState, GetUnread and MarkRead.
 */
class EmbeddedStateIT {

  /** History of 5, InitialState off. */
  private static TestNode node;
  /** InitialState on, 3 latest. */
  private static TestNode withInitial;

  @BeforeAll
  static void start() {
    node = TestNode.start(embeddedOptions().state(state -> state.setHistorySize(5)));
    withInitial = TestNode.start(embeddedOptions().state(state -> state.setInitialState(true).setInitialStateSize(3)));
  }

  @AfterAll
  static void stop() {
    try {
      node.close();
    } finally {
      withInitial.close();
    }
  }

  private static HeraldOptions embeddedOptions() {
    HeraldOptions options = TestNode.options()
        .limits(limits -> limits.setHeartbeatIntervalSecs(1).setConnectionTimeoutSecs(10))
        .state(state -> state.setSessionTtlSecs(5)).auth(auth -> auth.setAuthTimeoutSecs(3));
    assertNull(options.state().getRedisUrl(), "embedded mode: no redis_url");
    return options;
  }

  @Test
  void offlineQueueKeepsTheLast100InOrderAndDeliversThemOnce() {
    String user = user();
    publishRange(node, user, 1, 50);
    publishRange(node, user, 51, 105);
    try (WsClient first = node.connect(user)) {
      List<JsonObject> frames = notifications(first, 100);
      for (int i = 0; i < 100; i++) {
        assertEquals("m" + (i + 6), frames.get(i).getString("message"), "the last 100, oldest first");
        assertEquals(i + 6L, frames.get(i).getLong("offset"), frames.get(i).encode());
        assertEquals("user", frames.get(i).getString("stream"));
      }
      first.assertNoFrame(QUIET);
      try (WsClient second = node.connectWithToken(node.token(user), "Android")) {
        second.assertNoFrame(QUIET);
      }
      first.assertNoFrame(Duration.ofMillis(100));
    }
    // Once taken, the queue is gone: a later connection gets nothing.
    awaitOffline(node);
    try (WsClient later = node.connect(user)) {
      later.assertNoFrame(QUIET);
    }
  }

  @Test
  void framesCarryPositionsAndAuthenticatedTheCurrentOne() {
    String user = user();
    String epoch;
    try (WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 3);
      List<JsonObject> frames = notifications(client, 3);
      epoch = frames.get(0).getString("epoch");
      assertNotNull(epoch);
      assertEquals(List.of(1L, 2L, 3L), offsets(frames));
      frames.forEach(f -> assertEquals(epoch, f.getString("epoch")));
    }
    awaitOffline(node);
    try (WsClient again = node.open()) {
      JsonObject authenticated = authenticate(again, node.token(user), null, null);
      assertEquals(epoch, authenticated.getString("epoch"));
      assertEquals(3L, authenticated.getLong("offset"));
      again.assertNoFrame(QUIET);
    }
  }

  @Test
  void reconnectWithPositionReplaysExactlyWhatWasMissed() {
    String user = user();
    String epoch;
    try (WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 3);
      epoch = notifications(client, 3).get(0).getString("epoch");
    }
    awaitOffline(node);
    publishRange(node, user, 4, 8); // queued too: the user is offline
    try (WsClient back = node.open()) {
      JsonObject authenticated = authenticate(back, node.token(user), epoch, 3L);
      assertEquals(Boolean.TRUE, authenticated.getBoolean("recovered"), authenticated.encode());
      assertEquals(8L, authenticated.getLong("offset"));
      assertEquals(List.of(4L, 5L, 6L, 7L, 8L), offsets(notifications(back, 5)), "4..8 once each, in order");
      back.assertNoFrame(QUIET);
      // Resume on the live connection.
      back.send(new JsonObject().put("type", "Resume").put("epoch", epoch).put("last_offset", 6));
      JsonObject resumed = back.next();
      assertEquals("Resumed", resumed.getString("type"), resumed.encode());
      assertEquals(Boolean.TRUE, resumed.getBoolean("recovered"));
      assertEquals(2, resumed.getInteger("missed"));
      assertEquals(List.of(7L, 8L), offsets(notifications(back, 2)));
      back.assertNoFrame(QUIET);
    }
  }

  @Test
  void tooOldOrWrongEpochIsNotRecoveredAndOffsetZeroIs() {
    String user = user();
    String epoch;
    try (WsClient client = node.connect(user)) {
      node.publish(new JsonObject().put("user_id", user).put("message", "m1"));
      epoch = notifications(client, 1).get(0).getString("epoch");
    }
    awaitOffline(node);
    publishRange(node, user, 2, 11); // history keeps 7..11 only
    try (WsClient back = node.open()) {
      JsonObject authenticated = authenticate(back, node.token(user), epoch, 1L);
      assertEquals(Boolean.FALSE, authenticated.getBoolean("recovered"), authenticated.encode());
      assertEquals(11L, authenticated.getLong("offset"));
      List<Long> got = offsets(drainNotifications(back));
      assertEquals(new HashSet<>(got).size(), got.size(), "no offset twice: " + got);
      assertTrue(got.containsAll(List.of(7L, 8L, 9L, 10L, 11L)), got.toString());

      back.send(new JsonObject().put("type", "Resume").put("epoch", "ffffffffffff").put("last_offset", 10));
      JsonObject wrongEpoch = back.awaitType("Resumed", WAIT);
      assertEquals(Boolean.FALSE, wrongEpoch.getBoolean("recovered"), wrongEpoch.encode());
      assertEquals(epoch, wrongEpoch.getString("epoch"));
      drainNotifications(back);

      back.send(new JsonObject().put("type", "Resume").put("epoch", "any").put("last_offset", 0));
      JsonObject zero = back.next();
      assertEquals("Resumed", zero.getString("type"), zero.encode());
      // Offset 0 means "seen nothing": any epoch matches, but offsets 1..6 were trimmed, so it is not recovered;
      // everything retained follows.
      assertEquals(Boolean.FALSE, zero.getBoolean("recovered"), zero.encode());
      assertEquals(List.of(7L, 8L, 9L, 10L, 11L), offsets(notifications(back, 5)), "everything retained");
      back.assertNoFrame(QUIET);
    }
  }

  @Test
  void offsetZeroWithAnyEpochRecoversAnUntrimmedHistory() {
    String user = user();
    try (WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 3);
      notifications(client, 3);
      client.send(new JsonObject().put("type", "Resume").put("epoch", "not-the-epoch").put("last_offset", 0));
      JsonObject resumed = client.next();
      assertEquals("Resumed", resumed.getString("type"), resumed.encode());
      assertEquals(Boolean.TRUE, resumed.getBoolean("recovered"), resumed.encode());
      assertEquals(3, resumed.getInteger("missed"));
      assertEquals(List.of(1L, 2L, 3L), offsets(notifications(client, 3)));
      client.assertNoFrame(QUIET);
    }
  }

  @Test
  void initialStateThenUnreadAndMarkReadAcrossTwoDevices() {
    String user = user();
    publishRange(withInitial, user, 1, 5);
    try (WsClient web = withInitial.open()) {
      authenticate(web, withInitial.token(user), null, null);
      JsonObject initial = web.next();
      assertEquals("InitialState", initial.getString("type"), initial.encode());
      assertEquals(5, initial.getInteger("unread_count"));
      assertEquals(List.of("m5", "m4", "m3"), messages(initial.getJsonArray("notifications")));
      List<JsonObject> queued = notifications(web, 5);
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L), offsets(queued));

      try (WsClient phone = withInitial.open()) {
        authenticate(phone, withInitial.token(user), null, null);
        JsonObject phoneInitial = phone.next();
        assertEquals("InitialState", phoneInitial.getString("type"));
        assertEquals(5, phoneInitial.getInteger("unread_count"), "unread is per user");
        // A device connecting within the take record's resolution (1 ms) of the take counts as open at the take
        // (README, offline queue): it may get the taken notifications — all five, in order, once — and then nothing.
        List<JsonObject> taken = new ArrayList<>();
        for (JsonObject frame = phone.poll(QUIET); frame != null; frame = phone.poll(QUIET)) {
          taken.add(frame);
        }
        if (!taken.isEmpty()) {
          assertEquals(List.of(1L, 2L, 3L, 4L, 5L), offsets(taken), "the whole take, once: " + taken);
        }

        String id = queued.get(0).getString("id");
        phone.send(new JsonObject().put("type", "MarkRead").put("notification_id", id));
        for (WsClient device : List.of(web, phone)) {
          JsonObject updated = device.next();
          assertEquals("NotificationUpdated", updated.getString("type"), updated.encode());
          assertEquals(id, updated.getString("notification_id"));
          assertEquals(Boolean.TRUE, updated.getBoolean("read"));
        }
        JsonObject unread = getUnread(web, 10);
        assertEquals(4, unread.getInteger("count"));
        assertEquals(List.of("m5", "m4", "m3", "m2"), messages(unread.getJsonArray("notifications")));
        assertEquals(4, getUnread(phone, 2).getInteger("count"));

        web.send(new JsonObject().put("type", "MarkRead").put("notification_id", "unknown-id"));
        JsonObject ack = web.next();
        assertEquals("NotificationUpdated", ack.getString("type"));
        assertEquals("unknown-id", ack.getString("notification_id"));
        phone.assertNoFrame(Duration.ofMillis(300));
        assertEquals(4, getUnread(phone, 10).getInteger("count"));

        for (int limit : new int[] {0, 101}) {
          phone.send(new JsonObject().put("type", "GetUnread").put("limit", limit));
          JsonObject error = phone.next();
          assertEquals("Error", error.getString("type"), error.encode());
          assertEquals("invalid", error.getString("code"));
        }
      }
    }
  }

  /** Waits until the node has no connection left (its sessions are unregistered in the same step). */
  private static void awaitOffline(TestNode n) {
    Await.until(() -> {
      JsonObject health = n.get("/health").json();
      return Integer.valueOf(0).equals(health.getInteger("connections"));
    }, WAIT, "no connection left on the node");
  }
}
