package io.herald.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.herald.testkit.Await;
import io.herald.testkit.PrivateRedis;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** GET /health, GET /metrics, Redis loss and recovery, graceful shutdown and token-free logs, on real nodes. */
class HealthIT {

  private static final Duration WAIT = Duration.ofSeconds(5);

  /** No Redis, no NATS. */
  private static TestNode plain;
  /** The shared Redis and NATS. */
  private static TestNode full;
  /** A private redis-server a test may kill; destroyed here whatever happens to the test. */
  private static Process privateRedis;

  @BeforeAll
  static void start() {
    plain = TestNode.start(TestNode.options().auth(auth -> auth.setAuthTimeoutSecs(5)));
    full = TestNode.start(TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL))
        .auth(auth -> auth.setAuthTimeoutSecs(1)));
  }

  @AfterAll
  static void stop() {
    try {
      if (plain != null) {
        plain.close();
      }
    } finally {
      try {
        if (full != null) {
          full.close();
        }
      } finally {
        PrivateRedis.stop(privateRedis);
      }
    }
  }

  // ---------------------------------------------------------------- /health

  @Test
  void healthWithoutDependenciesReportsUpAndCountsAuthenticatedConnections() {
    Await.until(() -> connections(plain) == 0, WAIT, "no connection left from other tests");
    Instant before = Instant.now();
    TestNode.HttpResult result = plain.get("/health");
    assertEquals(200, result.status(), result.body());
    JsonObject body = result.json();
    assertEquals("up", body.getString("status"));
    assertEquals(plain.node().nodeId(), body.getString("node_id"));
    assertNotNull(body.getLong("uptime_secs"));
    assertTrue(body.getLong("uptime_secs") >= 0, body.encode());
    Instant startedAt = Instant.parse(body.getString("started_at"));
    assertFalse(startedAt.isAfter(before), "started_at " + startedAt + " is after the request");
    assertEquals(0, body.getInteger("connections"));
    JsonObject dependencies = body.getJsonObject("dependencies");
    assertTrue(dependencies == null || dependencies.isEmpty(), "no dependency expected: " + body.encode());

    // An unauthenticated socket is not counted; two authenticated ones are.
    try (WsClient anonymous = plain.open();
         WsClient one = plain.connect("health-alice");
         WsClient two = plain.connectWithToken(plain.token("health-bob"), "iOS")) {
      Await.until(() -> connections(plain) == 2, WAIT, "/health connections == 2");
      assertFalse(anonymous.isClosed(), "the unauthenticated socket is still open and not counted");
      assertEquals(2, plain.get("/health").json().getInteger("connections"));
      one.close();
      two.close();
      Await.until(() -> connections(plain) == 0, WAIT, "/health connections back to 0 after both closed");
    }
  }

  @Test
  void healthWithRedisAndNatsListsBothUp() {
    TestNode.HttpResult result = full.get("/health");
    assertEquals(200, result.status(), result.body());
    JsonObject body = result.json();
    assertEquals("up", body.getString("status"));
    JsonObject dependencies = body.getJsonObject("dependencies");
    assertNotNull(dependencies, body.encode());
    assertEquals("up", dependencies.getJsonObject("redis").getString("status"), body.encode());
    assertEquals("up", dependencies.getJsonObject("nats").getString("status"), body.encode());
  }

  @Test
  void redisLostIsReportedDeliveryGoesOnAndRecoveryResubscribes() throws Exception {
    int port = PrivateRedis.freePort();
    privateRedis = PrivateRedis.start(port);
    String prefix;
    try (TestNode node = TestNode.start(TestNode.options()
        .state(state -> state.setRedisUrl("redis://127.0.0.1:" + port)))) {
      prefix = node.nodeOptions().ingress().getRedisChannelPrefix();
      TestNode.HttpResult up = node.get("/health");
      assertEquals(200, up.status(), up.body());
      assertEquals("up", up.json().getJsonObject("dependencies").getJsonObject("redis").getString("status"));

      try (WsClient client = node.connect("redis-loss-user")) {
        // Redis pub/sub works before the loss.
        assertEquals(1L, redisPublish(node, port, prefix + ":user:redis-loss-user",
            new JsonObject().put("message", "before").encode()));
        assertEquals("before", client.awaitType("Notification", WAIT).getString("message"));

        PrivateRedis.stop(privateRedis);
        privateRedis = null;
        Await.until(() -> {
          TestNode.HttpResult r = node.get("/health");
          return r.status() == 503 && "degraded".equals(r.json().getString("status"))
              && "down".equals(r.json().getJsonObject("dependencies").getJsonObject("redis").getString("status"));
        }, Duration.ofSeconds(10), "/health 503 with redis down");

        // The HTTP ingress does not need Redis.
        node.publish(new JsonObject().put("user_id", "redis-loss-user").put("message", "while down"));
        assertEquals("while down", client.awaitType("Notification", WAIT).getString("message"));

        // Stay down long enough for several failed reconnection attempts (200, 400 ms...): still 503 throughout.
        long quietUntil = System.nanoTime() + Duration.ofMillis(1000).toNanos();
        while (System.nanoTime() < quietUntil) {
          assertEquals(503, node.get("/health").status(), "/health while redis-server is still down");
          Thread.sleep(50); // pacing of a quiet period: there is no event to await
        }

        privateRedis = PrivateRedis.start(port);
        Await.until(() -> node.get("/health").status() == 200, Duration.ofSeconds(15),
            "/health back to 200 after redis-server restarted");
        assertEquals("up", node.get("/health").json().getJsonObject("dependencies").getJsonObject("redis").getString("status"));

        // Resubscribed: the new server has exactly one pattern subscriber for the user channel, and it delivers.
        assertEquals(1L, redisPublish(node, port, prefix + ":user:redis-loss-user",
            new JsonObject().put("message", "after").put("priority", "High").encode()));
        JsonObject after = client.awaitType("Notification", WAIT);
        assertEquals("after", after.getString("message"));
        assertEquals("High", after.getString("priority"));
      }
    } finally {
      PrivateRedis.stop(privateRedis);
      privateRedis = null;
    }
  }

  // ---------------------------------------------------------------- /metrics

  @Test
  void metricsExposeConnectionsAndHttpIngressCount() {
    try (WsClient client = plain.connect("metrics-user")) {
      Await.until(() -> connections(plain) == 1, WAIT, "one authenticated connection");
      double before = metric(plain.get("/metrics").body(), "herald_ingress_accepted_total\\{source=\"http\"\\}");
      plain.publish(new JsonObject().put("user_id", "metrics-user").put("message", "counted"));
      client.awaitType("Notification", WAIT);

      TestNode.HttpResult result = plain.get("/metrics");
      assertEquals(200, result.status());
      String text = result.body();
      assertTrue(text.contains("# TYPE herald_connections gauge"), text);
      assertEquals(1.0, metric(text, "herald_connections"), text);
      assertTrue(text.contains("# TYPE herald_ingress_accepted_total counter"), text);
      assertEquals(before + 1.0, metric(text, "herald_ingress_accepted_total\\{source=\"http\"\\}"), text);
    }
  }

  @Test
  void metricsKeyWhenSetIsRequiredByMetrics() throws Exception {
    String metricsKey = "test-metrics-key-" + random(16);
    try (TestNode node = TestNode.start(TestNode.options().api(api -> api.setMetricsKey(metricsKey)))) {
      assertEquals(401, getWithKey(node, "/metrics", null).statusCode());
      assertEquals(401, getWithKey(node, "/metrics", TestNode.API_KEY).statusCode(), "the publishers' key reads nothing");
      HttpResponse<String> scraped = getWithKey(node, "/metrics", metricsKey);
      assertEquals(200, scraped.statusCode(), scraped.body());
      assertTrue(scraped.body().contains("# TYPE herald_connections gauge"), scraped.body());
      assertEquals(200, node.get("/health").status(), "/health stays open for the balancer's checks");
    }
  }

  // ---------------------------------------------------------------- graceful shutdown

  @Test
  void stoppingTheNodeClosesClientsWith1001AndRefusesNewUpgrades() {
    TestNode node = TestNode.start(TestNode.options());
    try {
      int port = node.port();
      WsClient client = node.connect("shutdown-user");
      try {
        Await.result(node.node().stop(), Duration.ofSeconds(10), "node stop");
        CloseInfo close = client.awaitClose(WAIT);
        assertEquals(1001, close.codeOr1006(), "close " + close);
        assertNotNull(close.reason());
        assertTrue(close.reason().toLowerCase().contains("reconnect"), "reason: " + close.reason());
        AssertionError refused = assertThrows(AssertionError.class, () -> WsClient.connect(node.vertx(), port, "/ws").close());
        assertNotNull(refused.getMessage());
      } finally {
        client.close();
      }
    } finally {
      // The node is already stopped: stopping it again through TestNode.close() would fail on the undeploys.
      Await.result(node.vertx().close(), Duration.ofSeconds(20), "closing the stopped node's Vert.x");
    }
  }

  // ---------------------------------------------------------------- tokens never logged

  @Test
  void logsNeverContainARefusedToken() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger herald = (Logger) LoggerFactory.getLogger("io.herald");
    Level heraldLevel = herald.getLevel();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    root.addAppender(appender);
    herald.setLevel(Level.DEBUG);
    String jwt = random(20) + "." + random(40) + "." + random(43);
    String knox = random(64);
    try {
      // JWT-shaped, in the query string of the upgrade, on a node without Redis.
      try (WsClient c = WsClient.connect(plain.vertx(), plain.port(), "/ws?token=" + URLEncoder.encode(jwt, StandardCharsets.UTF_8))) {
        assertEquals(4001, c.awaitClose(WAIT).codeOr1006());
      }
      // The same in an Authenticate frame.
      try (WsClient c = plain.open()) {
        c.send(new JsonObject().put("type", "Authenticate").put("token", jwt));
        assertEquals(4001, c.awaitClose(WAIT).codeOr1006());
      }
      // Knox-shaped, looked up in Redis, in the query string and in an Authenticate frame.
      try (WsClient c = WsClient.connect(full.vertx(), full.port(), "/ws?token=" + knox)) {
        assertEquals(4001, c.awaitClose(WAIT).codeOr1006());
      }
      try (WsClient c = full.open()) {
        c.send(new JsonObject().put("type", "Authenticate").put("token", knox));
        assertEquals(4001, c.awaitClose(WAIT).codeOr1006());
      }
    } finally {
      herald.setLevel(heraldLevel);
      root.detachAppender(appender);
      appender.stop();
    }
    List<String> texts = new ArrayList<>();
    for (ILoggingEvent event : List.copyOf(appender.list)) {
      StringBuilder text = new StringBuilder(String.valueOf(event.getFormattedMessage()));
      for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        text.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      texts.add(text.toString());
    }
    // The refusals were logged (so the appender saw them), with at most the first 4 characters of each token.
    assertTrue(texts.stream().anyMatch(t -> t.contains("authentication refused") && t.contains(jwt.substring(0, 4))),
        "no refusal logged for the JWT: " + texts);
    assertTrue(texts.stream().anyMatch(t -> t.contains("authentication refused") && t.contains(knox.substring(0, 4))),
        "no refusal logged for the Knox token: " + texts);
    for (String token : List.of(jwt, knox)) {
      for (String text : texts) {
        assertFalse(text.contains(token.substring(0, 5)), "log shows more than 4 characters of a token: " + text);
        for (int i = 1; i + 8 <= token.length(); i++) {
          String window = token.substring(i, i + 8);
          assertFalse(text.contains(window), "log contains part of a token (" + window + "): " + text);
        }
      }
    }
  }

  @Test
  void logsNeverContainAQueryString() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger herald = (Logger) LoggerFactory.getLogger("io.herald");
    Level heraldLevel = herald.getLevel();
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    String secret = random(40);
    try (TestNode node = TestNode.start(TestNode.options()
        .access(access -> access.setAllowedOrigins(List.of("https://app.example.com"))))) {
      appender.start();
      root.addAppender(appender);
      herald.setLevel(Level.DEBUG);
      // A refused upgrade logs its URI; the token parameter may be spelled percent-encoded (%74oken = token).
      for (String query : List.of("?token=" + secret, "?%74oken=" + secret + "&device=iOS", "?device=" + secret)) {
        int status = WsClient.upgradeStatus(node.vertx(), new WebSocketConnectOptions().setHost("127.0.0.1")
            .setPort(node.port()).setURI("/ws" + query).addHeader("Origin", "https://elsewhere.example.com"));
        assertEquals(403, status, query);
      }
    } finally {
      herald.setLevel(heraldLevel);
      root.detachAppender(appender);
      appender.stop();
    }
    List<String> texts = List.copyOf(appender.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
    for (String text : texts) {
      assertFalse(text.contains(secret), "a query string in the log: " + text);
    }
    assertTrue(texts.stream().filter(t -> t.contains("upgrade refused") && t.contains("/ws?<redacted>")).count() >= 3,
        "the refused upgrades are logged with their path: " + texts);
  }

  private static HttpResponse<String> getWithKey(TestNode node, String path, String key) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + path))
        .timeout(Duration.ofSeconds(10));
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  // ---------------------------------------------------------------- helpers

  private static int connections(TestNode node) {
    Integer n = node.get("/health").json().getInteger("connections");
    return n == null ? -1 : n;
  }

  /** The value of the first sample of {@code nameRegex} (no labels unless given), 0 when absent. */
  private static double metric(String text, String nameRegex) {
    Matcher m = Pattern.compile("(?m)^" + nameRegex + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
  }

  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  private static String random(int length) {
    SecureRandom r = new SecureRandom();
    StringBuilder sb = new StringBuilder(length);
    // Start with letters outside a-f so that the prefix cannot match a hex id by chance.
    sb.append("GHJKLMNPQRSTUVWXYZ".charAt(r.nextInt(18)));
    while (sb.length() < length) {
      sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  /** PUBLISH through a short-lived client of the node's Vert.x; returns the number of receivers. */
  private static long redisPublish(TestNode node, int port, String channel, String payload) {
    Redis redis = Redis.createClient(node.vertx(), new RedisOptions().setConnectionString("redis://127.0.0.1:" + port));
    try {
      Response r = Await.result(redis.send(Request.cmd(Command.PUBLISH).arg(channel).arg(payload)), WAIT, "PUBLISH " + channel);
      return r.toLong();
    } finally {
      redis.close();
    }
  }
}
