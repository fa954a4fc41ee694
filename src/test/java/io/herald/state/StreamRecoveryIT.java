package io.herald.state;

import static io.herald.state.StateNodeIT.QUIET;
import static io.herald.state.StateNodeIT.WAIT;
import static io.herald.state.StateNodeIT.notifications;
import static io.herald.state.StateNodeIT.user;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Addresses;
import io.herald.testkit.Await;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.RedisTestKeys;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Recovery of topic and broadcast streams on real nodes, embedded (in-memory state) and on Redis, over {@code /ws}
 * and over the bridge: a client subscribed to a topic disconnects, topic and broadcast notifications are published,
 * it comes back with its position in each stream and gets each missed one exactly once, in offset order, then the
 * live ones; a topic its token does not grant is refused and never replayed.
 */
@Timeout(60)
class StreamRecoveryIT {

  private static final String TOPIC = "alerts";

  private static TestNode embedded;
  private static TestNode onRedis;
  private static Vertx vertx;
  private static Redis redis;

  @BeforeAll
  static void start() {
    embedded = TestNode.start();
    onRedis = TestNode.start(StateNodeIT.redisOptions());
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, TestNode.REDIS_URL);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      embedded.close();
    } finally {
      try {
        onRedis.close();
      } finally {
        try {
          RedisTestKeys.deleteKeys(redis, onRedis.nodeOptions().state().getRedisKeyPrefix());
        } finally {
          vertx.close().await(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  static Stream<String> states() {
    return Stream.of("embedded", "redis");
  }

  private static TestNode node(String state) {
    return "redis".equals(state) ? onRedis : embedded;
  }

  @ParameterizedTest
  @MethodSource("states")
  void overWsAReconnectWithItsStreamPositionsGetsEachMissedOneOnceInOrderThenLiveOnes(String state) {
    TestNode node = node(state);
    String tenant = tenant();
    String token = node.token(user(), Duration.ofHours(1), tenant, List.of(TOPIC));
    JsonObject t1;
    JsonObject b1;
    try (WsClient first = node.connectWithToken(token, "Dashboard")) {
      TestNode.subscribe(first, new JsonObject().put("topics", new JsonArray().add(TOPIC)));
      node.publish(topicNote(tenant, "t1"));
      t1 = first.awaitType("Notification", WAIT);
      node.publish(broadcastNote(tenant, "b1"));
      b1 = first.awaitType("Notification", WAIT);
      assertEquals("topic", t1.getString("stream"), t1.encode());
      assertEquals("broadcast", b1.getString("stream"), b1.encode());
    }
    awaitOffline(node);
    node.publish(new JsonArray().add(topicNote(tenant, "t2")).add(broadcastNote(tenant, "b2"))
        .add(topicNote(tenant, "t3")).add(broadcastNote(tenant, "b3")));

    try (WsClient back = node.open()) {
      back.send(new JsonObject().put("type", "Authenticate").put("token", token).put("device", "Dashboard")
          .put("streams", new JsonObject().put("topic:" + TOPIC, position(t1)).put("broadcast", position(b1))));
      JsonObject authenticated = back.next();
      assertEquals("Authenticated", authenticated.getString("type"), authenticated.encode());
      JsonObject streams = authenticated.getJsonObject("streams");
      assertEquals(true, streams.getJsonObject("topic:" + TOPIC).getBoolean("recovered"), authenticated.encode());
      assertEquals(true, streams.getJsonObject("broadcast").getBoolean("recovered"), authenticated.encode());
      assertEquals(3L, streams.getJsonObject("topic:" + TOPIC).getLong("offset"));
      assertTrue(authenticated.getJsonArray("topics").contains(TOPIC), "the resumed topic is joined: " + authenticated);

      Map<String, List<String>> missed = byStream(notifications(back, 4));
      assertEquals(List.of("t2", "t3"), missed.get("topic"), "the topic stream's missed ones, once, in order");
      assertEquals(List.of("b2", "b3"), missed.get("broadcast"), "the broadcast stream's missed ones, once, in order");

      node.publish(topicNote(tenant, "t4"));
      assertEquals("t4", back.awaitType("Notification", WAIT).getString("message"), "then live");
      node.publish(broadcastNote(tenant, "b4"));
      assertEquals("b4", back.awaitType("Notification", WAIT).getString("message"), "then live");
      back.assertNoFrame(QUIET);

      // Resume on the live connection: the topic after t2, as asked, and only that.
      JsonObject t2Position = new JsonObject().put("epoch", t1.getString("epoch")).put("offset", t1.getLong("offset") + 1);
      back.send(new JsonObject().put("type", "Resume").put("streams", new JsonObject().put("topic:" + TOPIC, t2Position)));
      JsonObject resumed = back.next();
      assertEquals("Resumed", resumed.getString("type"), resumed.encode());
      assertEquals(2, resumed.getJsonObject("streams").getJsonObject("topic:" + TOPIC).getInteger("missed"), resumed.encode());
      assertEquals(List.of("t3", "t4"), byStream(notifications(back, 2)).get("topic"));
      back.assertNoFrame(QUIET);
    }
  }

  @ParameterizedTest
  @MethodSource("states")
  void overWsATopicTheTokenDoesNotGrantIsRefusedAsSubscribeRefusesItAndNeverReplayed(String state) {
    TestNode node = node(state);
    String tenant = tenant();
    node.publish(new JsonObject().put("topic", "secret").put("tenant_id", tenant).put("message", "s1"));
    try (WsClient c = node.open()) {
      c.send(new JsonObject().put("type", "Authenticate").put("token", node.token(user(), Duration.ofHours(1), tenant, List.of()))
          .put("streams", new JsonObject().put("topic:secret", new JsonObject().put("offset", 0))));
      JsonObject authenticated = c.next();
      assertEquals("Authenticated", authenticated.getString("type"), authenticated.encode());
      assertEquals(new JsonObject().put("recovered", false).put("error", "forbidden"),
          authenticated.getJsonObject("streams").getJsonObject("topic:secret"));
      assertEquals(List.of(), authenticated.getJsonArray("topics").getList(), "not joined");
      JsonObject error = c.next();
      assertEquals("Error", error.getString("type"), error.encode());
      assertEquals("forbidden", error.getString("code"), error.encode());
      c.assertNoFrame(QUIET);

      // The same on a Resume; a malformed streams field is refused whole, and the connection stays open.
      c.send(new JsonObject().put("type", "Resume")
          .put("streams", new JsonObject().put("topic:secret", new JsonObject().put("offset", 0))));
      JsonObject refused = c.next();
      assertEquals("forbidden", refused.getString("code"), "the Error first: " + refused.encode());
      JsonObject resumed = c.next();
      assertEquals("Resumed", resumed.getString("type"), resumed.encode());
      assertEquals("forbidden", resumed.getJsonObject("streams").getJsonObject("topic:secret").getString("error"),
          resumed.encode());
      c.send(new JsonObject().put("type", "Resume")
          .put("streams", new JsonObject().put("herald.topic." + tenant + ".secret", new JsonObject().put("offset", 0))));
      assertEquals("invalid", c.awaitType("Error", WAIT).getString("code"));
      c.assertNoFrame(QUIET);
      assertTrue(!c.isClosed(), "still open");
    }
  }

  @ParameterizedTest
  @MethodSource("states")
  void overTheBridgeResumeReturnsEachStreamsMissedOnesInOrderAndRefusesAnUngrantedTopic(String state) {
    TestNode node = node(state);
    String tenant = tenant();
    String token = node.token(user(), Duration.ofHours(1), tenant, List.of(TOPIC));
    String topicAddress = Addresses.topic(tenant, TOPIC);
    String broadcastAddress = Addresses.broadcast(tenant);
    JsonObject t1;
    JsonObject b1;
    try (BridgeWsClient first = BridgeWsClient.raw(node.vertx(), node.port(), "?token=" + token)) {
      subscribeAndRegister(first, topicAddress, broadcastAddress);
      node.publish(topicNote(tenant, "t1"));
      t1 = first.awaitOn(topicAddress, WAIT).getJsonObject("body");
      node.publish(broadcastNote(tenant, "b1"));
      b1 = first.awaitOn(broadcastAddress, WAIT).getJsonObject("body");
    }
    awaitOffline(node);
    node.publish(new JsonArray().add(topicNote(tenant, "t2")).add(broadcastNote(tenant, "b2"))
        .add(topicNote(tenant, "t3")).add(broadcastNote(tenant, "b3")));

    try (BridgeWsClient back = BridgeWsClient.raw(node.vertx(), node.port(), "?token=" + token)) {
      subscribeAndRegister(back, topicAddress, broadcastAddress);
      JsonObject resumed = back.call("herald.client.resume", new JsonObject().put("streams", new JsonObject()
          .put("topic:" + TOPIC, position(t1)).put("broadcast", position(b1))
          .put("topic:secret", new JsonObject().put("offset", 0))));
      assertEquals("Resumed", resumed.getString("type"), resumed.encode());
      JsonObject streams = resumed.getJsonObject("streams");
      assertEquals(true, streams.getJsonObject("topic:" + TOPIC).getBoolean("recovered"), resumed.encode());
      assertEquals(true, streams.getJsonObject("broadcast").getBoolean("recovered"), resumed.encode());
      assertEquals("forbidden", streams.getJsonObject("topic:secret").getString("error"), resumed.encode());
      assertEquals(new JsonArray().add("topic:secret"), resumed.getJsonArray("refused"));
      List<JsonObject> replayed = new ArrayList<>();
      resumed.getJsonArray("notifications").forEach(n -> replayed.add((JsonObject) n));
      Map<String, List<String>> missed = byStream(replayed);
      assertEquals(List.of("t2", "t3"), missed.get("topic"), "each stream's missed ones, once, in order");
      assertEquals(List.of("b2", "b3"), missed.get("broadcast"), "each stream's missed ones, once, in order");
      assertEquals(4, resumed.getInteger("missed"));
      back.assertNothing(QUIET);

      node.publish(topicNote(tenant, "t4"));
      assertEquals("t4", back.awaitOn(topicAddress, WAIT).getJsonObject("body").getString("message"), "then live");
      back.assertNothing(QUIET);
    }
  }

  @ParameterizedTest
  @MethodSource("states")
  void overWsTheFiltersGivenInAuthenticateApplyToTheReplay(String state) {
    TestNode node = node(state);
    String tenant = tenant();
    String token = node.token(user(), Duration.ofHours(1), tenant, List.of());
    node.publish(new JsonArray().add(broadcastNote(tenant, "low").put("priority", "Low"))
        .add(broadcastNote(tenant, "high").put("priority", "High")));
    try (WsClient c = node.open()) {
      c.send(new JsonObject().put("type", "Authenticate").put("token", token).put("device", "Dashboard")
          .put("filters", new JsonObject().put("priorities", new JsonArray().add("High")))
          .put("streams", new JsonObject().put("broadcast", new JsonObject().put("offset", 0))));
      JsonObject authenticated = c.next();
      assertEquals(2, authenticated.getJsonObject("streams").getJsonObject("broadcast").getInteger("missed"),
          authenticated.encode());
      assertEquals("high", c.next().getString("message"), "the Low one is filtered out of the replay");
      c.assertNoFrame(QUIET);
      c.send(new JsonObject().put("type", "GetStatus"));
      assertEquals(new JsonArray().add("High"),
          c.awaitType("Status", WAIT).getJsonObject("filters").getJsonArray("priorities"), "the filters are kept");
    }
  }

  /** One resume at a time per bridge socket: each may read every stream's history into one reply. */
  @org.junit.jupiter.api.Test
  void overTheBridgeAResumeWhileAnotherIsReadIsRefusedWith429() {
    TestNode node = onRedis;
    String tenant = tenant();
    node.publish(broadcastNote(tenant, "b1"));
    String token = node.token(user(), Duration.ofHours(1), tenant, List.of());
    JsonObject request = new JsonObject().put("streams", new JsonObject().put("broadcast", new JsonObject().put("offset", 0)));
    try (BridgeWsClient c = BridgeWsClient.raw(node.vertx(), node.port(), "?token=" + token)) {
      c.call("herald.client.ping", new JsonObject());
      List<String> labels = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        labels.add("resume-" + i);
        c.send("herald.client.resume", request, null, "resume-" + i);
      }
      int answered = 0;
      int refused = 0;
      for (String label : labels) {
        JsonObject answer = c.await(m -> label.equals(m.getString("address")), WAIT, "the answer to " + label);
        if ("rec".equals(answer.getString("type"))) {
          answered++;
          assertEquals(1, answer.getJsonObject("body").getInteger("missed"), answer.encode());
        } else {
          refused++;
          assertEquals(429, answer.getInteger("failureCode"), answer.encode());
          assertEquals("rate_limited", answer.getString("message"), answer.encode());
        }
      }
      assertTrue(answered >= 1 && refused >= 1, answered + " answered, " + refused + " refused");
      assertEquals(1, c.call("herald.client.resume", request).getInteger("missed"), "once answered, the next one is read");
    }
  }

  /** Asks for the topic (subscribe) and registers its address and the broadcast's, then waits until they are in place. */
  private static void subscribeAndRegister(BridgeWsClient c, String topicAddress, String broadcastAddress) {
    JsonObject subscribed = c.call("herald.client.subscribe", new JsonObject().put("topics", new JsonArray().add(TOPIC)));
    assertEquals(topicAddress, subscribed.getJsonObject("addresses").getString(TOPIC), subscribed.encode());
    c.register(topicAddress);
    c.register(broadcastAddress);
    c.call("herald.client.ping", new JsonObject());
  }

  /** A tenant of its own: its broadcast stream holds only this test's notifications. */
  private static String tenant() {
    return "sr-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject topicNote(String tenant, String message) {
    return new JsonObject().put("topic", TOPIC).put("tenant_id", tenant).put("message", message);
  }

  private static JsonObject broadcastNote(String tenant, String message) {
    return new JsonObject().put("broadcast", true).put("tenant_id", tenant).put("message", message);
  }

  /** The stream position a notification frame carries, as {@code streams} takes it. */
  private static JsonObject position(JsonObject frame) {
    return new JsonObject().put("epoch", frame.getString("epoch")).put("offset", frame.getLong("offset"));
  }

  /** The frames' messages by their {@code stream}, each stream's in the order received, asserting offset order. */
  private static Map<String, List<String>> byStream(List<JsonObject> frames) {
    Map<String, List<String>> messages = new LinkedHashMap<>();
    Map<String, Long> lastOffset = new LinkedHashMap<>();
    for (JsonObject f : frames) {
      String stream = f.getString("stream");
      Long last = lastOffset.put(stream, f.getLong("offset"));
      assertTrue(last == null || last < f.getLong("offset"), "offset order in " + stream + ": " + frames);
      messages.computeIfAbsent(stream, s -> new ArrayList<>()).add(f.getString("message"));
    }
    return messages;
  }

  private static void awaitOffline(TestNode n) {
    Await.until(() -> Integer.valueOf(0).equals(n.get("/health").json().getInteger("connections")), WAIT,
        "no connection left on the node");
  }
}
