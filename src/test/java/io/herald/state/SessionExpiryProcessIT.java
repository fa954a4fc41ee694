package io.herald.state;

import io.herald.testkit.PrivateRedis;
import static io.herald.state.StateNodeIT.WAIT;
import static io.herald.state.StateNodeIT.send;
import static io.herald.state.StateNodeIT.user;
import static io.herald.testkit.RedisTestKeys.deleteKeys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.auth.JwtIssuer;
import io.herald.model.Ids;
import io.herald.testkit.RedisTestKeys;
import io.herald.testkit.Await;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node in its own JVM, killed with SIGKILL while a client is connected: its session keys expire after
 * session_ttl_secs and the dead connection no longer counts against the per-user limit.
 */
class SessionExpiryProcessIT {

  private static final String SECRET = "expiry-test-secret-" + UUID.randomUUID();
  private static final String API_KEY = "expiry-test-key-" + UUID.randomUUID().toString().replace("-", "");
  private static final String PREFIX = RedisTestKeys.uniquePrefix();
  private static final int SESSION_TTL_SECS = 2;

  private static Vertx vertx;
  private static HttpClient http;
  private static Redis redis;
  private static Process child;
  private static Path childLog;
  private static int childPort;
  private static TestNode survivor;

  @BeforeAll
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  static void start() throws Exception {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setConnectTimeout(1000));
    redis = Redis.createClient(vertx, TestNode.REDIS_URL);
    childPort = PrivateRedis.freePort();
    childLog = Files.createTempFile("herald-session-expiry-", ".log");
    ProcessBuilder builder = new ProcessBuilder(System.getProperty("java.home") + "/bin/java",
        "-cp", System.getProperty("java.class.path"), "io.herald.Main", "run", "--port", Integer.toString(childPort))
        .redirectErrorStream(true).redirectOutput(childLog.toFile());
    // Only what this node needs: no configuration inherited from the developer's environment.
    String path = System.getenv("PATH");
    builder.environment().clear();
    if (path != null) {
      builder.environment().put("PATH", path);
    }
    builder.environment().put("REDIS_URL", TestNode.REDIS_URL);
    builder.environment().put("REDIS_KEY_PREFIX", PREFIX);
    builder.environment().put("REDIS_CHANNEL_PREFIX", PREFIX + "-channels");
    builder.environment().put("JWT_SECRET", SECRET);
    builder.environment().put("HERALD_API_KEY", API_KEY);
    builder.environment().put("HEARTBEAT_INTERVAL_SECS", "1");
    builder.environment().put("CONNECTION_TIMEOUT_SECS", "5");
    builder.environment().put("SESSION_TTL_SECS", Integer.toString(SESSION_TTL_SECS));
    builder.environment().put("WEBSOCKET_HOST", "127.0.0.1");
    builder.environment().put("INSTANCES", "1");
    child = builder.start();
    try {
      Await.until(() -> {
        if (!child.isAlive()) {
          throw new IllegalStateException("node exited with " + child.exitValue());
        }
        return healthStatus() == 200;
      }, Duration.ofSeconds(45), "child node /health 200");
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nchild output:\n" + childOutput(), e);
    }
  }

  @AfterAll
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  static void stop() throws Exception {
    try {
      if (child != null) {
        child.destroyForcibly();
        child.waitFor(10, TimeUnit.SECONDS);
      }
    } finally {
      try {
        if (survivor != null) {
          survivor.close();
        }
      } finally {
        try {
          deleteKeys(redis, PREFIX);
        } finally {
          vertx.close().await(10, TimeUnit.SECONDS);
          if (childLog != null) {
            Files.deleteIfExists(childLog);
          }
        }
      }
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void sessionsOfAKilledNodeExpireAndNoLongerCount() throws Exception {
    String user = user();
    String token = new JwtIssuer(vertx, SECRET).issue(user, Duration.ofHours(1), null, List.of());
    String sessionsKey = PREFIX + ":sessions:" + user;
    // A second node on the same Redis and prefix, in this JVM, admitting one connection per user fleet-wide.
    survivor = TestNode.start(TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL).setRedisKeyPrefix(PREFIX))
        .limits(limits -> limits.setMaxConnectionsPerUser(1).setHeartbeatIntervalSecs(1))
        .state(state -> state.setSessionTtlSecs(SESSION_TTL_SECS))
        .auth(auth -> auth.setAuthTimeoutSecs(3)));

    try (WsClient client = WsClient.connect(vertx, childPort, "/ws")) {
      client.send(new JsonObject().put("type", "Authenticate").put("token", token).put("device", "Android"));
      JsonObject authenticated = client.next();
      assertEquals("Authenticated", authenticated.getString("type"), authenticated.encode());
      String id = authenticated.getString("connection_id");
      String connectionKey = PREFIX + ":connections:" + id;
      assertEquals(Set.of(id), members(sessionsKey));
      JsonObject meta = new JsonObject(send(redis, Command.GET, connectionKey).toString());
      assertEquals(user, meta.getString("user_id"));
      assertEquals("Android", meta.getString("device"));
      long ttl = send(redis, Command.TTL, connectionKey).toLong();
      assertTrue(ttl > 0 && ttl <= SESSION_TTL_SECS, "metadata TTL is session_ttl_secs: " + ttl);

      // While the child lives, its connection counts fleet-wide: the survivor refuses a second one.
      try (WsClient refused = survivor.open()) {
        refused.send(new JsonObject().put("type", "Authenticate").put("token", survivor.token(user)));
        JsonObject error = refused.next();
        assertEquals("Error", error.getString("type"), error.encode());
        assertEquals("connection_limit", error.getString("code"));
        CloseInfo close = refused.awaitClose(WAIT);
        assertEquals(4029, close.codeOr1006());
      }

      // Heartbeats rewrite the metadata (a newer last_ping) and so refresh its TTL while the node lives.
      String firstPing = meta.getString("last_ping");
      Await.until(() -> {
        Response now = send(redis, Command.GET, connectionKey);
        return now != null && !firstPing.equals(new JsonObject(now.toString()).getString("last_ping"));
      }, WAIT, "metadata touched by a heartbeat");

      long killedAt = System.nanoTime();
      child.destroyForcibly(); // SIGKILL: nothing is unregistered
      assertTrue(child.waitFor(10, TimeUnit.SECONDS), "child gone");
      Await.until(() -> send(redis, Command.EXISTS, connectionKey).toLong() == 0, Duration.ofSeconds(5),
          "the dead node's connection metadata expired");
      long expiredAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertTrue(expiredAfterMs <= 5000, "expired " + expiredAfterMs + " ms after the kill");

      // The stale id no longer counts: the session count is 0 and the survivor now admits the user.
      SessionStore sessions = new RedisSessionStore(redis, PREFIX, SESSION_TTL_SECS);
      assertEquals(0, Await.result(sessions.count(Ids.DEFAULT_TENANT, user), WAIT, "count"));
      try (WsClient admitted = survivor.connect(user)) {
        Set<String> now = members(sessionsKey);
        assertEquals(1, now.size(), now.toString());
        assertTrue(!now.contains(id), "the dead connection's id left the set: " + now);
      }
    }
  }

  private static Set<String> members(String key) {
    Set<String> out = new HashSet<>();
    Response r = send(redis, Command.SMEMBERS, key);
    r.forEach(x -> out.add(x.toString()));
    return out;
  }

  private static int healthStatus() {
    try {
      return http.request(HttpMethod.GET, childPort, "127.0.0.1", "/health")
          .compose(r -> r.send().map(resp -> resp.statusCode()))
          .toCompletionStage().toCompletableFuture().get(2, TimeUnit.SECONDS);
    } catch (Exception e) {
      return -1;
    }
  }

  private static String childOutput() {
    try {
      String out = Files.readString(childLog);
      return out.length() > 4000 ? out.substring(out.length() - 4000) : out;
    } catch (IOException e) {
      return "<unreadable: " + e + ">";
    }
  }
}
