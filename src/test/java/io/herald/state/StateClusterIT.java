package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.ClusterFleet;
import io.herald.testkit.RedisTestKeys;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.RawWsClient;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.nats.client.Nats;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redis state across a fleet of three clustered nodes (A, B, C) in this JVM, sharing one Redis key prefix,
 * NATS subject and queue group, and Redis channel prefix: the fleet-wide per-user limit under a race, recovery
 * after a reconnect to another node, history written once per notification whatever the ingress, the inbox
 * across devices on different nodes, and the offline queue delivered by another node than the one that queued.
 */
class StateClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration QUIET = Duration.ofMillis(500);
  private static final int MAX_PER_USER = 4;

  private static HeraldOptions base;
  private static String prefix;
  private static TestNode a;
  private static TestNode b;
  private static TestNode c;
  private static final List<TestNode> fleet = new CopyOnWriteArrayList<>();

  private static io.nats.client.Connection nats;
  private static Vertx clientVertx;
  /** Own HTTP client for publishing (see ClusterIT#publish for why not TestNode.publish). */
  private static HttpClient http;
  private static Redis redis;

  @BeforeAll
  static void startFleet() throws Exception {
    nats = Nats.connect(TestNode.NATS_URL);
    clientVertx = Vertx.vertx();
    http = clientVertx.createHttpClient();
    redis = Redis.createClient(clientVertx, TestNode.REDIS_URL);
    base = TestNode.options()
        .cluster(cluster -> cluster.setCluster(true))
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL))
        .limits(limits -> limits.setMaxConnectionsPerUser(MAX_PER_USER))
        .state(state -> state.setInitialState(true))
        .auth(auth -> auth.setAuthTimeoutSecs(2));
    prefix = base.state().getRedisKeyPrefix();
    fleet.addAll(ClusterFleet.start(base, "A", "B", "C"));
    a = fleet.get(0);
    b = fleet.get(1);
    c = fleet.get(2);
  }

  @AfterAll
  static void stopFleet() throws Exception {
    try {
      ClusterFleet.closeOneByOne(fleet);
    } finally {
      try {
        if (redis != null && prefix != null) {
          RedisTestKeys.deleteKeys(redis, prefix);
        }
      } finally {
        if (nats != null) {
          nats.close();
        }
        if (redis != null) {
          redis.close();
        }
        if (clientVertx != null) {
          clientVertx.close().await(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  // ---------------------------------------------------------------- tests

  @Test
  void thePerUserLimitHoldsFleetWideWhenManyConnectsRaceOnTwoNodes() throws Exception {
    String user = unique("race");
    List<WsClient> clients = new ArrayList<>();
    List<WsClient> admitted = new ArrayList<>();
    try {
      for (int i = 0; i < 16; i++) {
        clients.add((i % 2 == 0 ? a : b).open());
      }
      // All 16 Authenticate frames leave at the same moment, half to A and half to B.
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        CountDownLatch ready = new CountDownLatch(16);
        CountDownLatch go = new CountDownLatch(1);
        List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          WsClient client = clients.get(i);
          String token = (i % 2 == 0 ? a : b).token(user);
          sends.add(pool.submit(() -> {
            ready.countDown();
            go.await(5, TimeUnit.SECONDS);
            client.send(authenticate(token, "Dashboard"));
            return null;
          }));
        }
        assertTrue(ready.await(5, TimeUnit.SECONDS));
        go.countDown();
        for (java.util.concurrent.Future<?> f : sends) {
          f.get(10, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }

      int refused = 0;
      for (WsClient client : clients) {
        JsonObject first = client.next(WAIT);
        if ("Authenticated".equals(first.getString("type"))) {
          admitted.add(client);
        } else {
          assertEquals("Error", first.getString("type"), first::encode);
          assertEquals("connection_limit", first.getString("code"), first::encode);
          CloseInfo info = client.awaitClose(Duration.ofSeconds(5));
          assertEquals(4029, info.codeOr1006(), "refused connection closed with " + info);
          refused++;
        }
      }
      assertEquals(MAX_PER_USER, admitted.size(), "connections admitted fleet-wide");
      assertEquals(16 - MAX_PER_USER, refused, "connections refused");
      assertEquals(MAX_PER_USER, redisLong(Request.cmd(Command.SCARD).arg(sessionsKey(user))),
          "connection ids in " + sessionsKey(user));
      // The nodes' own registries count only the admitted connections (refusals are released there too).
      awaitNodeConnections(MAX_PER_USER);

      // Two leave: two new connections (one per node) are admitted, a third is refused again.
      admitted.remove(0).close();
      admitted.remove(0).close();
      Await.until(() -> redisLong(Request.cmd(Command.SCARD).arg(sessionsKey(user))) == MAX_PER_USER - 2, WAIT,
          "the two closed connections removed from " + sessionsKey(user));
      admitted.add(a.connect(user));
      admitted.add(b.connect(user));
      try (WsClient extra = b.open()) {
        extra.send(authenticate(b.token(user), "iOS"));
        JsonObject error = extra.next(WAIT);
        assertEquals("connection_limit", error.getString("code"), error::encode);
        assertEquals(4029, extra.awaitClose(Duration.ofSeconds(5)).codeOr1006());
      }
      assertEquals(MAX_PER_USER, redisLong(Request.cmd(Command.SCARD).arg(sessionsKey(user))));
      awaitNodeConnections(MAX_PER_USER);
    } finally {
      clients.forEach(WsClient::close);
      admitted.forEach(WsClient::close);
    }
    Await.until(() -> redisLong(Request.cmd(Command.EXISTS).arg(sessionsKey(user))) == 0, WAIT,
        sessionsKey(user) + " gone with the last connection");
  }

  @Test
  void connectionsDroppedWhileAuthenticatingLeaveNoSessionOrAdmissionBehind() {
    String user = unique("drop");
    // Each client sends Authenticate and drops at once: the server learns of the close while it is still
    // admitting the connection (node registry, then the fleet-wide session in Redis).
    for (int i = 0; i < 2 * MAX_PER_USER; i++) {
      TestNode node = i % 2 == 0 ? a : b;
      RawWsClient raw = RawWsClient.connect(clientVertx, node.port(), "/ws", Map.of());
      raw.sendText(authenticate(node.token(user), "Dashboard").encode());
      raw.close();
    }
    // What was taken for them is given back: no session and no node admission stays behind...
    long[] quietSince = {0};
    Await.until(() -> {
      if (nodeConnections() != 0 || redisLong(Request.cmd(Command.SCARD).arg(sessionsKey(user))) != 0) {
        quietSince[0] = 0;
        return false;
      }
      if (quietSince[0] == 0) {
        quietSince[0] = System.nanoTime();
      }
      return System.nanoTime() - quietSince[0] > QUIET.toNanos();
    }, WAIT, "no session of " + user + " and no admitted connection left for " + QUIET.toMillis() + " ms");
    // ...and the user can still open its full share of connections.
    List<WsClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_PER_USER; i++) {
        clients.add((i % 2 == 0 ? b : a).connect(user));
      }
      assertEquals(MAX_PER_USER, redisLong(Request.cmd(Command.SCARD).arg(sessionsKey(user))),
          "connection ids in " + sessionsKey(user));
      awaitNodeConnections(MAX_PER_USER);
    } finally {
      clients.forEach(WsClient::close);
    }
    awaitNodeConnections(0);
    Await.until(() -> redisLong(Request.cmd(Command.EXISTS).arg(sessionsKey(user))) == 0, WAIT,
        sessionsKey(user) + " gone with the last connection");
  }

  @Test
  void aUsersNotificationsEnteringThroughThreeNodesAtOnceArriveInOffsetOrder() throws Exception {
    String user = unique("order");
    int perNode = 40;
    List<TestNode> entries = List.of(a, b, c);
    try (WsClient onA = a.connect(user)) {
      // Three publishers, one per node, at the same moment: each node appends (the store hands out consecutive
      // offsets) and publishes on its own, so the copies reach A's connection in whatever order the fleet makes.
      ExecutorService pool = Executors.newFixedThreadPool(entries.size());
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<java.util.concurrent.Future<?>> publishers = new ArrayList<>();
        for (TestNode entry : entries) {
          publishers.add(pool.submit(() -> {
            start.await();
            for (int i = 0; i < perNode; i++) {
              publish(entry, new JsonObject().put("user_id", user).put("message", "order " + i));
            }
            return null;
          }));
        }
        start.countDown();
        for (java.util.concurrent.Future<?> publisher : publishers) {
          publisher.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      List<Long> offsets = new ArrayList<>();
      for (int i = 0; i < perNode * entries.size(); i++) {
        offsets.add(onA.awaitType("Notification", WAIT).getLong("offset"));
      }
      for (int i = 1; i < offsets.size(); i++) {
        assertEquals(offsets.get(i - 1) + 1, offsets.get(i), "offsets in order and without a gap: " + offsets);
      }
      onA.assertNoFrame(Duration.ofMillis(300));
    }
  }

  @Test
  void aClientReconnectingToAnotherNodeRecoversEveryMissedNotificationOnceInOrder() throws Exception {
    String user = unique("recover");
    List<JsonObject> seen = new ArrayList<>();
    Set<String> published = new LinkedHashSet<>();

    // Phase 1: connected to A, a stream arrives through B's HTTP API and NATS.
    String epoch;
    long lastOffset;
    try (WsClient onA = a.connect(user)) {
      Set<String> phase1 = new LinkedHashSet<>();
      phase1.addAll(publishHttp(b, user, "live1-http", 10));
      phase1.addAll(publishNats(user, "live1-nats", 10));
      List<JsonObject> got = receiveNotifications(onA, phase1.size());
      assertEquals(phase1, new HashSet<>(ids(got)));
      seen.addAll(got);
      published.addAll(phase1);
      epoch = got.get(0).getString("epoch");
      assertNotNull(epoch, "notification frames carry the user stream's epoch: " + got.get(0).encode());
      for (JsonObject frame : got) {
        assertEquals("user", frame.getString("stream"), frame::encode);
        assertEquals(epoch, frame.getString("epoch"), frame::encode);
      }
      lastOffset = got.stream().mapToLong(f -> f.getLong("offset")).max().orElseThrow();
      assertEquals(20, lastOffset);
    }
    // The user is now offline everywhere: what follows also goes to the offline queue.
    Await.until(() -> redisLong(Request.cmd(Command.EXISTS).arg(sessionsKey(user))) == 0, WAIT,
        "the session of the closed connection removed");

    // Phase 2, the gap: 20 notifications through A, B and NATS, each going to history once.
    Set<String> gap = new LinkedHashSet<>();
    gap.addAll(publishHttp(a, user, "gap-http-a", 7));
    gap.addAll(publishHttp(b, user, "gap-http-b", 7));
    gap.addAll(publishNats(user, "gap-nats", 6));
    Await.until(() -> redisLong(Request.cmd(Command.XLEN).arg(historyKey(user))) == 40, WAIT,
        "40 entries in " + historyKey(user));
    Await.until(() -> redisLong(Request.cmd(Command.LLEN).arg(queueKey(user))) == 20, WAIT,
        "the 20 notifications of the gap in the offline queue");
    published.addAll(gap);

    // Phase 3: reconnect to B with the last position seen.
    try (WsClient onB = b.open()) {
      onB.send(authenticate(b.token(user), "iOS").put("epoch", epoch).put("last_offset", lastOffset));
      JsonObject authenticated = onB.next(WAIT);
      assertEquals("Authenticated", authenticated.getString("type"), authenticated::encode);
      assertEquals(Boolean.TRUE, authenticated.getBoolean("recovered"), authenticated::encode);
      assertEquals(epoch, authenticated.getString("epoch"), authenticated::encode);
      assertEquals(40L, authenticated.getLong("offset"), authenticated::encode);
      assertEquals("B", authenticated.getString("node_id"));

      List<JsonObject> missed = receiveNotifications(onB, gap.size());
      assertEquals(gap, new HashSet<>(ids(missed)), "the replay holds exactly the notifications of the gap");
      List<Long> missedOffsets = missed.stream().map(f -> f.getLong("offset")).collect(Collectors.toList());
      assertEquals(LongRange.of(21, 40), missedOffsets, "the replay comes in offset order");
      seen.addAll(missed);
      // The offline queue was taken (its copies are the replayed ones: they must not come again).
      Await.until(() -> redisLong(Request.cmd(Command.EXISTS).arg(queueKey(user))) == 0, WAIT,
          "the offline queue taken by the reconnecting client");

      // Phase 4: live delivery continues.
      Set<String> live = new LinkedHashSet<>();
      live.addAll(publishHttp(a, user, "live2-http-a", 4));
      live.addAll(publishHttp(b, user, "live2-http-b", 3));
      live.addAll(publishNats(user, "live2-nats", 3));
      List<JsonObject> got = receiveNotifications(onB, live.size());
      assertEquals(live, new HashSet<>(ids(got)));
      seen.addAll(got);
      published.addAll(live);
      assertNoMoreNotifications(onB);
    }

    List<Long> offsets = seen.stream().map(f -> f.getLong("offset")).sorted().collect(Collectors.toList());
    assertEquals(LongRange.of(1, 50), offsets, "offsets seen over both connections: contiguous from 1, no duplicate");
    List<String> seenIds = seen.stream().map(f -> f.getString("id")).collect(Collectors.toList());
    assertEquals(published.size(), seenIds.size());
    assertEquals(published, new HashSet<>(seenIds), "every notification seen exactly once");
    for (JsonObject frame : seen) {
      assertEquals(epoch, frame.getString("epoch"), frame::encode);
    }
  }

  @Test
  void eachNotificationIsWrittenToHistoryOnceWhateverTheIngressAndHowManyNodesSawIt() throws Exception {
    awaitRedisSubscribers();
    String offline = unique("once-off");
    String online = unique("once-on");
    try (WsClient onC = c.connect(online)) {
      assertEquals("InitialState", onC.next(WAIT).getString("type"));
      for (String user : List.of(offline, online)) {
        Set<String> expected = new LinkedHashSet<>();
        for (int i = 0; i < 15; i++) {
          String id = "redis-" + i + "-" + user;
          expected.add(id);
          // Every node is subscribed and records the message: the idempotent append keeps one entry.
          assertEquals(fleet.size(), redisLong(Request.cmd(Command.PUBLISH).arg(base.ingress().getRedisChannelPrefix() + ":user:" + user)
                  .arg(new JsonObject().put("id", id).put("userId", user).put("type", "SYSTEM")
                      .put("payload", new JsonObject().put("message", "redis " + i)).encode())),
              "a Redis message is seen by every node of the fleet");
        }
        expected.addAll(publishNats(user, "nats", 15));
        expected.addAll(publishHttp(c, user, "http", 5));
        int n = expected.size();
        Await.until(() -> redisLong(Request.cmd(Command.XLEN).arg(historyKey(user))) >= n, WAIT,
            n + " entries in " + historyKey(user));
        if (user.equals(online)) {
          List<JsonObject> got = receiveNotifications(onC, n);
          assertEquals(expected, new HashSet<>(ids(got)));
          assertEquals(LongRange.of(1, n), got.stream().map(f -> f.getLong("offset")).sorted()
              .collect(Collectors.toList()));
          assertNoMoreNotifications(onC);
        } else {
          onC.assertNoFrame(QUIET);
        }
        assertEquals(n, redisLong(Request.cmd(Command.XLEN).arg(historyKey(user))),
            "history entries of " + user + " (a notification written twice would show here)");
        List<String> historyIds = historyIds(user);
        assertEquals(n, historyIds.size());
        assertEquals(expected, new HashSet<>(historyIds), "each notification once in " + historyKey(user));
        assertEquals(n, redisLong(Request.cmd(Command.ZCARD).arg(prefix + ":unread:" + user)),
            "unread entries of " + user);
        assertEquals(user.equals(offline) ? n : 0, redisLong(Request.cmd(Command.LLEN).arg(queueKey(user))),
            "offline queue of " + user);
      }
    }
  }

  @Test
  void markReadOnOneNodeUpdatesEveryDeviceOnEveryNodeAndTheUnreadCount() {
    String user = unique("inbox");
    try (WsClient onA = a.connectWithToken(a.token(user), "Dashboard");
         WsClient onB = b.connectWithToken(b.token(user), "iOS")) {
      for (WsClient client : List.of(onA, onB)) {
        JsonObject initial = client.next(WAIT);
        assertEquals("InitialState", initial.getString("type"), initial::encode);
        assertEquals(0, initial.getInteger("unread_count"), initial::encode);
      }
      List<String> ids = new ArrayList<>(publishHttp(c, user, "inbox", 3));
      List<JsonObject> gotA = receiveNotifications(onA, 3);
      List<JsonObject> gotB = receiveNotifications(onB, 3);
      assertEquals(new HashSet<>(ids), new HashSet<>(ids(gotA)));
      assertEquals(new HashSet<>(ids), new HashSet<>(ids(gotB)));
      Await.until(() -> redisLong(Request.cmd(Command.ZCARD).arg(prefix + ":unread:" + user)) == 3, WAIT,
          "3 unread notifications stored");

      String read = ids.get(1);
      onA.send(new JsonObject().put("type", "MarkRead").put("notification_id", read));
      for (WsClient client : List.of(onA, onB)) {
        JsonObject updated = client.next(WAIT);
        assertEquals("NotificationUpdated", updated.getString("type"), updated::encode);
        assertEquals(read, updated.getString("notification_id"), updated::encode);
        assertEquals(Boolean.TRUE, updated.getBoolean("read"), updated::encode);
      }
      onA.assertNoFrame(QUIET);
      onB.assertNoFrame(Duration.ofMillis(50));

      onB.send(new JsonObject().put("type", "GetUnread").put("limit", 10));
      JsonObject unread = onB.next(WAIT);
      assertEquals("Unread", unread.getString("type"), unread::encode);
      assertEquals(2, unread.getInteger("count"), unread::encode);
      Set<String> unreadIds = unread.getJsonArray("notifications").stream()
          .map(n -> ((JsonObject) n).getString("id")).collect(Collectors.toSet());
      assertEquals(Set.of(ids.get(0), ids.get(2)), unreadIds, unread::encode);

      // A third device, on the third node, starts from the same state.
      try (WsClient onC = c.connectWithToken(c.token(user), "Android")) {
        JsonObject initial = onC.next(WAIT);
        assertEquals("InitialState", initial.getString("type"), initial::encode);
        assertEquals(2, initial.getInteger("unread_count"), initial::encode);
        Set<String> initialIds = initial.getJsonArray("notifications").stream()
            .map(n -> ((JsonObject) n).getString("id")).collect(Collectors.toSet());
        assertFalse(initialIds.contains(read), initial::encode);
      }
    }
  }

  @Test
  void theOfflineQueueFilledThroughOneNodeIsDeliveredOnceInOrderByAnother() {
    String user = unique("queue");
    List<String> ids = new ArrayList<>(publishHttp(a, user, "offline", 5));
    Await.until(() -> redisLong(Request.cmd(Command.LLEN).arg(queueKey(user))) == 5, WAIT,
        "5 notifications in " + queueKey(user));

    try (WsClient onB = b.connect(user)) {
      JsonObject initial = onB.next(WAIT);
      assertEquals("InitialState", initial.getString("type"), initial::encode);
      assertEquals(5, initial.getInteger("unread_count"), initial::encode);
      List<JsonObject> got = receiveNotifications(onB, 5);
      assertEquals(ids, ids(got), "queued notifications delivered in order");
      assertEquals(LongRange.of(1, 5), got.stream().map(f -> f.getLong("offset")).collect(Collectors.toList()),
          "queued notifications carry their positions");
      assertNoMoreNotifications(onB);
      assertEquals(0, redisLong(Request.cmd(Command.EXISTS).arg(queueKey(user))), "the queue is taken");
    }
    // Taken once: a later connection gets nothing from the queue.
    try (WsClient again = c.connect(user)) {
      assertEquals("InitialState", again.next(WAIT).getString("type"));
      again.assertNoFrame(QUIET);
    }
  }

  // ---------------------------------------------------------------- protocol helpers

  private static JsonObject authenticate(String token, String device) {
    return new JsonObject().put("type", "Authenticate").put("token", token).put("device", device);
  }

  /**
   * The next {@code n} Notification frames, in arrival order; one InitialState frame may come among them and is
   * skipped, any other frame fails.
   */
  private static List<JsonObject> receiveNotifications(WsClient client, int n) {
    List<JsonObject> got = new ArrayList<>();
    int initialStates = 0;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (got.size() < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("received " + got.size() + " of " + n + " notifications: " + ids(got));
      }
      JsonObject frame;
      try {
        frame = client.next(Duration.ofNanos(left));
      } catch (AssertionError none) {
        throw new AssertionError("received " + got.size() + " of " + n + " notifications: " + ids(got), none);
      }
      String type = frame.getString("type");
      if ("Notification".equals(type)) {
        got.add(frame);
      } else if ("InitialState".equals(type) && initialStates == 0) {
        initialStates++;
      } else {
        throw new AssertionError("unexpected frame while receiving notifications: " + frame.encode());
      }
    }
    return got;
  }

  private static void assertNoMoreNotifications(WsClient client) {
    client.assertNoFrame(QUIET);
  }

  private static List<String> ids(List<JsonObject> frames) {
    return frames.stream().map(f -> f.getString("id")).collect(Collectors.toList());
  }

  private static Set<String> publishHttp(TestNode node, String user, String phase, int n) {
    Set<String> ids = new LinkedHashSet<>();
    JsonArray batch = new JsonArray();
    for (int i = 0; i < n; i++) {
      String id = phase + "-" + i + "-" + user;
      ids.add(id);
      batch.add(new JsonObject().put("user_id", user).put("id", id).put("message", phase + " " + i));
    }
    assertEquals(n, publish(node, batch).getJsonArray("ids").size());
    return ids;
  }

  private static Set<String> publishNats(String user, String phase, int n) {
    Set<String> ids = new LinkedHashSet<>();
    for (int i = 0; i < n; i++) {
      String id = phase + "-" + i + "-" + user;
      ids.add(id);
      nats.publish(base.ingress().getNatsSubject(), new JsonObject().put("user_id", user).put("id", id)
          .put("message", phase + " " + i).encode().getBytes(StandardCharsets.UTF_8));
    }
    try {
      nats.flush(Duration.ofSeconds(5));
    } catch (Exception e) {
      throw new AssertionError("NATS flush failed", e);
    }
    return ids;
  }

  /** POSTs to the node's HTTP ingress and asserts 202 (body() read inside send()'s callback: no race). */
  private static JsonObject publish(TestNode node, Object notificationOrArray) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.port()).setURI("/api/v1/notifications")
        .putHeader("Content-Type", "application/json").putHeader("Authorization", "Bearer " + TestNode.API_KEY);
    Buffer body = Buffer.buffer(Json.encode(notificationOrArray));
    TestNode.HttpResult result = Await.result(http.request(request)
            .compose(req -> req.send(body)
                .compose(resp -> resp.body().map(bd -> new TestNode.HttpResult(resp.statusCode(), bd.toString())))),
        WAIT, "POST /api/v1/notifications to node " + node.node().nodeId());
    assertEquals(202, result.status(), result::body);
    return result.json();
  }

  private static JsonObject health(TestNode node) {
    TestNode.HttpResult result = Await.result(http.request(HttpMethod.GET, node.port(), "127.0.0.1", "/health")
            .compose(req -> req.send()
                .compose(resp -> resp.body().map(bd -> new TestNode.HttpResult(resp.statusCode(), bd.toString())))),
        WAIT, "GET /health of node " + node.node().nodeId());
    return result.json();
  }

  /** The authenticated connections counted by the nodes' registries, all nodes together. */
  private static int nodeConnections() {
    return fleet.stream().mapToInt(n -> health(n).getInteger("connections")).sum();
  }

  /** Waits until the authenticated connections counted by the nodes' registries add up to {@code expected}. */
  private static void awaitNodeConnections(int expected) {
    List<String> last = new CopyOnWriteArrayList<>();
    try {
      Await.until(() -> {
        last.clear();
        int total = 0;
        for (TestNode n : fleet) {
          int count = health(n).getInteger("connections");
          last.add(n.node().nodeId() + "=" + count);
          total += count;
        }
        return total == expected;
      }, WAIT, expected + " connections in the nodes' registries");
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + " (last counts: " + last + ")", e);
    }
  }

  /** Waits until every node reports its Redis subscription done. */
  private static void awaitRedisSubscribers() {
    Await.until(() -> fleet.stream().allMatch(n -> {
      JsonObject redisDep = health(n).getJsonObject("dependencies").getJsonObject("redis");
      return "subscriber".equals(redisDep.getString("role")) && redisDep.getBoolean("subscribed");
    }), WAIT, "every node subscribed to Redis");
  }

  // ---------------------------------------------------------------- Redis helpers

  private static String sessionsKey(String user) {
    return prefix + ":sessions:" + user;
  }

  private static String historyKey(String user) {
    return prefix + ":history:" + user;
  }

  private static String queueKey(String user) {
    return prefix + ":queue:" + user;
  }

  private static long redisLong(Request request) {
    Response r = Await.result(redis.send(request), WAIT, "Redis " + request.command());
    return r == null ? 0 : r.toLong();
  }

  /** The notification ids of the user's history stream, oldest first. */
  private static List<String> historyIds(String user) {
    Response entries = Await.result(redis.send(Request.cmd(Command.XRANGE).arg(historyKey(user)).arg("-").arg("+")),
        WAIT, "XRANGE " + historyKey(user));
    List<String> ids = new ArrayList<>();
    for (Response entry : entries) {
      Response fields = entry.get(1);
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        if ("n".equals(fields.get(i).toString())) {
          ids.add(new JsonObject(fields.get(i + 1).toString()).getString("id"));
        }
      }
    }
    return ids;
  }

  // ---------------------------------------------------------------- fleet helpers (as in ClusterIT)


  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Contiguous offsets from..to as a list, for readable assertion messages. */
  private static final class LongRange {
    static List<Long> of(long from, long to) {
      List<Long> list = new ArrayList<>();
      for (long i = from; i <= to; i++) {
        list.add(i);
      }
      return list;
    }
  }
}
