package io.herald.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.ClusterFleet;
import io.herald.testkit.RedisTestKeys;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Revoking a JWT by its {@code jti} on a two-node clustered fleet sharing the real Redis: once
 * {@code <redis_key_prefix>:revoked-jti:<jti>} exists, the token's connections on both nodes ({@code /ws} and the
 * bridge) are closed with 4001 within {@code auth_recheck_secs} (1 s here) and the token is refused at authentication,
 * while a connection of the same user with another jti stays; a JWT with a jti that is not a short string is refused.
 */
@Timeout(90)
class RevocationIT {

  private static final int RECHECK_SECS = 1;
  /** The re-check interval, plus a Redis round trip and a loaded machine's delays. */
  private static final Duration CLOSED_WITHIN = Duration.ofSeconds(RECHECK_SECS + 3);
  private static final Duration T = Duration.ofSeconds(5);

  private static final List<TestNode> fleet = new CopyOnWriteArrayList<>();
  private static TestNode a;
  private static TestNode b;
  private static String prefix;
  private static Vertx clientVertx;
  private static Redis redis;
  private static JWTAuth issuer;

  @BeforeAll
  static void startFleet() throws Exception {
    clientVertx = Vertx.vertx();
    redis = Redis.createClient(clientVertx, TestNode.REDIS_URL);
    issuer = JWTAuth.create(clientVertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestNode.JWT_SECRET)));
    HeraldOptions options = TestNode.options()
        .cluster(cluster -> cluster.setCluster(true))
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .auth(auth -> auth.setAuthRecheckSecs(RECHECK_SECS));
    prefix = options.state().getRedisKeyPrefix();
    fleet.addAll(ClusterFleet.start(options, "A", "B"));
    a = fleet.get(0);
    b = fleet.get(1);
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
        if (redis != null) {
          redis.close();
        }
        if (clientVertx != null) {
          clientVertx.close().await(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static String token(String user, Object jti) {
    JsonObject claims = new JsonObject().put("sub", user);
    if (jti != null) {
      claims.put("jti", jti);
    }
    return issuer.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds(600));
  }

  /** What an operator (or the issuer at logout) does: the jti on the deny-list until the token would expire. */
  private static void revoke(String jti) {
    Await.result(redis.send(Request.cmd(Command.SET).arg(Authenticator.revokedJtiPrefix(prefix) + jti).arg("1")
        .arg("EX").arg(600)), T, "revoking " + jti);
  }

  private static JsonObject authenticate(String token) {
    return new JsonObject().put("type", "Authenticate").put("token", token).put("device", "Dashboard");
  }

  private static void assertAlive(WsClient client) {
    client.send(new JsonObject().put("type", "Ping"));
    assertEquals("Pong", client.awaitType("Pong", T).getString("type"));
  }

  @Test
  void aRevokedJtiClosesItsConnectionsOnEveryNodeWithin4001AndIsRefusedAfterwards() {
    String user = "revoked-" + UUID.randomUUID().toString().substring(0, 8);
    String jti = UUID.randomUUID().toString();
    String revokedToken = token(user, jti);
    List<WsClient> clients = new ArrayList<>();
    BridgeWsClient bridge = null;
    try {
      WsClient onA = a.connectWithToken(revokedToken, "Dashboard");
      clients.add(onA);
      WsClient onB = b.connectWithToken(revokedToken, "iOS");
      clients.add(onB);
      WsClient otherJti = b.connectWithToken(token(user, UUID.randomUUID().toString()), "Android");
      clients.add(otherJti);
      bridge = BridgeWsClient.raw(clientVertx, a.port(), "?token=" + revokedToken);
      assertEquals("Pong", bridge.call("herald.client.ping", new JsonObject()).getString("type"));
      // Re-checks pass while the jti is not listed.
      assertAlive(onB);

      revoke(jti);
      long start = System.nanoTime();
      assertEquals(4001, onA.awaitClose(CLOSED_WITHIN).codeOr1006());
      assertEquals(4001, onB.awaitClose(CLOSED_WITHIN).codeOr1006());
      assertEquals(4001, bridge.awaitClose(CLOSED_WITHIN).codeOr1006());
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(tookMs <= CLOSED_WITHIN.toMillis(), "closed after " + tookMs + " ms");
      // The same user's connection with another jti is untouched.
      assertAlive(otherJti);

      // Authentication refuses the token on either node.
      for (TestNode node : List.of(a, b)) {
        WsClient again = node.open();
        clients.add(again);
        again.send(authenticate(revokedToken));
        JsonObject error = again.awaitType("Error", T);
        assertEquals("token_invalid", error.getString("code"));
        assertEquals(4001, again.awaitClose(T).codeOr1006());
      }
    } finally {
      clients.forEach(WsClient::close);
      if (bridge != null) {
        bridge.close();
      }
    }
  }

  @Test
  void aJwtWhoseJtiIsNotAShortStringIsRefused() {
    for (Object jti : List.of(42, "", "j".repeat(Authenticator.MAX_JTI_LENGTH + 1))) {
      WsClient client = a.open();
      try {
        client.send(authenticate(token("odd-jti", jti)));
        assertEquals("token_invalid", client.awaitType("Error", T).getString("code"), "jti " + jti);
        assertEquals(4001, client.awaitClose(T).codeOr1006());
      } finally {
        client.close();
      }
    }
    // The longest jti accepted authenticates.
    a.connectWithToken(token("long-jti", "j".repeat(Authenticator.MAX_JTI_LENGTH)), "Dashboard").close();
  }
}
