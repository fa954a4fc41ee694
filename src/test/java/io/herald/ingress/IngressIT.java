package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.LogCapture;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Component tests of the three ingress paths (NATS, Redis pub/sub, HTTP) on a real node wired to the shared
 * Redis and NATS servers, received by real WebSocket clients.
 */
class IngressIT {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final String PATH = "/api/v1/notifications";

  private static TestNode node;
  private static Connection nats;
  private static Vertx redisVertx;
  private static Redis redis;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL))
        .access(access -> access.setPublicTopics(List.of("news", "markets"))));
    nats = Nats.connect(TestNode.NATS_URL);
    redisVertx = Vertx.vertx();
    redis = Redis.createClient(redisVertx, TestNode.REDIS_URL);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (nats != null) {
        nats.close();
      }
      if (redis != null) {
        redis.close();
      }
      if (redisVertx != null) {
        redisVertx.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      if (node != null) {
        node.close();
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static void natsPublish(String subject, String body) {
    try {
      nats.publish(subject, body.getBytes(StandardCharsets.UTF_8));
      nats.flush(WAIT);
    } catch (Exception e) {
      throw new AssertionError("NATS publish failed", e);
    }
  }

  private static void natsPublish(JsonObject message) {
    natsPublish(node.nodeOptions().ingress().getNatsSubject(), message.encode());
  }

  /** PUBLISH on a Redis channel; returns how many subscriptions (patterns included) received it. */
  private static long redisPublish(String channel, String body) {
    Response r = Await.result(redis.send(Request.cmd(Command.PUBLISH).arg(channel).arg(body)), WAIT,
        "PUBLISH " + channel);
    return r.toLong();
  }

  private static String prefix() {
    return node.nodeOptions().ingress().getRedisChannelPrefix();
  }

  private static JsonObject notification(WsClient client) {
    return client.awaitType("Notification", WAIT);
  }

  /** The value of a Prometheus sample with the given name and source label; 0 when absent. */
  private static double metric(String scrape, String name, String source) {
    Pattern p = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*source=\"" + Pattern.quote(source)
        + "\"[^}]*\\}\\s+(\\S+)");
    Matcher m = p.matcher(scrape);
    return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
  }

  private static String scrape() {
    TestNode.HttpResult r = node.get("/metrics");
    assertEquals(200, r.status());
    return r.body();
  }

  private static JsonObject natsAlert(String userId, String id, String chain, String hash) {
    return new JsonObject()
        .put("user_id", userId)
        .put("id", id)
        .put("alert_id", "alert-42")
        .put("alert_name", "Whale watch")
        .put("notification_type", "price_alert")
        .put("priority", "High")
        .put("timestamp", "2024-05-01T12:00:00Z")
        .put("payload", new JsonObject()
            .put("triggered_value", 1500)
            .put("threshold", 1000)
            .put("chain", chain)
            .put("wallet", "0xWALLET")
            .put("transaction_hash", hash)
            .put("block_number", 19000000));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ---------------------------------------------------------------- NATS

  @Test
  void natsAlertIsMappedFieldByFieldOntoTheUsersFrame() {
    String user = unique("nu");
    String id = unique("n");
    try (WsClient client = node.connect(user)) {
      natsPublish(natsAlert(user, id, "ethereum", "0xabc123"));
      JsonObject f = notification(client);
      assertEquals("Notification", f.getString("type"));
      assertEquals(id, f.getString("id"));
      assertEquals("alert-42", f.getString("alert_id"));
      assertEquals("Whale watch", f.getString("alert_name"));
      assertEquals("price_alert", f.getString("notification_type"));
      assertEquals("High", f.getString("priority"));
      assertEquals("Alert triggered: 1500 exceeded 1000", f.getString("message"));
      JsonObject d = f.getJsonObject("details");
      assertEquals(1500, d.getInteger("current_value"));
      assertEquals(1000, d.getInteger("threshold"));
      assertEquals("ethereum", d.getString("chain"));
      assertEquals("0xWALLET", d.getString("wallet"));
      assertEquals("0xabc123", d.getString("transaction_hash"));
      assertEquals("https://etherscan.io/tx/0xabc123", d.getString("transaction_url"));
      assertEquals(19000000L, d.getLong("block_number"));
      assertFalse(d.containsKey("triggered_value"), "triggered_value is renamed current_value: " + d);
      assertEquals("2024-05-01T12:00:00Z", f.getString("timestamp"));
      assertEquals(new JsonArray()
              .add(new JsonObject().put("label", "View Transaction").put("url", "/alerts/alert-42/transactions"))
              .add(new JsonObject().put("label", "Adjust Alert").put("url", "/alerts/alert-42/edit")),
          f.getJsonArray("actions"));
      assertFalse(f.containsKey("topic"), "a user notification carries no topic: " + f);
      client.assertNoFrame(QUIET);
    }
  }

  @Test
  void natsAvalancheHashLinksToSnowtrace() {
    String user = unique("nu");
    try (WsClient client = node.connect(user)) {
      natsPublish(natsAlert(user, unique("n"), "avalanche", "0xfeed"));
      JsonObject d = notification(client).getJsonObject("details");
      assertEquals("avalanche", d.getString("chain"));
      assertEquals("https://snowtrace.io/tx/0xfeed", d.getString("transaction_url"));
    }
  }

  @Test
  void natsTopicReachesTheTopicsSubscribersOnly() {
    try (WsClient subscriber = node.connect(unique("ts"));
         WsClient other = node.connect(unique("to"))) {
      TestNode.subscribe(subscriber, new JsonObject().put("topics", new JsonArray().add("markets")));
      natsPublish(new JsonObject().put("topic", "markets").put("message", "market moved"));
      JsonObject f = notification(subscriber);
      assertEquals("market moved", f.getString("message"));
      assertEquals("markets", f.getString("topic"));
      other.assertNoFrame(QUIET);
    }
  }

  @Test
  void natsUserIdsReachEveryListedUserAndNobodyElse() {
    String a = unique("ua");
    String b = unique("ub");
    try (WsClient ca = node.connect(a); WsClient cb = node.connect(b); WsClient cc = node.connect(unique("uc"))) {
      natsPublish(new JsonObject().put("user_ids", new JsonArray().add(a).add(b)).put("message", "to a and b"));
      assertEquals("to a and b", notification(ca).getString("message"));
      assertEquals("to a and b", notification(cb).getString("message"));
      cc.assertNoFrame(QUIET);
    }
  }

  @Test
  void natsBroadcastReachesEveryConnection() {
    try (WsClient ca = node.connect(unique("ba")); WsClient cb = node.connect(unique("bb"))) {
      String id = unique("bc");
      natsPublish(new JsonObject().put("broadcast", true).put("id", id).put("message", "to everyone"));
      assertEquals(id, notification(ca).getString("id"));
      assertEquals(id, notification(cb).getString("id"));
    }
  }

  @Test
  void natsQueueGroupGivesEachMessageToExactlyOneNode() {
    HeraldOptions first = TestNode.options().ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL));
    HeraldOptions second = new HeraldOptions(first);
    assertEquals(first.ingress().getNatsSubject(), second.ingress().getNatsSubject());
    assertEquals(first.ingress().getNatsQueueGroup(), second.ingress().getNatsQueueGroup());
    String user = unique("qu");
    try (TestNode n1 = TestNode.start(first); TestNode n2 = TestNode.start(second);
         WsClient c1 = n1.connect(user); WsClient c2 = n2.connect(user)) {
      Set<String> sent = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        String id = "q-" + i + "-" + UUID.randomUUID().toString().substring(0, 6);
        sent.add(id);
        natsPublish(first.ingress().getNatsSubject(), new JsonObject().put("user_id", user).put("id", id)
            .put("message", "m" + i).encode());
      }
      List<JsonObject> got1 = new ArrayList<>();
      List<JsonObject> got2 = new ArrayList<>();
      Await.until(() -> {
        got1.addAll(c1.drain());
        got2.addAll(c2.drain());
        return got1.size() + got2.size() >= 20;
      }, Duration.ofSeconds(10), "20 notifications across the two nodes");
      c1.assertNoFrame(QUIET);
      c2.assertNoFrame(Duration.ofMillis(50));
      assertEquals(20, got1.size() + got2.size(), "each message taken by exactly one node");
      Set<String> received = new HashSet<>();
      for (JsonObject f : got1) {
        assertEquals("Notification", f.getString("type"));
        received.add(f.getString("id"));
      }
      for (JsonObject f : got2) {
        assertEquals("Notification", f.getString("type"));
        received.add(f.getString("id"));
      }
      assertEquals(sent, received, "every message delivered once, none twice");
      // Random split over 20 messages: both members of the group take a share (1 in 2^19 to fail by chance).
      assertTrue(!got1.isEmpty() && !got2.isEmpty(),
          "queue group should split messages, got " + got1.size() + " / " + got2.size());
    }
  }

  // ---------------------------------------------------------------- Redis

  @Test
  void redisUserChannelDeliversTheRedisFormatToThatUser() {
    String user = unique("ru");
    String id = unique("r");
    try (WsClient client = node.connect(user); WsClient other = node.connect(unique("ro"))) {
      JsonObject body = new JsonObject().put("id", id).put("userId", user).put("type", "TIP")
          .put("payload", new JsonObject().put("message", "You got 5 USDC").put("amount", 5))
          .put("createdAt", "2024-05-01T12:00:00Z");
      assertTrue(redisPublish(prefix() + ":user:" + user, body.encode()) >= 1, "node subscribed to the channel");
      JsonObject f = notification(client);
      assertEquals(id, f.getString("id"));
      assertEquals("TIP", f.getString("notification_type"));
      assertEquals("You got 5 USDC", f.getString("message"));
      assertEquals(5, f.getJsonObject("details").getInteger("amount"));
      assertEquals("2024-05-01T12:00:00Z", f.getString("timestamp"));
      other.assertNoFrame(QUIET);
    }
  }

  @Test
  void redisTopicChannelReachesSubscribersOnly() {
    try (WsClient subscriber = node.connect(unique("rs")); WsClient other = node.connect(unique("ro"))) {
      TestNode.subscribe(subscriber, new JsonObject().put("topics", new JsonArray().add("news")));
      JsonObject body = new JsonObject().put("id", unique("rt")).put("type", "SYSTEM")
          .put("payload", new JsonObject().put("message", "breaking"));
      redisPublish(prefix() + ":channel:news", body.encode());
      JsonObject f = notification(subscriber);
      assertEquals("breaking", f.getString("message"));
      assertEquals("news", f.getString("topic"));
      other.assertNoFrame(QUIET);
    }
  }

  @Test
  void redisGlobalChannelReachesEveryConnection() {
    try (WsClient a = node.connect(unique("ga")); WsClient b = node.connect(unique("gb"))) {
      String id = unique("g");
      JsonObject body = new JsonObject().put("id", id).put("type", "SYSTEM")
          .put("payload", new JsonObject().put("message", "maintenance at noon"));
      redisPublish(prefix() + ":global", body.encode());
      JsonObject fa = notification(a);
      JsonObject fb = notification(b);
      assertEquals(id, fa.getString("id"));
      assertEquals("maintenance at noon", fa.getString("message"));
      assertEquals(id, fb.getString("id"));
    }
  }

  @Test
  void redisChannelAcceptsTheNatsFormat() {
    String user = unique("rn");
    String id = unique("rn");
    try (WsClient client = node.connect(user)) {
      JsonObject body = natsAlert(user, id, "ethereum", "0x99");
      redisPublish(prefix() + ":user:" + user, body.encode());
      JsonObject f = notification(client);
      assertEquals(id, f.getString("id"));
      assertEquals("price_alert", f.getString("notification_type"));
      assertEquals("Alert triggered: 1500 exceeded 1000", f.getString("message"));
      assertEquals("https://etherscan.io/tx/0x99", f.getJsonObject("details").getString("transaction_url"));
    }
  }

  // ---------------------------------------------------------------- HTTP

  @Test
  void httpSingleObjectIsAcceptedWithItsId() {
    String user = unique("hu");
    try (WsClient client = node.connect(user)) {
      TestNode.HttpResult r = node.post(PATH, new JsonObject().put("user_id", user).put("message", "over http").encode(),
          TestNode.API_KEY);
      assertEquals(202, r.status(), r.body());
      JsonArray ids = r.json().getJsonArray("ids");
      assertEquals(1, ids.size());
      JsonObject f = notification(client);
      assertEquals(ids.getString(0), f.getString("id"));
      assertEquals("over http", f.getString("message"));
    }
  }

  @Test
  void httpArrayOfThreeIsAcceptedAndDeliveredInOrder() {
    String user = unique("hu");
    try (WsClient client = node.connect(user)) {
      JsonArray batch = new JsonArray();
      for (int i = 0; i < 3; i++) {
        batch.add(new JsonObject().put("user_id", user).put("message", "m" + i));
      }
      TestNode.HttpResult r = node.post(PATH, batch.encode(), TestNode.API_KEY);
      assertEquals(202, r.status(), r.body());
      JsonArray ids = r.json().getJsonArray("ids");
      assertEquals(3, ids.size());
      for (int i = 0; i < 3; i++) {
        JsonObject f = notification(client);
        assertEquals(ids.getString(i), f.getString("id"));
        assertEquals("m" + i, f.getString("message"));
      }
      client.assertNoFrame(QUIET);
    }
  }

  @Test
  void httpInvalidBodiesAreRefusedWith400AndAReason() {
    TestNode.HttpResult notJson = node.post(PATH, "{not json", TestNode.API_KEY);
    assertEquals(400, notJson.status());
    assertFalse(notJson.json().getString("error", "").isBlank(), notJson.body());

    TestNode.HttpResult badUser = node.post(PATH, new JsonObject().put("user_id", "a b").put("message", "x").encode(),
        TestNode.API_KEY);
    assertEquals(400, badUser.status());
    assertTrue(badUser.json().getString("error").contains("user_id"), badUser.body());

    TestNode.HttpResult empty = node.post(PATH, "[]", TestNode.API_KEY);
    assertEquals(400, empty.status());
    assertFalse(empty.json().getString("error", "").isBlank(), empty.body());
  }

  @Test
  void httpWithoutTheRightApiKeyIs401() {
    String body = new JsonObject().put("user_id", "nobody").put("message", "x").encode();
    TestNode.HttpResult none = node.post(PATH, body, null);
    assertEquals(401, none.status());
    TestNode.HttpResult wrong = node.post(PATH, body, "wrong-api-key-0123456789abcdef");
    assertEquals(401, wrong.status());
  }

  // ---------------------------------------------------------------- invalid messages

  @Test
  void invalidMessagesAreDroppedCountedAndSubscriptionsKeepRunning() {
    String before = scrape();
    double natsInvalid = metric(before, "herald_ingress_invalid_total", "nats");
    double redisInvalid = metric(before, "herald_ingress_invalid_total", "redis");
    double natsAccepted = metric(before, "herald_ingress_accepted_total", "nats");
    double redisAccepted = metric(before, "herald_ingress_accepted_total", "redis");
    String user = unique("iu");
    try (WsClient client = node.connect(user)) {
      natsPublish(node.nodeOptions().ingress().getNatsSubject(), "{this is not json");
      natsPublish(new JsonObject().put("message", "no target"));
      natsPublish(new JsonObject().put("user_id", user).put("message", "valid after invalid (nats)"));
      assertEquals("valid after invalid (nats)", notification(client).getString("message"));

      redisPublish(prefix() + ":user:" + user, "{this is not json");
      redisPublish(prefix() + ":user:" + user, new JsonObject().put("type", "TIP").put("userId", "someone-else").encode());
      redisPublish(prefix() + ":user:" + user, new JsonObject().put("type", "TIP")
          .put("payload", new JsonObject().put("message", "valid after invalid (redis)")).encode());
      assertEquals("valid after invalid (redis)", notification(client).getString("message"));
      client.assertNoFrame(QUIET);
    }
    Await.until(() -> {
      String after = scrape();
      return metric(after, "herald_ingress_invalid_total", "nats") >= natsInvalid + 2
          && metric(after, "herald_ingress_invalid_total", "redis") >= redisInvalid + 2
          && metric(after, "herald_ingress_accepted_total", "nats") >= natsAccepted + 1
          && metric(after, "herald_ingress_accepted_total", "redis") >= redisAccepted + 1;
    }, WAIT, "invalid and accepted counters for nats and redis in /metrics");
  }

  @Test
  void aHostileRedisChannelNameIsLoggedEscapedAndBounded() {
    // Whoever may PUBLISH on the Redis server chooses the channel name: it must not forge or flood log lines.
    String marker = unique("forged");
    try (LogCapture ingressLog = LogCapture.of(IngressVerticle.class)) {
      redisPublish(prefix() + ":user:x\n2026-12-03 ERROR " + marker + "\r" + "y".repeat(5_000),
          new JsonObject().put("type", "TIP").put("payload", new JsonObject().put("message", "m")).encode());
      Await.until(() -> ingressLog.messages().stream().anyMatch(m -> m.contains(marker)), WAIT,
          "the refused channel in the ingress log");
      String line = ingressLog.messages().stream().filter(m -> m.contains(marker)).findFirst().orElseThrow();
      assertFalse(line.contains("\n") || line.contains("\r"), line);
      assertTrue(line.contains("x\\n2026-12-03 ERROR " + marker + "\\r"), line);
      assertTrue(line.length() < 600, "bounded: " + line.length() + " characters");
    }
  }

  // ---------------------------------------------------------------- tenants

  @Test
  void aTenantsNotificationReachesOnlyThatTenantsUser() {
    try (WsClient acme = node.connectWithToken(node.token("u1", Duration.ofHours(1), "acme", List.of()), "Dashboard");
         WsClient plain = node.connect("u1")) {
      // HTTP
      node.publish(new JsonObject().put("tenant_id", "acme").put("user_id", "u1").put("message", "acme via http"));
      assertEquals("acme via http", notification(acme).getString("message"));
      // NATS
      natsPublish(new JsonObject().put("tenant_id", "acme").put("user_id", "u1").put("message", "acme via nats"));
      assertEquals("acme via nats", notification(acme).getString("message"));
      // Redis
      redisPublish(prefix() + ":user:u1", new JsonObject().put("tenant_id", "acme").put("type", "TIP")
          .put("payload", new JsonObject().put("message", "acme via redis")).encode());
      assertEquals("acme via redis", notification(acme).getString("message"));
      plain.assertNoFrame(QUIET);

      // and the default tenant's u1 is still reachable on its own
      node.publish(new JsonObject().put("user_id", "u1").put("message", "default tenant"));
      assertEquals("default tenant", notification(plain).getString("message"));
      acme.assertNoFrame(QUIET);
    }
  }

  @Test
  void aTenantBroadcastReachesOnlyThatTenant() {
    try (WsClient acme1 = node.connectWithToken(node.token(unique("a1"), Duration.ofHours(1), "acme", List.of()), "Dashboard");
         WsClient acme2 = node.connectWithToken(node.token(unique("a2"), Duration.ofHours(1), "acme", List.of()), "iOS");
         WsClient plain = node.connect(unique("d1"))) {
      node.publish(new JsonObject().put("tenant_id", "acme").put("broadcast", true).put("message", "acme http"));
      assertEquals("acme http", notification(acme1).getString("message"));
      assertEquals("acme http", notification(acme2).getString("message"));
      natsPublish(new JsonObject().put("tenant_id", "acme").put("broadcast", true).put("message", "acme nats"));
      assertEquals("acme nats", notification(acme1).getString("message"));
      assertEquals("acme nats", notification(acme2).getString("message"));
      redisPublish(prefix() + ":global", new JsonObject().put("tenant_id", "acme").put("type", "SYSTEM")
          .put("payload", new JsonObject().put("message", "acme redis")).encode());
      assertEquals("acme redis", notification(acme1).getString("message"));
      assertEquals("acme redis", notification(acme2).getString("message"));
      plain.assertNoFrame(QUIET);
    }
  }

  // ---------------------------------------------------------------- fail fast

  @Test
  void unreachableRedisFailsTheStartNamingRedisUrl() throws Exception {
    int closed = freePort();
    AssertionError e = assertThrows(AssertionError.class,
        () -> TestNode.start(TestNode.options()
            .state(state -> state.setRedisUrl("redis://127.0.0.1:" + closed))).close());
    assertTrue(e.getMessage().contains("redis_url"), e.getMessage());
    assertTrue(e.getMessage().contains(":" + closed), "names the unreachable address: " + e.getMessage());
  }

  @Test
  void unreachableNatsFailsTheStartNamingNatsUrl() throws Exception {
    int closed = freePort();
    AssertionError e = assertThrows(AssertionError.class,
        () -> TestNode.start(TestNode.options()
            .ingress(ingress -> ingress.setNatsUrl("nats://127.0.0.1:" + closed))).close());
    assertTrue(e.getMessage().contains("nats_url"), e.getMessage());
    assertTrue(e.getMessage().contains(":" + closed), "names the unreachable address: " + e.getMessage());
  }

  @Test
  void theSharedNodeReportsBothDependenciesUp() {
    TestNode.HttpResult health = node.get("/health");
    assertEquals(200, health.status(), health.body());
    JsonObject deps = health.json().getJsonObject("dependencies");
    assertEquals("up", deps.getJsonObject("redis").getString("status"));
    assertEquals("up", deps.getJsonObject("nats").getString("status"));
    assertNull(deps.getJsonObject("redis").getString("error"));
  }
}
