package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.auth.AuthenticatedUser;
import io.herald.auth.Authenticator;
import io.herald.config.AuthOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which connections are re-checked, and what a Redis outage does to a JWT with a {@code jti}: it is let in at
 * authentication and kept at the re-check (tried again), as a Knox connection is. The closing of a revoked one on a
 * fleet is {@code RevocationIT}'s.
 */
class TokenRecheckTest {

  private static final String SECRET = "token-recheck-test-secret-0123456789";

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void aRedisOutageLetsAJwtWithAJtiInAndKeepsItsConnectionAtTheRecheck() throws Exception {
    // A real client to a port nothing listens on: every command fails, as during an outage.
    Redis down = Redis.createClient(vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:1"));
    try {
      Authenticator authenticator = new Authenticator(vertx, new AuthOptions().setJwtSecret(SECRET), down, "websocket");
      JWTAuth jwt = JWTAuth.create(vertx, new JWTAuthOptions()
          .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
      String token = jwt.generateToken(new JsonObject().put("sub", "alice").put("jti", "j-1"),
          new JWTOptions().setExpiresInSeconds(300));
      AuthenticatedUser user = authenticator.authenticate(token).await(10, TimeUnit.SECONDS);
      assertEquals("j-1", user.jti());
      assertTrue(TokenRecheck.due(new AuthOptions(), authenticator, user, null));
      Future<AuthenticatedUser> recheck = authenticator.recheck(user, null);
      recheck.transform(done -> Future.succeededFuture()).await(10, TimeUnit.SECONDS);
      assertEquals(TokenRecheck.Outcome.RETRY, TokenRecheck.decide(recheck, user));
    } finally {
      down.close();
    }
  }

  @Test
  void aJtiIsRecheckedOnlyWithRedisAndWithRechecksOn() {
    AuthenticatedUser withJti = new AuthenticatedUser("alice", "default", List.of(), null, "jwt", "j-1");
    AuthenticatedUser withoutJti = new AuthenticatedUser("alice", "default", List.of(), null, "jwt");
    Redis redis = Redis.createClient(vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:1"));
    try {
      Authenticator withDenyList = new Authenticator(vertx, new AuthOptions().setJwtSecret(SECRET), redis, "websocket");
      Authenticator withoutRedis = new Authenticator(vertx, new AuthOptions().setJwtSecret(SECRET), null, "websocket");
      assertTrue(TokenRecheck.due(new AuthOptions(), withDenyList, withJti, null));
      assertFalse(TokenRecheck.due(new AuthOptions(), withDenyList, withoutJti, null));
      assertFalse(TokenRecheck.due(new AuthOptions(), withoutRedis, withJti, null));
      assertFalse(TokenRecheck.due(new AuthOptions().setAuthRecheckSecs(0), withDenyList, withJti, null));
    } finally {
      redis.close();
    }
  }
}
