package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.RedisTestKeys;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redis state feature end to end on real nodes with the shared Redis and real WebSocket clients: positions in
 * frames, the offline queue, recovery (Authenticate with a position, Resume), the switch from replay to live
 * delivery under load, InitialState, GetUnread/MarkRead across devices, session keys, the fleet-wide per-user limit
 * and the hourly metrics.
 */
class StateNodeIT {

  static final Duration WAIT = Duration.ofSeconds(5);
  /** How long a client must stay silent for "nothing more arrives". */
  static final Duration QUIET = Duration.ofMillis(500);

  private static Vertx vertx;
  private static Redis redis;
  private static TestNode node;
  /** Every key prefix a node of this class used: their keys are deleted at the end. */
  private static final List<String> prefixes = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, TestNode.REDIS_URL);
    node = startNode(redisOptions());
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (node != null) {
        node.close();
      }
    } finally {
      try {
        for (String prefix : prefixes) {
          RedisTestKeys.deleteKeys(redis, prefix);
        }
      } finally {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Options of a node on the shared Redis: fast heartbeats, short session TTL, InitialState off. */
  static HeraldOptions redisOptions() {
    return TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .limits(limits -> limits.setHeartbeatIntervalSecs(1)
            .setConnectionTimeoutSecs(10))
            .state(state -> state.setSessionTtlSecs(5))
            .auth(auth -> auth.setAuthTimeoutSecs(3));
  }

  private static TestNode startNode(HeraldOptions options) {
    prefixes.add(options.state().getRedisKeyPrefix());
    return TestNode.start(options);
  }

  // ---------------------------------------------------------------- positions

  @Test
  void framesCarryTheirPositionAndAuthenticatedTheCurrentOne() {
    String user = user();
    String epoch;
    try (WsClient client = node.connect(user)) {
      for (int i = 1; i <= 3; i++) {
        node.publish(note(user, "m" + i));
      }
      List<JsonObject> frames = notifications(client, 3);
      epoch = frames.get(0).getString("epoch");
      assertNotNull(epoch, "a user notification carries its epoch: " + frames.get(0));
      for (int i = 0; i < 3; i++) {
        JsonObject f = frames.get(i);
        assertEquals("user", f.getString("stream"), f.encode());
        assertEquals(epoch, f.getString("epoch"), "one epoch per stream: " + f.encode());
        assertEquals(i + 1L, f.getLong("offset"), "offsets grow by one per notification: " + f.encode());
        assertEquals("m" + (i + 1), f.getString("message"));
      }
      // A broadcast has a position in the tenant's broadcast stream, not in the user's.
      node.publish(new JsonObject().put("broadcast", true).put("message", "to all"));
      JsonObject broadcast = notifications(client, 1).get(0);
      assertEquals("broadcast", broadcast.getString("stream"));
      assertNotNull(broadcast.getString("epoch"));
      assertTrue(broadcast.getLong("offset") >= 1, broadcast.encode());
    }
    try (WsClient again = node.open()) {
      JsonObject authenticated = authenticate(again, node.token(user), null, null);
      assertEquals(epoch, authenticated.getString("epoch"), "Authenticated carries the user stream's epoch");
      assertEquals(3L, authenticated.getLong("offset"), "Authenticated carries the user stream's last offset");
      assertFalse(authenticated.containsKey("recovered"), "no position asked, no recovered: " + authenticated);
      node.publish(note(user, "m4"));
      assertEquals(4L, notifications(again, 1).get(0).getLong("offset"));
    }
  }

  // ---------------------------------------------------------------- offline queue

  @Test
  void offlineQueueKeepsTheLast100InOrderAndDeliversThemOnceToTheNextConnection() {
    String user = user();
    String queueKey = prefix(node) + ":queue:" + user;
    // 105 notifications in three HTTP batches while the user has no connection anywhere.
    publishRange(node, user, 1, 50);
    publishRange(node, user, 51, 100);
    publishRange(node, user, 101, 105);
    // The HTTP API answers before the append: wait for the last one, m105, to be queued (the length alone is 100 as
    // soon as m100 is), so that no notification is still on its way when the connection opens.
    Await.until(() -> llen(queueKey) == 100 && historyLength(node, user) == 100
            && send(redis, Command.LRANGE, queueKey, "0", "-1").toString().contains("\"m105\""), WAIT,
        "offline queue capped at 100, with m105 (and history written)");
    // The queue keeps a TTL (offline_queue_ttl_secs).
    assertTrue(ttl(queueKey) > 0, "the queue has a TTL");

    try (WsClient first = node.connect(user)) {
      List<JsonObject> frames = notifications(first, 100);
      for (int i = 0; i < 100; i++) {
        JsonObject f = frames.get(i);
        assertEquals("m" + (i + 6), f.getString("message"), "the last 100, oldest first");
        assertEquals(i + 6L, f.getLong("offset"), "queued notifications keep their position: " + f.encode());
        assertEquals("user", f.getString("stream"));
      }
      first.assertNoFrame(QUIET);
      assertEquals(0, exists(queueKey), "the queue is removed once taken");
      try (WsClient second = node.connectWithToken(node.token(user), "iOS")) {
        second.assertNoFrame(QUIET);
        first.assertNoFrame(Duration.ofMillis(100));
      }
    }
  }

  @Test
  void notificationsForAConnectedUserAreNotQueued() {
    String user = user();
    try (WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 3);
      notifications(client, 3);
      Await.until(() -> historyLength(node, user) == 3, WAIT, "history written");
      assertEquals(0, exists(prefix(node) + ":queue:" + user), "no queue for a user with a live session");
    }
  }

  // ---------------------------------------------------------------- recovery

  @Test
  void reconnectWithPositionReplaysExactlyWhatWasMissedWithoutDuplicateFromTheQueue() {
    String user = user();
    String epoch;
    try (WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 3);
      List<JsonObject> seen = notifications(client, 3);
      epoch = seen.get(2).getString("epoch");
      assertEquals(3L, seen.get(2).getLong("offset"));
    }
    awaitOffline(node, user);
    publishRange(node, user, 4, 8);
    Await.until(() -> llen(prefix(node) + ":queue:" + user) == 5, WAIT, "the 5 missed notifications queued");

    try (WsClient back = node.open()) {
      JsonObject authenticated = authenticate(back, node.token(user), epoch, 3L);
      assertEquals(Boolean.TRUE, authenticated.getBoolean("recovered"), authenticated.encode());
      assertEquals(epoch, authenticated.getString("epoch"));
      assertEquals(8L, authenticated.getLong("offset"));
      assertEquals(List.of(4L, 5L, 6L, 7L, 8L), offsets(notifications(back, 5)), "offsets 4..8, in order");
      back.assertNoFrame(QUIET);
      assertEquals(0, exists(prefix(node) + ":queue:" + user), "the queue was taken");
      // Live delivery goes on after the replay.
      node.publish(note(user, "m9"));
      assertEquals(9L, notifications(back, 1).get(0).getLong("offset"));
    }
  }

  @Test
  void resumeOnAnAuthenticatedConnectionSendsResumedAndTheMissedFrames() {
    String user = user();
    try (WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 4);
      List<JsonObject> seen = notifications(client, 4);
      String epoch = seen.get(0).getString("epoch");
      client.send(new JsonObject().put("type", "Resume").put("epoch", epoch).put("last_offset", 1));
      JsonObject resumed = client.next();
      assertEquals("Resumed", resumed.getString("type"), resumed.encode());
      assertEquals(Boolean.TRUE, resumed.getBoolean("recovered"));
      assertEquals(epoch, resumed.getString("epoch"));
      assertEquals(4L, resumed.getLong("offset"));
      assertEquals(3, resumed.getInteger("missed"));
      assertEquals(List.of(2L, 3L, 4L), offsets(notifications(client, 3)));
      client.assertNoFrame(QUIET);
      // Nothing missed: Resumed with 0 and no frame.
      client.send(new JsonObject().put("type", "Resume").put("epoch", epoch).put("last_offset", 4));
      JsonObject none = client.next();
      assertEquals("Resumed", none.getString("type"));
      assertEquals(Boolean.TRUE, none.getBoolean("recovered"));
      assertEquals(0, none.getInteger("missed"));
      client.assertNoFrame(QUIET);
      // A malformed Resume is refused as invalid and the connection stays usable.
      client.send(new JsonObject().put("type", "Resume").put("epoch", epoch).put("last_offset", -1));
      JsonObject error = client.next();
      assertEquals("Error", error.getString("type"));
      assertEquals("invalid", error.getString("code"));
      node.publish(note(user, "m5"));
      assertEquals(5L, notifications(client, 1).get(0).getLong("offset"));
    }
  }

  @Test
  void aPositionOlderThanTheHistoryIsNotRecovered() {
    TestNode small = startNode(redisOptions().state(state -> state.setHistorySize(5)));
    try {
      String user = user();
      String epoch;
      try (WsClient client = small.connect(user)) {
        small.publish(note(user, "m1"));
        epoch = notifications(client, 1).get(0).getString("epoch");
      }
      awaitOffline(small, user);
      publishRange(small, user, 2, 11);
      Await.until(() -> llen(prefix(small) + ":queue:" + user) == 10, WAIT, "10 queued");
      try (WsClient back = small.open()) {
        JsonObject authenticated = authenticate(back, small.token(user), epoch, 1L);
        assertEquals(Boolean.FALSE, authenticated.getBoolean("recovered"),
            "offsets 2..6 are no longer in a history of 5: " + authenticated.encode());
        assertEquals(epoch, authenticated.getString("epoch"));
        assertEquals(11L, authenticated.getLong("offset"));
        List<Long> got = offsets(drainNotifications(back));
        assertEquals(new HashSet<>(got).size(), got.size(), "no offset twice: " + got);
        assertTrue(got.containsAll(List.of(7L, 8L, 9L, 10L, 11L)), "what history still holds follows: " + got);
      }
      // Resume on a live connection from the same too-old position says the same.
      try (WsClient client = small.connect(user)) {
        client.send(new JsonObject().put("type", "Resume").put("epoch", epoch).put("last_offset", 1));
        JsonObject resumed = client.awaitType("Resumed", WAIT);
        assertEquals(Boolean.FALSE, resumed.getBoolean("recovered"), resumed.encode());
        assertEquals(11L, resumed.getLong("offset"));
      }
    } finally {
      small.close();
    }
  }

  @Test
  void offsetZeroOnAStreamThatHasNothingYetIsRecoveredWithNothingMissed() {
    String user = user();
    try (WsClient fresh = node.open()) {
      JsonObject authenticated = authenticate(fresh, node.token(user), "any-epoch", 0L);
      assertEquals(Boolean.TRUE, authenticated.getBoolean("recovered"), "nothing seen, nothing written: " + authenticated);
      assertEquals(0L, authenticated.getLong("offset"));
      fresh.assertNoFrame(QUIET);
    }
  }

  @Test
  void aWrongEpochIsNotRecoveredAndOffsetZeroRecoversEverythingRetained() {
    String user = user();
    String epoch;
    try (WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 3);
      epoch = notifications(client, 3).get(0).getString("epoch");
    }
    awaitOffline(node, user);
    try (WsClient wrong = node.open()) {
      JsonObject authenticated = authenticate(wrong, node.token(user), "0123456789ab", 2L);
      assertEquals(Boolean.FALSE, authenticated.getBoolean("recovered"), authenticated.encode());
      assertEquals(epoch, authenticated.getString("epoch"), "the reply names the stream's real epoch");
      assertEquals(3L, authenticated.getLong("offset"));
      List<Long> got = offsets(drainNotifications(wrong));
      assertEquals(new HashSet<>(got).size(), got.size(), "no offset twice: " + got);
    }
    awaitOffline(node, user);
    try (WsClient zero = node.open()) {
      JsonObject authenticated = authenticate(zero, node.token(user), "any-epoch", 0L);
      assertEquals(Boolean.TRUE, authenticated.getBoolean("recovered"), "offset 0 means seen nothing: " + authenticated);
      assertEquals(epoch, authenticated.getString("epoch"));
      assertEquals(List.of(1L, 2L, 3L), offsets(notifications(zero, 3)), "everything retained, in order");
      zero.assertNoFrame(QUIET);
      // Resume from 0 on the live connection: everything again.
      zero.send(new JsonObject().put("type", "Resume").put("epoch", "whatever").put("last_offset", 0));
      JsonObject resumed = zero.next();
      assertEquals("Resumed", resumed.getString("type"));
      assertEquals(Boolean.TRUE, resumed.getBoolean("recovered"));
      assertEquals(3, resumed.getInteger("missed"));
      assertEquals(List.of(1L, 2L, 3L), offsets(notifications(zero, 3)));
    }
  }

  @Test
  void noGapAndNoDuplicateWhileResumeIsServedUnderLoad() throws Exception {
    String user = user();
    // An anchor device keeps the user online: nothing goes to the queue, only history and live delivery matter.
    try (WsClient anchor = node.connectWithToken(node.token(user), "iOS");
         WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 5);
      List<JsonObject> first = notifications(client, 5);
      String epoch = first.get(0).getString("epoch");
      int total = 55;
      Thread publisher = publisherThread(node, user, 6, total);
      publisher.start();
      // Let the stream start, then resume from offset 5 while it keeps flowing.
      JsonObject live = client.awaitType("Notification", WAIT);
      List<Long> beforeResumed = new ArrayList<>(List.of(live.getLong("offset")));
      client.send(new JsonObject().put("type", "Resume").put("epoch", epoch).put("last_offset", 5));
      JsonObject frame;
      while (!"Resumed".equals((frame = client.next()).getString("type"))) {
        assertEquals("Notification", frame.getString("type"), frame.encode());
        beforeResumed.add(frame.getLong("offset"));
      }
      JsonObject resumed = frame;
      assertEquals(Boolean.TRUE, resumed.getBoolean("recovered"), resumed.encode());
      publisher.join(TimeUnit.SECONDS.toMillis(20));
      assertFalse(publisher.isAlive(), "publisher finished");
      // After Resumed: exactly 6..total, each once, in order — the replay, then live with no gap and no duplicate.
      List<Long> after = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (after.isEmpty() || after.get(after.size() - 1) < total) {
        assertTrue(System.nanoTime() < deadline, "timed out; after Resumed: " + after);
        JsonObject f = client.next();
        assertEquals("Notification", f.getString("type"), f.encode());
        after.add(f.getLong("offset"));
      }
      client.assertNoFrame(QUIET);
      List<Long> expected = new ArrayList<>();
      for (long o = 6; o <= total; o++) {
        expected.add(o);
      }
      assertEquals(expected, after, "offsets after Resumed (live ones before it: " + beforeResumed + ")");
      assertEquals(resumed.getInteger("missed").longValue(), resumed.getLong("offset") - 5, resumed.encode());
      // The anchor saw the stream live, once each.
      assertEquals(total, notifications(anchor, total).size());
    }
  }

  @Test
  void noGapAndNoDuplicateWhenReconnectingWithAPositionUnderLoad() throws Exception {
    String user = user();
    String epoch;
    try (WsClient client = node.connect(user)) {
      publishRange(node, user, 1, 5);
      epoch = notifications(client, 5).get(0).getString("epoch");
    }
    awaitOffline(node, user);
    int total = 55;
    Thread publisher = publisherThread(node, user, 6, total);
    publisher.start();
    Await.until(() -> historyLength(node, user) >= 10, WAIT, "the stream is flowing while the user is away");
    try (WsClient back = node.open()) {
      JsonObject authenticated = authenticate(back, node.token(user), epoch, 5L);
      assertEquals(Boolean.TRUE, authenticated.getBoolean("recovered"), authenticated.encode());
      publisher.join(TimeUnit.SECONDS.toMillis(20));
      assertFalse(publisher.isAlive(), "publisher finished");
      List<Long> expected = new ArrayList<>();
      for (long o = 6; o <= total; o++) {
        expected.add(o);
      }
      assertEquals(expected, offsets(notifications(back, total - 5)), "every missed and live offset once, in order");
      back.assertNoFrame(QUIET);
    }
  }

  @Test
  void aConnectionWithoutPositionJoiningAStreamSeesEachOffsetOnceWithoutGap() throws Exception {
    for (int round = 0; round < 3; round++) {
      String user = user();
      try (WsClient anchor = node.connectWithToken(node.token(user), "iOS")) {
        int total = 60;
        // The stream flows before the join and goes on while the joining connection authenticates: the publisher
        // waits for the join after its first 20, so that a fast publisher cannot finish first.
        CountDownLatch joining = new CountDownLatch(1);
        Thread publisher = new Thread(() -> {
          for (int i = 1; i <= total; i++) {
            if (i == 21) {
              try {
                joining.await(20, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                return;
              }
            }
            node.publish(note(user, "m" + i));
          }
        }, "publisher-" + user);
        publisher.setDaemon(true);
        publisher.start();
        notifications(anchor, 5); // the stream flows
        try (WsClient joiner = node.open()) {
          joining.countDown();
          JsonObject authenticated = authenticate(joiner, node.token(user), null, null);
          publisher.join(TimeUnit.SECONDS.toMillis(20));
          assertFalse(publisher.isAlive(), "publisher finished");
          List<Long> got = offsets(drainNotifications(joiner));
          assertFalse(got.isEmpty(), "the joining connection gets the rest of the stream");
          assertEquals(total, got.get(got.size() - 1), "up to the last: " + got);
          List<Long> expected = new ArrayList<>();
          for (long o = got.get(0); o <= total; o++) {
            expected.add(o);
          }
          assertEquals(expected, got, "each offset once, no gap (Authenticated at " + authenticated.getLong("offset") + ")");
          assertTrue(got.get(0) <= authenticated.getLong("offset") + 1, "nothing after Authenticated's offset is skipped");
        }
        assertEquals(total, notifications(anchor, total - 5).size() + 5);
      }
    }
  }

  // ---------------------------------------------------------------- inbox

  @Test
  void initialStateFollowsAuthenticatedWithTheUnreadCountAndTheLatest() {
    TestNode withInitial = startNode(redisOptions().state(state -> state.setInitialState(true).setInitialStateSize(3)));
    try {
      String user = user();
      publishRange(withInitial, user, 1, 5);
      Await.until(() -> zcard(prefix(withInitial) + ":unread:" + user) == 5, WAIT, "5 unread recorded");
      try (WsClient client = withInitial.open()) {
        authenticate(client, withInitial.token(user), null, null);
        JsonObject initial = client.next();
        assertEquals("InitialState", initial.getString("type"), "InitialState right after Authenticated: " + initial);
        assertEquals(5, initial.getInteger("unread_count"));
        JsonArray latest = initial.getJsonArray("notifications");
        assertEquals(3, latest.size(), initial.encode());
        assertEquals(List.of("m5", "m4", "m3"), messages(latest), "the 3 latest, newest first");
        // Then the offline queue.
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), offsets(notifications(client, 5)));
      }
    } finally {
      withInitial.close();
    }
  }

  @Test
  void getUnreadAndMarkReadAcrossTwoDevices() {
    String user = user();
    try (WsClient web = node.connectWithToken(node.token(user), "Dashboard");
         WsClient phone = node.connectWithToken(node.token(user), "Android")) {
      publishRange(node, user, 1, 3);
      List<JsonObject> received = notifications(web, 3);
      notifications(phone, 3);
      Await.until(() -> zcard(prefix(node) + ":unread:" + user) == 3, WAIT, "3 unread recorded");

      JsonObject unread = getUnread(web, 10);
      assertEquals(3, unread.getInteger("count"));
      assertEquals(List.of("m3", "m2", "m1"), messages(unread.getJsonArray("notifications")), "newest first");
      assertEquals(1, getUnread(phone, 1).getJsonArray("notifications").size(), "limit is honoured");

      String id = received.get(1).getString("id");
      web.send(new JsonObject().put("type", "MarkRead").put("notification_id", id));
      for (WsClient device : List.of(web, phone)) {
        JsonObject updated = device.next();
        assertEquals("NotificationUpdated", updated.getString("type"), updated.encode());
        assertEquals(id, updated.getString("notification_id"));
        assertEquals(Boolean.TRUE, updated.getBoolean("read"));
      }
      JsonObject afterMark = getUnread(phone, 10);
      assertEquals(2, afterMark.getInteger("count"), "count is per user: it dropped on the other device too");
      assertEquals(List.of("m3", "m1"), messages(afterMark.getJsonArray("notifications")));
      assertEquals(2, getUnread(web, 10).getInteger("count"));

      // Unknown id (or already read): acknowledged to the sender only, count unchanged.
      for (String other : List.of("no-such-notification", id)) {
        phone.send(new JsonObject().put("type", "MarkRead").put("notification_id", other));
        JsonObject ack = phone.next();
        assertEquals("NotificationUpdated", ack.getString("type"), ack.encode());
        assertEquals(other, ack.getString("notification_id"));
        web.assertNoFrame(Duration.ofMillis(300));
      }
      assertEquals(2, getUnread(web, 10).getInteger("count"));

      for (Object limit : List.of(0, 1000, "ten")) {
        web.send(new JsonObject().put("type", "GetUnread").put("limit", limit));
        JsonObject error = web.next();
        assertEquals("Error", error.getString("type"), "limit " + limit + ": " + error);
        assertEquals("invalid", error.getString("code"));
      }
      web.send(new JsonObject().put("type", "MarkRead"));
      assertEquals("invalid", web.awaitType("Error", WAIT).getString("code"));
      phone.assertNoFrame(Duration.ofMillis(200));
    }
  }

  // ---------------------------------------------------------------- sessions

  @Test
  void sessionKeysFollowTheConnectionsAndCarryTheirMetadata() {
    String user = user();
    String sessionsKey = prefix(node) + ":sessions:" + user;
    WebSocketConnectOptions connect = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.port())
        .setURI("/ws").addHeader("User-Agent", "state-test-agent/1.0");
    try (WsClient phone = WsClient.connect(node.vertx(), connect, null);
         WsClient web = node.connectWithToken(node.token(user), "Dashboard")) {
      JsonObject authenticated = authenticateAs(phone, node.token(user), "iOS");
      String id = authenticated.getString("connection_id");
      Set<String> members = smembers(sessionsKey);
      assertEquals(2, members.size(), "both connections in the set: " + members);
      assertTrue(members.contains(id), members.toString());
      String connectionKey = prefix(node) + ":connections:" + id;
      JsonObject meta = new JsonObject(get(connectionKey));
      assertEquals(user, meta.getString("user_id"));
      assertEquals(id, meta.getString("connection_id"));
      assertEquals("iOS", meta.getString("device"));
      assertEquals("127.0.0.1", meta.getString("ip_address"));
      assertEquals("state-test-agent/1.0", meta.getString("user_agent"));
      assertEquals(node.node().nodeId(), meta.getString("node_id"));
      Instant connectedAt = Instant.parse(meta.getString("connected_at"));
      Instant lastPing = Instant.parse(meta.getString("last_ping"));
      assertFalse(lastPing.isBefore(connectedAt), meta.encode());
      assertEquals(new JsonArray(), meta.getJsonObject("filters").getJsonArray("priorities"), meta.encode());
      assertTrue(meta.getJsonObject("filters").containsKey("alert_ids") && meta.getJsonObject("filters").containsKey("chains"));
      long ttl = ttl(connectionKey);
      assertTrue(ttl > 0 && ttl <= 5, "metadata expires after session_ttl_secs: " + ttl);
      assertTrue(ttl(sessionsKey) > 0, "the set has a TTL too");

      // Filters set by Subscribe show in the metadata after the next heartbeat (1 s), and last_ping moves.
      TestNode.subscribe(phone, new JsonObject().put("filters",
          new JsonObject().put("priorities", new JsonArray().add("High")).put("chains", new JsonArray().add("ethereum"))));
      Await.until(() -> {
        JsonObject now = new JsonObject(get(connectionKey));
        return now.getJsonObject("filters").getJsonArray("priorities").contains("High")
            && now.getJsonObject("filters").getJsonArray("chains").contains("ethereum")
            && Instant.parse(now.getString("last_ping")).isAfter(lastPing);
      }, WAIT, "filters and a newer last_ping in the metadata after a heartbeat");

      phone.close();
      Await.until(() -> exists(connectionKey) == 0 && smembers(sessionsKey).size() == 1 && !smembers(sessionsKey).contains(id),
          WAIT, "the closed connection's keys are gone, the other connection's stay");
      web.send(new JsonObject().put("type", "Ping"));
      assertEquals("Pong", web.next().getString("type"));
    }
    Await.until(() -> exists(sessionsKey) == 0, WAIT, "the set vanishes with the last connection");
    assertEquals(0, countKeys(prefix(node) + ":connections:*", user), "no metadata of the user is left");
  }

  @Test
  void perUserLimitIsFleetWideAcrossTwoNodesSharingRedis() throws Exception {
    String prefix = "test-" + UUID.randomUUID().toString().substring(0, 8) + ":websocket";
    TestNode a = startNode(redisOptions()
        .state(state -> state.setRedisKeyPrefix(prefix))
        .limits(limits -> limits.setMaxConnectionsPerUser(3)));
    TestNode b = startNode(redisOptions()
        .state(state -> state.setRedisKeyPrefix(prefix))
        .limits(limits -> limits.setMaxConnectionsPerUser(3)));
    List<WsClient> clients = new ArrayList<>();
    try {
      String user = user();
      for (int i = 0; i < 10; i++) {
        clients.add((i % 2 == 0 ? a : b).open());
      }
      List<Thread> senders = new ArrayList<>();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      for (int i = 0; i < 10; i++) {
        WsClient c = clients.get(i);
        String token = (i % 2 == 0 ? a : b).token(user);
        Thread t = new Thread(() -> {
          try {
            c.send(new JsonObject().put("type", "Authenticate").put("token", token).put("device", "Dashboard"));
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        senders.add(t);
      }
      senders.forEach(Thread::start);
      for (Thread t : senders) {
        t.join(5000);
      }
      assertTrue(failures.isEmpty(), failures.toString());
      int admitted = 0;
      int refused = 0;
      for (WsClient c : clients) {
        JsonObject first = c.next();
        if ("Authenticated".equals(first.getString("type"))) {
          admitted++;
        } else {
          assertEquals("Error", first.getString("type"), first.encode());
          assertEquals("connection_limit", first.getString("code"));
          CloseInfo close = c.awaitClose(WAIT);
          assertEquals(4029, close.codeOr1006(), close.toString());
          refused++;
        }
      }
      assertEquals(3, admitted, "exactly max_connections_per_user admitted fleet-wide");
      assertEquals(7, refused);
      assertEquals(3, smembers(prefix + ":sessions:" + user).size());
      // The refused connections hold no node admission: the nodes count exactly the 3 admitted ones.
      Await.until(() -> healthConnections(a) + healthConnections(b) == 3, WAIT,
          "3 connections counted by the nodes (a: " + healthConnections(a) + ", b: " + healthConnections(b) + ")");
      // The admitted ones stay open.
      for (WsClient c : clients) {
        if (!c.isClosed()) {
          c.send(new JsonObject().put("type", "Ping"));
          assertEquals("Pong", c.next().getString("type"));
        }
      }
      clients.forEach(WsClient::close);
      Await.until(() -> healthConnections(a) + healthConnections(b) == 0, WAIT, "every admission released");
      Await.until(() -> exists(prefix + ":sessions:" + user) == 0, WAIT, "every session unregistered");
    } finally {
      clients.forEach(WsClient::close);
      a.close();
      b.close();
    }
  }

  static int healthConnections(TestNode n) {
    return n.get("/health").json().getInteger("connections");
  }

  @Test
  void aGracefulStopRemovesTheSessionsOfItsConnections() {
    TestNode stopping = startNode(redisOptions().state(state -> state.setSessionTtlSecs(60)));
    String user = user();
    String sessionsKey = prefix(stopping) + ":sessions:" + user;
    String id;
    try (WsClient client = stopping.connect(user)) {
      client.send(new JsonObject().put("type", "GetStatus"));
      id = client.awaitType("Status", WAIT).getString("connection_id");
      assertEquals(Set.of(id), smembers(sessionsKey));
      stopping.close();
      assertEquals(1001, client.awaitClose(WAIT).codeOr1006());
    }
    // Well before the 60 s TTL: the stop unregistered them.
    Await.until(() -> exists(sessionsKey) == 0 && exists(prefix(stopping) + ":connections:" + id) == 0,
        Duration.ofSeconds(3), "session keys removed by the graceful stop");
  }

  // ---------------------------------------------------------------- hourly metrics

  @Test
  void hourlyMetricsAreFlushedWhenTheNodeStops() {
    TestNode metricsNode = startNode(redisOptions());
    String prefix = prefix(metricsNode);
    Instant before = Instant.now();
    int frames = 0;
    try (WsClient one = metricsNode.connect(user()); WsClient two = metricsNode.connect(user())) {
      metricsNode.publish(new JsonObject().put("broadcast", true).put("message", "b1"));
      metricsNode.publish(new JsonObject().put("broadcast", true).put("message", "b2"));
      frames += notifications(one, 2).size();
      frames += notifications(two, 2).size();
    } finally {
      metricsNode.close();
    }
    Instant after = Instant.now();
    String key = metricsKey(prefix, after);
    if (exists(key) == 0) {
      key = metricsKey(prefix, before); // the hour turned during the test
    }
    String view = get(key);
    assertNotNull(view, "metrics view " + key + " written at stop");
    JsonObject json = new JsonObject(view);
    assertTrue(json.getLong("total_connections") >= 2, json.encode());
    assertTrue(json.getLong("messages_sent") >= frames, json.encode());
    assertNotNull(json.getValue("avg_latency_ms"), json.encode());
    assertNotNull(Instant.parse(json.getString("timestamp")));
    Response counters = send(redis, Command.HGETALL, key + ":counters");
    assertTrue(counters.size() > 0, "counters hash exists");
    assertTrue(counters.get("total_connections").toLong() >= 2);
    assertTrue(ttl(key) > 0, "the view has a retention TTL");
    assertTrue(ttl(key + ":counters") > 0, "the counters have a retention TTL");
  }

  @Test
  void bridgeSocketsCountInTheHourlyMetricsLikeWsConnections() {
    TestNode metricsNode = startNode(redisOptions());
    String prefix = prefix(metricsNode);
    String user = user();
    String userAddress = "herald.user.default." + user;
    Instant before = Instant.now();
    try (BridgeWsClient bridge = BridgeWsClient.raw(metricsNode.vertx(), metricsNode.port(), "")) {
      bridge.register(userAddress, new JsonObject().put("token", metricsNode.token(user)));
      JsonObject status = bridge.request("herald.client.status", new JsonObject()).getJsonObject("body");
      assertEquals(user, status.getString("user_id"));
      metricsNode.publish(new JsonObject().put("user_id", user).put("message", "m1"));
      metricsNode.publish(new JsonObject().put("user_id", user).put("message", "m2"));
      bridge.awaitOn(userAddress, WAIT);
      bridge.awaitOn(userAddress, WAIT);
    } finally {
      metricsNode.close();
    }
    String key = metricsKey(prefix, Instant.now());
    if (exists(key) == 0) {
      key = metricsKey(prefix, before); // the hour turned during the test
    }
    String view = get(key);
    assertNotNull(view, "metrics view " + key + " written at stop");
    JsonObject json = new JsonObject(view);
    // Only the bridge socket was connected to this node: before, it counted for nothing.
    assertEquals(1L, json.getLong("total_connections"), json.encode());
    assertEquals(2L, json.getLong("messages_sent"), json.encode());
  }

  // ---------------------------------------------------------------- helpers

  static String user() {
    return "u-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static JsonObject note(String user, String message) {
    return new JsonObject().put("user_id", user).put("message", message);
  }

  /** Publishes m{from}..m{to} for the user as one HTTP batch. */
  static void publishRange(TestNode node, String user, int from, int to) {
    JsonArray batch = new JsonArray();
    for (int i = from; i <= to; i++) {
      batch.add(note(user, "m" + i));
    }
    node.publish(batch);
  }

  /** A thread publishing m{from}..m{to} one HTTP request each. */
  static Thread publisherThread(TestNode node, String user, int from, int to) {
    Thread t = new Thread(() -> {
      for (int i = from; i <= to; i++) {
        node.publish(note(user, "m" + i));
      }
    }, "publisher-" + user);
    t.setDaemon(true);
    return t;
  }

  /** Sends Authenticate (with a position when lastOffset is not null) and returns Authenticated. */
  static JsonObject authenticate(WsClient client, String token, String epoch, Long lastOffset) {
    JsonObject message = new JsonObject().put("type", "Authenticate").put("token", token).put("device", "Dashboard");
    if (lastOffset != null) {
      message.put("epoch", epoch).put("last_offset", lastOffset);
    }
    client.send(message);
    JsonObject reply = client.next();
    assertEquals("Authenticated", reply.getString("type"), reply.encode());
    return reply;
  }

  static JsonObject authenticateAs(WsClient client, String token, String device) {
    client.send(new JsonObject().put("type", "Authenticate").put("token", token).put("device", device));
    JsonObject reply = client.next();
    assertEquals("Authenticated", reply.getString("type"), reply.encode());
    return reply;
  }

  /** The next {@code count} frames, each of which must be a Notification. */
  static List<JsonObject> notifications(WsClient client, int count) {
    List<JsonObject> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      JsonObject f = client.next();
      assertEquals("Notification", f.getString("type"), "frame " + i + " of " + count + ": " + f.encode());
      out.add(f);
    }
    return out;
  }

  /** Every Notification frame until the client stays quiet for {@link #QUIET}; any other frame fails. */
  static List<JsonObject> drainNotifications(WsClient client) {
    List<JsonObject> out = new ArrayList<>();
    while (true) {
      JsonObject f;
      try {
        f = client.next(QUIET);
      } catch (AssertionError quiet) {
        return out;
      }
      assertEquals("Notification", f.getString("type"), f.encode());
      out.add(f);
    }
  }

  static List<Long> offsets(List<JsonObject> frames) {
    List<Long> out = new ArrayList<>();
    frames.forEach(f -> out.add(f.getLong("offset")));
    return out;
  }

  static List<String> messages(JsonArray notifications) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < notifications.size(); i++) {
      out.add(notifications.getJsonObject(i).getString("message"));
    }
    return out;
  }

  static JsonObject getUnread(WsClient client, int limit) {
    client.send(new JsonObject().put("type", "GetUnread").put("limit", limit));
    JsonObject reply = client.next();
    assertEquals("Unread", reply.getString("type"), reply.encode());
    return reply;
  }

  private static String prefix(TestNode n) {
    return n.nodeOptions().state().getRedisKeyPrefix();
  }

  /** Waits until the user has no session left in Redis (the close was processed). */
  private static void awaitOffline(TestNode n, String user) {
    Await.until(() -> exists(prefix(n) + ":sessions:" + user) == 0, WAIT, "user " + user + " offline in Redis");
  }

  private static long historyLength(TestNode n, String user) {
    return send(redis, Command.XLEN, prefix(n) + ":history:" + user).toLong();
  }

  private static long countKeys(String pattern, String user) {
    long n = 0;
    String cursor = "0";
    do {
      Response page = send(redis, Command.SCAN, cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = page.get(0).toString();
      for (Response key : page.get(1)) {
        String json = get(key.toString());
        if (json != null && user.equals(new JsonObject(json).getString("user_id"))) {
          n++;
        }
      }
    } while (!"0".equals(cursor));
    return n;
  }

  static String metricsKey(String prefix, Instant at) {
    return prefix + ":metrics:" + DateTimeFormatter.ofPattern("yyyy-MM-dd:HH").withZone(ZoneOffset.UTC).format(at);
  }

  private static long llen(String key) {
    return send(redis, Command.LLEN, key).toLong();
  }

  private static long zcard(String key) {
    return send(redis, Command.ZCARD, key).toLong();
  }

  private static long exists(String key) {
    return send(redis, Command.EXISTS, key).toLong();
  }

  private static long ttl(String key) {
    return send(redis, Command.TTL, key).toLong();
  }

  private static String get(String key) {
    Response r = send(redis, Command.GET, key);
    return r == null ? null : r.toString();
  }

  private static Set<String> smembers(String key) {
    Set<String> out = new HashSet<>();
    send(redis, Command.SMEMBERS, key).forEach(r -> out.add(r.toString()));
    return out;
  }

  static Response send(Redis client, Command command, Object... args) {
    Request request = Request.cmd(command);
    for (Object arg : args) {
      request.arg(arg.toString());
    }
    return Await.result(client.send(request), WAIT, "redis " + command);
  }
}
