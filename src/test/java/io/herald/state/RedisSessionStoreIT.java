package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Filters;
import io.herald.model.Ids;
import io.herald.model.Priority;
import io.herald.testkit.Await;
import io.herald.testkit.RedisTestKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The session contract on the shared Redis, plus what only Redis shows: the limit under a race between two nodes,
 * the keys' shapes and TTLs, and the scripts on a server that has never seen them.
 */
class RedisSessionStoreIT extends SessionStoreContract {

  private static final String PREFIX = RedisTestKeys.uniquePrefix();

  /** Two Vert.x instances with a Redis client each: two nodes as far as Redis can tell. */
  private static Vertx vertx;
  private static Vertx otherVertx;
  private static Redis redis;
  private static Redis otherRedis;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    otherVertx = Vertx.vertx();
    redis = RedisTestKeys.createClient(vertx);
    otherRedis = RedisTestKeys.createClient(otherVertx);
  }

  @AfterAll
  static void stop() throws Exception {
    RedisTestKeys.deleteKeysAndClose(redis, PREFIX, otherVertx, vertx);
  }

  @Override
  protected SessionStore newStore(long sessionTtlSecs) {
    return new RedisSessionStore(redis, PREFIX, sessionTtlSecs);
  }

  @Override
  protected void elapse(Duration duration) {
    try {
      Thread.sleep(duration.toMillis()); // Redis expires keys on its own clock: there is no event to await
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static Response send(Redis client, Command command, Object... args) {
    Request request = Request.cmd(command);
    for (Object arg : args) {
      request.arg(arg.toString());
    }
    return await(client.send(request));
  }

  private static String sessionsKey(String user) {
    return PREFIX + ":sessions:" + user;
  }

  private static String connectionKey(String connectionId) {
    return PREFIX + ":connections:" + connectionId;
  }

  private static Set<String> members(String user) {
    Set<String> ids = new HashSet<>();
    send(redis, Command.SMEMBERS, sessionsKey(user)).forEach(id -> ids.add(id.toString()));
    return ids;
  }

  private static long ttl(String key) {
    return send(redis, Command.TTL, key).toLong();
  }

  @Test
  void twoNodesRacingAdmitExactlyTheLimit() {
    SessionStore nodeA = new RedisSessionStore(redis, PREFIX, 90);
    SessionStore nodeB = new RedisSessionStore(otherRedis, PREFIX, 90);
    for (int round = 0; round < 3; round++) {
      String user = uniqueUser();
      List<Future<Boolean>> attempts = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        SessionStore node = i % 2 == 0 ? nodeA : nodeB;
        attempts.add(node.register(session(user, user + "-c" + i), 10));
      }
      await(Future.join(attempts));

      Set<String> admitted = new HashSet<>();
      for (int i = 0; i < attempts.size(); i++) {
        String id = user + "-c" + i;
        if (attempts.get(i).result()) {
          admitted.add(id);
          assertNotNull(send(redis, Command.GET, connectionKey(id)), "metadata of admitted " + id);
        } else {
          assertNull(send(redis, Command.GET, connectionKey(id)), "a refused connection writes no metadata: " + id);
        }
      }
      assertEquals(10, admitted.size(), "admitted out of 20 racing for a limit of 10, round " + round);
      assertEquals(admitted, members(user));
      assertEquals(10, await(nodeB.count(Ids.DEFAULT_TENANT, user)));
    }
  }

  @Test
  void metadataIsTheDocumentedJsonWithItsTtl() {
    SessionStore store = newStore(90);
    String user = uniqueUser();
    Instant connectedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    Filters filters = new Filters(Set.of(Priority.HIGH, Priority.CRITICAL), Set.of("alert-7"), Set.of("Ethereum"));
    SessionInfo session = new SessionInfo("acme", user, user + "-a", "mobile", connectedAt, connectedAt.plusSeconds(30),
        "203.0.113.9", "Herald-Test/1.0", filters, "node-7");

    assertTrue(await(store.register(session, 5)));

    String userKey = "acme/" + user;
    assertEquals(Set.of(user + "-a"), members(userKey));
    JsonObject json = new JsonObject(send(redis, Command.GET, connectionKey(user + "-a")).toString());
    assertEquals(user, json.getString("user_id"));
    assertEquals(user + "-a", json.getString("connection_id"));
    assertEquals("mobile", json.getString("device"));
    assertEquals(connectedAt.toString(), json.getString("connected_at"));
    assertEquals(connectedAt.plusSeconds(30).toString(), json.getString("last_ping"));
    assertEquals("203.0.113.9", json.getString("ip_address"));
    assertEquals("Herald-Test/1.0", json.getString("user_agent"));
    assertEquals("node-7", json.getString("node_id"));
    JsonObject storedFilters = json.getJsonObject("filters");
    assertEquals(Set.of("High", "Critical"), new HashSet<>(storedFilters.getJsonArray("priorities").getList()));
    assertEquals(new JsonArray().add("alert-7"), storedFilters.getJsonArray("alert_ids"));
    assertEquals(new JsonArray().add("ethereum"), storedFilters.getJsonArray("chains"));

    long metadataTtl = ttl(connectionKey(user + "-a"));
    assertTrue(metadataTtl > 85 && metadataTtl <= 90, "metadata TTL " + metadataTtl);
    long setTtl = ttl(sessionsKey(userKey));
    assertTrue(setTtl > 85 && setTtl <= 90, "sessions set TTL " + setTtl);
  }

  @Test
  void touchResetsBothTtlsAndRewritesTheMetadata() {
    SessionStore store = newStore(90);
    String user = uniqueUser();
    SessionInfo session = session(user, user + "-a");
    assertTrue(await(store.register(session, 5)));
    send(redis, Command.EXPIRE, connectionKey(user + "-a"), 5);
    send(redis, Command.EXPIRE, sessionsKey(user), 5);

    Instant ping = session.lastPing().plusSeconds(25);
    await(store.touch(new SessionInfo(session.tenant(), user, user + "-a", session.device(), session.connectedAt(), ping,
        session.ipAddress(), session.userAgent(), session.filters(), session.nodeId())));

    assertTrue(ttl(connectionKey(user + "-a")) >= 89, "metadata TTL back to 90");
    assertTrue(ttl(sessionsKey(user)) >= 89, "sessions set TTL back to 90");
    JsonObject json = new JsonObject(send(redis, Command.GET, connectionKey(user + "-a")).toString());
    assertEquals(ping.toString(), json.getString("last_ping"));
  }

  @Test
  void theSetKeepsTheLongestTtlItsMembersNeed() {
    String user = uniqueUser();
    assertTrue(await(new RedisSessionStore(redis, PREFIX, 90).register(session(user, user + "-long"), 5)));
    assertTrue(await(new RedisSessionStore(redis, PREFIX, 1).register(session(user, user + "-short"), 5)));
    assertTrue(ttl(sessionsKey(user)) >= 89, "a 1 s member does not shorten the set below its 90 s member");
  }

  @Test
  void countRemovesIdsWhoseMetadataExpired() {
    String user = uniqueUser();
    assertTrue(await(new RedisSessionStore(redis, PREFIX, 1).register(session(user, user + "-dead"), 5)));
    assertTrue(await(new RedisSessionStore(redis, PREFIX, 90).register(session(user, user + "-alive"), 5)));

    elapse(Duration.ofMillis(1100));
    assertNull(send(redis, Command.GET, connectionKey(user + "-dead")), "the dead connection's metadata expired");
    assertEquals(Set.of(user + "-dead", user + "-alive"), members(user), "still in the set until counted");

    assertEquals(1, await(newStore(90).count(Ids.DEFAULT_TENANT, user)));
    assertEquals(Set.of(user + "-alive"), members(user));
  }

  @Test
  void aKilledNodeLeavesNothingBehindAfterTheTtl() {
    SessionStore store = newStore(1);
    String user = uniqueUser();
    assertTrue(await(store.register(session(user, user + "-a"), 5)));
    assertTrue(await(store.register(session(user, user + "-b"), 5)));

    elapse(Duration.ofMillis(1100));

    assertEquals(0, send(redis, Command.EXISTS, sessionsKey(user), connectionKey(user + "-a"), connectionKey(user + "-b"))
        .toInteger(), "no key of a node that stopped touching outlives the TTL");
  }

  @Test
  void unregisteringTheLastConnectionDeletesItsKeys() {
    SessionStore store = newStore(90);
    String user = uniqueUser();
    assertTrue(await(store.register(session(user, user + "-a"), 5)));
    await(store.unregister(Ids.DEFAULT_TENANT, user, user + "-a"));
    assertEquals(0, send(redis, Command.EXISTS, sessionsKey(user), connectionKey(user + "-a")).toInteger());
  }

  @Test
  void scriptsRunOnAServerThatHasNotCachedThem() throws IOException {
    int port = freePort();
    Process server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    Redis privateRedis = Redis.createClient(vertx, "redis://127.0.0.1:" + port);
    try {
      Await.until(() -> {
        if (!server.isAlive()) {
          throw new IllegalStateException("redis-server exited with " + server.exitValue());
        }
        return answersPing(privateRedis);
      }, Duration.ofSeconds(10), "private redis-server on port " + port);
      SessionStore store = new RedisSessionStore(privateRedis, "websocket", 90);

      assertTrue(await(store.register(session("u1", "c1"), 1)), "EVALSHA fails with NOSCRIPT, EVAL runs it");
      assertFalse(await(store.register(session("u1", "c2"), 1)), "EVALSHA of the now cached script");
      send(privateRedis, Command.SCRIPT, "FLUSH");
      assertEquals(1, await(store.count(Ids.DEFAULT_TENANT, "u1")), "after SCRIPT FLUSH");
      assertFalse(await(store.register(session("u1", "c2"), 1)), "after SCRIPT FLUSH");
    } finally {
      await(privateRedis.close());
      server.destroy();
      try {
        if (!server.waitFor(5, TimeUnit.SECONDS)) {
          server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static boolean answersPing(Redis client) {
    try {
      return client.send(Request.cmd(Command.PING)).map(true).otherwise(false).await(1, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      return socket.getLocalPort();
    }
  }
}
