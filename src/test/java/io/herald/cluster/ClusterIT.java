package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.multimap.MultiMap;
import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.ClusterFleet;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.nats.client.Nats;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A fleet of three clustered nodes (A, B, C) in this JVM, on the shared Redis and NATS: every notification
 * reaches every connection it targets exactly once whichever node takes it in and whichever node holds the
 * connection; consumers leave the cluster subscription table with their last connection; every node subscribes to
 * Redis, and a node stopping loses no Redis message for the others' connections nor shows one twice; a node
 * stopping gracefully does not disturb the others' delivery.
 *
 * <p>A fourth node D joins the first fleet late, knowing only A's address, and leaves again before the tests
 * that follow. The Redis-subscription test runs on a second fleet of its own (D, E, F); the graceful-shutdown test
 * stops A and therefore runs last on the first fleet.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Duration ROUTE_WAIT = Duration.ofSeconds(10);
  private static final Duration QUIET = Duration.ofMillis(500);
  private static final String PROBE = "route probe";
  private static final String TOPIC = "news";

  /** Own client (not TestNode.publish): see {@link #publish}. */
  private static HttpClient http;
  private static HeraldOptions base;
  private static TestNode a;
  private static TestNode b;
  private static TestNode c;
  /** Nodes of the first fleet still running, in start order. */
  private static final List<TestNode> live = new CopyOnWriteArrayList<>();

  private static io.nats.client.Connection nats;
  private static Vertx clientVertx;
  private static Redis redis;

  @BeforeAll
  static void startFleet() throws Exception {
    nats = Nats.connect(TestNode.NATS_URL);
    clientVertx = Vertx.vertx();
    http = clientVertx.createHttpClient();
    redis = Redis.createClient(clientVertx, TestNode.REDIS_URL);
    base = fleetOptions();
    List<TestNode> fleet = ClusterFleet.start(base, "A", "B", "C");
    a = fleet.get(0);
    b = fleet.get(1);
    c = fleet.get(2);
    live.addAll(fleet);
    awaitRedisSubscribers(live);
  }

  @AfterAll
  static void stopFleet() throws Exception {
    try {
      ClusterFleet.closeOneByOne(live);
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

  // ---------------------------------------------------------------- tests

  @Test
  @Order(1)
  void eachConnectionReceivesEachNotificationOnceWhateverTheIngress() throws Exception {
    String user = unique("u1");
    try (WsClient client = c.connect(user)) {
      awaitRoutes(live, new JsonObject().put("user_id", user), client);
      Set<String> expected = new LinkedHashSet<>();

      // NATS: the queue group gives each message to one node, which publishes it cluster-wide.
      for (int i = 0; i < 200; i++) {
        String id = "nats-" + i + "-" + user;
        expected.add(id);
        nats.publish(base.ingress().getNatsSubject(), new JsonObject().put("user_id", user).put("id", id)
            .put("message", "nats " + i).encode().getBytes(StandardCharsets.UTF_8));
      }
      nats.flush(Duration.ofSeconds(5));

      // Redis: every node is subscribed (PUBLISH reports how many subscriptions got the message); each records and
      // publishes the message, and the client must still get it once.
      List<Request> publishes = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String id = "redis-" + i + "-" + user;
        expected.add(id);
        publishes.add(Request.cmd(Command.PUBLISH).arg(base.ingress().getRedisChannelPrefix() + ":user:" + user)
            .arg(new JsonObject().put("id", id).put("userId", user).put("type", "SYSTEM")
                .put("payload", new JsonObject().put("message", "redis " + i)).encode()));
      }
      List<Response> receivers = Await.result(redis.batch(publishes), WAIT, "200 Redis PUBLISH");
      for (Response r : receivers) {
        assertEquals(live.size(), r.toLong(), "every node of the fleet takes every Redis message");
      }

      // HTTP on B, in batches of 50.
      for (int batch = 0; batch < 4; batch++) {
        JsonArray array = new JsonArray();
        for (int i = batch * 50; i < batch * 50 + 50; i++) {
          String id = "http-" + i + "-" + user;
          expected.add(id);
          array.add(new JsonObject().put("user_id", user).put("id", id).put("message", "http " + i));
        }
        assertEquals(50, publish(b, array).getJsonArray("ids").size());
      }

      assertEquals(600, expected.size());
      receiveExactly(expected, client);
    }
  }

  @Test
  @Order(2)
  void everyDeviceOfAUserOnDifferentNodesReceivesEachNotificationOnce() {
    String user = unique("u2");
    try (WsClient onA = a.connectWithToken(a.token(user), "Dashboard");
         WsClient onB = b.connectWithToken(b.token(user), "iOS")) {
      awaitRoutes(List.of(c), new JsonObject().put("user_id", user), onA, onB);
      Set<String> expected = new LinkedHashSet<>();
      for (int i = 0; i < 100; i++) {
        String id = "multi-" + i + "-" + user;
        expected.add(id);
        publish(c, new JsonObject().put("user_id", user).put("id", id).put("message", "n " + i));
      }
      receiveExactly(expected, onA, onB);
    }
  }

  @Test
  @Order(3)
  void topicSubscribersAndTheTenantBroadcastReceiveEachNotificationOnceOnEveryNode() throws Exception {
    try (WsClient onA = a.connect(unique("t3a"));
         WsClient onB = b.connect(unique("t3b"));
         WsClient onC = c.connect(unique("t3c"))) {
      for (WsClient client : List.of(onA, onB, onC)) {
        JsonObject ack = TestNode.subscribe(client, new JsonObject().put("topics", new JsonArray().add(TOPIC)));
        assertEquals(new JsonArray().add(TOPIC), ack.getJsonArray("topics"));
      }
      awaitRoutes(live, new JsonObject().put("topic", TOPIC), onA, onB, onC);
      awaitRoutes(live, new JsonObject().put("broadcast", true), onA, onB, onC);

      Set<String> topicIds = new LinkedHashSet<>();
      Set<String> broadcastIds = new LinkedHashSet<>();
      JsonArray topicBatch = new JsonArray();
      JsonArray broadcastBatch = new JsonArray();
      List<Request> redisPublishes = new ArrayList<>();
      String prefix = base.ingress().getRedisChannelPrefix();
      for (int i = 0; i < 10; i++) {
        String httpTopic = unique("topic-http-" + i);
        String natsTopic = unique("topic-nats-" + i);
        String redisTopic = unique("topic-redis-" + i);
        String httpAll = unique("all-http-" + i);
        String natsAll = unique("all-nats-" + i);
        String redisAll = unique("all-redis-" + i);
        topicIds.addAll(List.of(httpTopic, natsTopic, redisTopic));
        broadcastIds.addAll(List.of(httpAll, natsAll, redisAll));
        topicBatch.add(new JsonObject().put("topic", TOPIC).put("id", httpTopic).put("message", "t"));
        broadcastBatch.add(new JsonObject().put("broadcast", true).put("id", httpAll).put("message", "all"));
        nats.publish(base.ingress().getNatsSubject(), new JsonObject().put("topic", TOPIC).put("id", natsTopic)
            .put("message", "t").encode().getBytes(StandardCharsets.UTF_8));
        nats.publish(base.ingress().getNatsSubject(), new JsonObject().put("broadcast", true).put("id", natsAll)
            .put("message", "all").encode().getBytes(StandardCharsets.UTF_8));
        redisPublishes.add(Request.cmd(Command.PUBLISH).arg(prefix + ":channel:" + TOPIC)
            .arg(new JsonObject().put("id", redisTopic).put("type", "SYSTEM")
                .put("payload", new JsonObject().put("message", "t")).encode()));
        redisPublishes.add(Request.cmd(Command.PUBLISH).arg(prefix + ":global")
            .arg(new JsonObject().put("id", redisAll).put("type", "SYSTEM")
                .put("payload", new JsonObject().put("message", "all")).encode()));
      }
      nats.flush(Duration.ofSeconds(5));
      publish(a, topicBatch);
      publish(b, broadcastBatch);
      for (Response r : Await.result(redis.batch(redisPublishes), WAIT, "Redis PUBLISH")) {
        assertEquals(live.size(), r.toLong(), "every node of the fleet takes every Redis message");
      }

      Set<String> expected = new LinkedHashSet<>(topicIds);
      expected.addAll(broadcastIds);
      for (List<JsonObject> frames : receiveExactly(expected, onA, onB, onC)) {
        for (JsonObject frame : frames) {
          if (topicIds.contains(frame.getString("id"))) {
            assertEquals(TOPIC, frame.getString("topic"), frame::encode);
          } else {
            assertFalse(frame.containsKey("topic"), frame::encode);
          }
        }
      }
    }
  }

  @Test
  @Order(4)
  void theLastConnectionOfAUserRemovesItsRegistrationsFromTheClusterTable() {
    String user = unique("u4");
    String address = "herald.user.default." + user;
    MultiMap<String, HazelcastRegistrationInfo> subs = hazelcast(c).getMultiMap("__vertx.subs");
    Set<String> nodesOfAAndB = Set.of(clusterNodeId(a), clusterNodeId(b));
    WsClient onA = a.connect(user);
    WsClient onB = b.connect(user);
    try {
      Await.until(() -> registrationNodes(subs.get(address)).equals(nodesOfAAndB), ROUTE_WAIT,
          "registrations of " + address + " from nodes A and B in __vertx.subs");
      WsClient onB2 = b.connectWithToken(b.token(user), "Android");
      onB2.close();
      onA.close();
      // B still holds one connection of the user: its registration must stay.
      Await.until(() -> registrationNodes(subs.get(address)).equals(Set.of(clusterNodeId(b))), ROUTE_WAIT,
          "only B's registration of " + address + " left after A's connection closed");
      onB.close();
      Await.until(() -> subs.get(address).isEmpty(), ROUTE_WAIT,
          "no registration of " + address + " left in __vertx.subs after every connection closed");
    } finally {
      onA.close();
      onB.close();
    }
  }

  @Test
  @Order(5)
  void aNodeThatJoinsLaterReceivesNotificationsForItsConnectionsWithNoChangeOnTheOthers() throws Exception {
    HazelcastInstance hzA = hazelcast(a);
    String clusterName = hzA.getConfig().getClusterName();
    int portOfA = hzA.getCluster().getLocalMember().getAddress().getPort();
    Set<String> configuredBefore = new HashSet<>();
    for (TestNode n : live) {
      configuredBefore.addAll(tcpIpMembers(n));
    }
    int portOfD = ClusterFleet.freePortRange(1);
    while (configuredBefore.contains("127.0.0.1:" + portOfD)) {
      portOfD = ClusterFleet.freePortRange(1);
    }
    Set<String> fleetBefore = new HashSet<>(((VertxInternal) a.vertx()).clusterManager().getNodes());

    // D knows A (and itself) only; A, B and C keep the configuration they started with.
    String membersOfD = "127.0.0.1:" + portOfA + ",127.0.0.1:" + portOfD;
    long t0 = System.nanoTime();
    Vertx vertxOfD = new ClusterSettings(clusterName, membersOfD, "127.0.0.1", portOfD, null)
        .startVertx(new VertxOptions()).await(60, TimeUnit.SECONDS);
    TestNode d = TestNode.start(new HeraldOptions(base).server(server -> server.setNodeId("D")), vertxOfD);
    boolean dRunning = true;
    String user = unique("u5");
    WsClient onB = null;
    WsClient onD = null;
    try {
      String idOfD = clusterNodeId(d);
      List<TestNode> withD = List.of(a, b, c, d);
      Await.until(() -> withD.stream().allMatch(n -> ((VertxInternal) n.vertx()).clusterManager().getNodes().size() == 4
              && ((VertxInternal) n.vertx()).clusterManager().getNodes().contains(idOfD)), Duration.ofSeconds(30),
          "4 members, D among them, seen by every node");
      System.out.printf("[ClusterIT] late node D joined through A only in %d ms%n", ms(t0));
      for (TestNode n : live) {
        assertFalse(tcpIpMembers(n).contains("127.0.0.1:" + portOfD),
            "node " + n.node().nodeId() + " was not configured with D: " + tcpIpMembers(n));
      }
      assertEquals(Set.of("127.0.0.1:" + portOfA, "127.0.0.1:" + portOfD), tcpIpMembers(d));
      // D subscribes to Redis like every node.
      awaitRedisSubscribers(withD);

      onD = d.connect(user);
      onB = b.connectWithToken(b.token(user), "iOS");
      awaitRoutes(List.of(a, b, c), new JsonObject().put("user_id", user), onD, onB);
      awaitRoutes(List.of(d), new JsonObject().put("user_id", user), onD, onB);

      Set<String> expected = publishThroughEachIngress(user, "joined", 20);
      receiveExactly(expected, onD, onB);

      // D leaves gracefully: its client is closed with 1001, the others go on as before.
      long t1 = System.nanoTime();
      dRunning = false;
      d.close();
      long stopMs = ms(t1);
      CloseInfo info = onD.awaitClose(Duration.ofSeconds(5));
      assertEquals(1001, info.codeOr1006(), "D's client must be closed with 1001: " + info);
      Await.until(() -> live.stream().allMatch(n -> new HashSet<>(((VertxInternal) n.vertx()).clusterManager()
          .getNodes()).equals(fleetBefore)), ROUTE_WAIT, "A, B and C back to the three of them after D left");
      System.out.printf("[ClusterIT] late node D stopped gracefully in %d ms%n", stopMs);
      awaitRedisSubscribers(live);

      Set<String> afterLeave = publishThroughEachIngress(user, "left", 20);
      receiveExactly(afterLeave, onB);
    } finally {
      if (onD != null) {
        onD.close();
      }
      if (onB != null) {
        onB.close();
      }
      if (dRunning) {
        d.close();
      }
    }
  }

  @Test
  @Order(6)
  void everyNodeSubscribesToRedisAndANodeStoppingLosesNoMessageForTheOthers() throws Exception {
    HeraldOptions options = fleetOptions();
    List<TestNode> fleet = new CopyOnWriteArrayList<>(ClusterFleet.start(options, "D", "E", "F"));
    try {
      awaitRedisSubscribers(fleet);
      TestNode leaving = fleet.get(0);
      TestNode survivor = fleet.get(1);
      String user = unique("u5");
      String channel = options.ingress().getRedisChannelPrefix() + ":user:" + user;
      try (WsClient client = survivor.connect(user)) {
        awaitRoutes(fleet, new JsonObject().put("user_id", user), client);
        settle(client);
        // Messages keep coming while a node stops: each PUBLISH reaches a subscribed node (three, then two), and
        // every one reaches the client once although each subscribed node records and publishes it.
        Set<String> published = Collections.synchronizedSet(new LinkedHashSet<>());
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> {
          for (int i = 0; !stop.get(); i++) {
            String id = "during-stop-" + i + "-" + user;
            long receivers = redisPublish(channel, id, "message " + i);
            assertTrue(receivers >= 2, "PUBLISH " + id + " reached " + receivers + " subscribers");
            published.add(id);
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
          }
        });
        try {
          Await.until(() -> published.size() >= 30, WAIT, "30 messages before the node stops");
          long t0 = System.nanoTime();
          fleet.remove(leaving);
          leaving.close();
          int atStop = published.size();
          Await.until(() -> published.size() >= atStop + 30, WAIT, "30 messages after the node stopped");
          System.out.printf("[ClusterIT] Redis subscriber %s stopped in %d ms while messages kept coming%n",
              leaving.node().nodeId(), ms(t0));
        } finally {
          stop.set(true);
          stream.join();
        }
        receiveExactly(new LinkedHashSet<>(published), client);
        // Without an id, every node derives the same one from the channel and the payload: once too.
        String body = new JsonObject().put("type", "SYSTEM").put("payload", new JsonObject().put("message", "no id"))
            .encode();
        assertEquals(2L, Await.result(redis.send(Request.cmd(Command.PUBLISH).arg(channel).arg(body)), WAIT,
            "PUBLISH without id").toLong());
        JsonObject frame = client.awaitType("Notification", WAIT);
        assertEquals("no id", frame.getString("message"));
        assertTrue(frame.getString("id").startsWith("r-"), frame.encode());
        client.assertNoFrame(Duration.ofMillis(500));
      }
    } finally {
      ClusterFleet.closeOneByOne(fleet);
    }
  }

  @Test
  @Order(7)
  void aNodeStoppingGracefullyClosesItsClientsWith1001AndDoesNotDisturbTheOthers() throws Exception {
    String leaving = unique("u6-leaving");
    String staying = unique("u6-staying");
    WsClient onA = a.connect(leaving);
    try (WsClient onC = c.connect(staying)) {
      awaitRoutes(List.of(b), new JsonObject().put("user_id", staying), onC);
      AtomicBoolean stop = new AtomicBoolean();
      List<String> published = new CopyOnWriteArrayList<>();
      CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> {
        for (int i = 0; !stop.get(); i++) {
          String id = "stream-" + i + "-" + staying;
          publish(b, new JsonObject().put("user_id", staying).put("id", id).put("message", "tick " + i));
          published.add(id);
          // About 200 notifications per second: a steady stream across the whole stop of A.
          java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
      });
      try {
        Await.until(() -> published.size() >= 50, WAIT, "50 notifications streamed before A stops");
        long t0 = System.nanoTime();
        int beforeStop = published.size();
        live.remove(a);
        a.close();
        int atStop = published.size();
        System.out.printf("[ClusterIT] node A stopped gracefully in %d ms; %d notifications published meanwhile%n",
            ms(t0), atStop - beforeStop);
        CloseInfo info = onA.awaitClose(Duration.ofSeconds(5));
        assertEquals(1001, info.codeOr1006(), "A's client must be closed with 1001: " + info);
        Await.until(() -> published.size() >= atStop + 50, WAIT, "50 more notifications streamed after A stopped");
      } finally {
        stop.set(true);
        stream.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      assertTrue(published.size() >= 100);
      receiveExactly(new LinkedHashSet<>(published), onC);
    } finally {
      onA.close();
    }
  }

  // ---------------------------------------------------------------- fleet helpers

  /** Options shared by every node of one fleet: same NATS subject and queue group, same Redis prefix. */
  private static HeraldOptions fleetOptions() {
    return TestNode.options()
        .cluster(cluster -> cluster.setCluster(true))
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL))
        .access(access -> access.setPublicTopics(List.of(TOPIC)));
  }

  private static HazelcastInstance hazelcast(TestNode node) {
    return ((HazelcastClusterManager) ((VertxInternal) node.vertx()).clusterManager()).getHazelcastInstance();
  }

  private static String clusterNodeId(TestNode node) {
    return ((VertxInternal) node.vertx()).clusterManager().getNodeId();
  }

  private static Set<String> registrationNodes(Collection<HazelcastRegistrationInfo> registrations) {
    return registrations.stream().map(r -> r.unwrap().nodeId()).collect(Collectors.toSet());
  }

  private static JsonObject redisHealth(TestNode node) {
    TestNode.HttpResult health = Await.result(http.request(HttpMethod.GET, node.port(), "127.0.0.1", "/health")
        .compose(req -> req.send()
            .compose(resp -> resp.body().map(b -> new TestNode.HttpResult(resp.statusCode(), b.toString())))),
        WAIT, "GET /health of node " + node.node().nodeId());
    return health.json().getJsonObject("dependencies").getJsonObject("redis");
  }

  /** Waits until every node of the fleet reports its Redis subscription done. */
  private static void awaitRedisSubscribers(List<TestNode> fleet) {
    List<String> roles = new CopyOnWriteArrayList<>();
    Await.until(() -> {
      roles.clear();
      boolean all = true;
      for (TestNode n : fleet) {
        JsonObject dep = redisHealth(n);
        roles.add(n.node().nodeId() + "=" + dep.encode());
        all &= "subscriber".equals(dep.getString("role")) && dep.getBoolean("subscribed");
      }
      return all;
    }, ROUTE_WAIT, "every node subscribed to Redis (last: " + roles + ")");
  }

  /**
   * POSTs a notification (object or array) to the node's HTTP ingress and asserts 202. Not
   * {@code TestNode.publish}: its {@code request().compose(send).compose(body)} chain, called from a
   * non-Vert.x thread, races with the response (vert.x #4705/#6038) and once in a while never completes — seen
   * here as a 10 s "POST timed out" while the server had answered 202 in 2 ms. Calling {@code body()} inside the
   * {@code send()} callback, on the connection's event loop, does not race.
   */
  private static JsonObject publish(TestNode node, Object notificationOrArray) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
        .setPort(node.port()).setURI("/api/v1/notifications")
        .putHeader("Content-Type", "application/json").putHeader("Authorization", "Bearer " + TestNode.API_KEY);
    Buffer body = Buffer.buffer(Json.encode(notificationOrArray));
    TestNode.HttpResult result = Await.result(http.request(request)
        .compose(req -> req.send(body)
            .compose(resp -> resp.body().map(b -> new TestNode.HttpResult(resp.statusCode(), b.toString())))),
        WAIT, "POST /api/v1/notifications to node " + node.node().nodeId());
    assertEquals(202, result.status(), result::body);
    return result.json();
  }

  /** The TCP-IP members the node was configured with, as host:port (a port-less entry as given). */
  private static Set<String> tcpIpMembers(TestNode node) {
    Set<String> members = new HashSet<>();
    for (String entry : hazelcast(node).getConfig().getNetworkConfig().getJoin().getTcpIpConfig().getMembers()) {
      for (String m : entry.split("[,;\\s]+")) {
        if (!m.isBlank()) {
          members.add(m.trim());
        }
      }
    }
    return members;
  }

  /**
   * Publishes {@code n} notifications to the user through A's HTTP API (one batch), NATS and Redis (each PUBLISH
   * taken by exactly one node); returns their ids.
   */
  private static Set<String> publishThroughEachIngress(String user, String phase, int n) throws Exception {
    Set<String> expected = new LinkedHashSet<>();
    JsonArray batch = new JsonArray();
    for (int i = 0; i < n; i++) {
      String id = phase + "-http-" + i + "-" + user;
      expected.add(id);
      batch.add(new JsonObject().put("user_id", user).put("id", id).put("message", "http " + i));
    }
    assertEquals(n, publish(a, batch).getJsonArray("ids").size());
    for (int i = 0; i < n; i++) {
      String id = phase + "-nats-" + i + "-" + user;
      expected.add(id);
      nats.publish(base.ingress().getNatsSubject(), new JsonObject().put("user_id", user).put("id", id)
          .put("message", "nats " + i).encode().getBytes(StandardCharsets.UTF_8));
    }
    nats.flush(Duration.ofSeconds(5));
    for (int i = 0; i < n; i++) {
      String id = phase + "-redis-" + i + "-" + user;
      expected.add(id);
      assertTrue(redisPublish(base.ingress().getRedisChannelPrefix() + ":user:" + user, id, "redis " + i) >= 1,
          "every Redis message must reach a subscribed node of the fleet");
    }
    return expected;
  }

  private static long redisPublish(String channel, String id, String message) {
    Response r = Await.result(redis.send(Request.cmd(Command.PUBLISH).arg(channel)
        .arg(new JsonObject().put("id", id).put("type", "SYSTEM")
            .put("payload", new JsonObject().put("message", message)).encode())), WAIT, "PUBLISH " + channel);
    return r.toLong();
  }

  // ---------------------------------------------------------------- delivery helpers

  /**
   * Publishes probes through the HTTP API of each given node until every client has received one from each:
   * the consumer registrations of the clients have then reached those nodes (a publish made before would be
   * dropped). Leftover probes are drained.
   */
  private static void awaitRoutes(List<TestNode> publishers, JsonObject target, WsClient... clients) {
    for (TestNode from : publishers) {
      Set<WsClient> waiting = Collections.newSetFromMap(new IdentityHashMap<>());
      waiting.addAll(List.of(clients));
      long deadline = System.nanoTime() + ROUTE_WAIT.toNanos();
      while (!waiting.isEmpty()) {
        if (System.nanoTime() - deadline > 0) {
          throw new AssertionError("consumer registrations for " + target.encode() + " did not reach node "
              + from.node().nodeId() + " within " + ROUTE_WAIT.toMillis() + " ms");
        }
        publish(from, target.copy().put("id", "probe-" + UUID.randomUUID()).put("message", PROBE));
        long roundEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(150);
        while (!waiting.isEmpty() && System.nanoTime() - roundEnd < 0) {
          for (Iterator<WsClient> it = waiting.iterator(); it.hasNext(); ) {
            JsonObject frame = poll(it.next(), Duration.ofMillis(10));
            if (frame != null) {
              assertTrue(isProbe(frame), "unexpected frame while probing: " + frame.encode());
              it.remove();
            }
          }
        }
      }
    }
    settle(clients);
  }

  /** Drains late probes until no client has received a frame for 300 ms; any other frame fails. */
  private static void settle(WsClient... clients) {
    long quietSince = System.nanoTime();
    while (System.nanoTime() - quietSince < TimeUnit.MILLISECONDS.toNanos(300)) {
      for (WsClient client : clients) {
        JsonObject frame = poll(client, Duration.ofMillis(10));
        if (frame != null) {
          assertTrue(isProbe(frame), "unexpected frame while settling: " + frame.encode());
          quietSince = System.nanoTime();
        }
      }
    }
  }

  private static boolean isProbe(JsonObject frame) {
    return "Notification".equals(frame.getString("type")) && PROBE.equals(frame.getString("message"));
  }

  /** The next frame, or null when none comes within the timeout. */
  private static JsonObject poll(WsClient client, Duration timeout) {
    try {
      return client.next(timeout);
    } catch (AssertionError none) {
      return null;
    }
  }

  /**
   * Receives Notification frames on each client until every expected id has come (at most {@link #WAIT}), then
   * during one quiet period shared by all clients; asserts that each client got exactly the expected ids, each
   * once, and nothing else. Returns the frames received by each client.
   */
  private static List<List<JsonObject>> receiveExactly(Set<String> expected, WsClient... clients) {
    List<List<JsonObject>> frames = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (WsClient client : clients) {
      List<JsonObject> got = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      while (!seen.containsAll(expected)) {
        long left = deadline - System.nanoTime();
        JsonObject frame = left > 0 ? poll(client, Duration.ofNanos(left)) : null;
        if (frame == null) {
          break;
        }
        got.add(frame);
        seen.add(String.valueOf(frame.getString("id")));
      }
      frames.add(got);
    }
    // Anything arriving now is a duplicate or a stray.
    long quietEnd = System.nanoTime() + QUIET.toNanos();
    while (System.nanoTime() - quietEnd < 0) {
      for (int i = 0; i < clients.length; i++) {
        JsonObject frame = poll(clients[i], Duration.ofMillis(10));
        if (frame != null) {
          frames.get(i).add(frame);
        }
      }
    }
    for (int i = 0; i < clients.length; i++) {
      List<JsonObject> got = frames.get(i);
      Set<String> seen = new HashSet<>();
      List<String> duplicates = new ArrayList<>();
      for (JsonObject frame : got) {
        assertEquals("Notification", frame.getString("type"), frame::encode);
        if (!seen.add(String.valueOf(frame.getString("id")))) {
          duplicates.add(frame.getString("id"));
        }
      }
      Set<String> missing = new LinkedHashSet<>(expected);
      missing.removeAll(seen);
      Set<String> unexpected = new LinkedHashSet<>(seen);
      unexpected.removeAll(expected);
      String summary = "client " + (i + 1) + " of " + clients.length + ": received " + got.size() + " frames for "
          + expected.size() + " expected; missing " + missing.size() + " " + first(missing) + ", duplicates "
          + duplicates.size() + " " + first(duplicates) + ", unexpected " + unexpected.size() + " " + first(unexpected);
      assertTrue(missing.isEmpty() && duplicates.isEmpty() && unexpected.isEmpty(), summary);
      assertEquals(expected.size(), got.size(), summary);
    }
    return frames;
  }

  private static String first(Collection<String> ids) {
    return ids.stream().limit(5).collect(Collectors.toList()).toString();
  }

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static long ms(long startNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }
}
