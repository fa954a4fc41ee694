package io.herald.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.testkit.Await;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Authentication against real nodes with real WebSocket clients: JWT (HS256, RS256, ES256, issuer and audience),
 * Knox tokens in the real Redis, the auth timeout, Refresh, token expiry and the redaction of tokens.
 */
@Timeout(60)
class AuthIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** HS256 only, no Redis, auth timeout 1 s, expired tokens closed 1 s after their exp. */
  private static TestNode node;
  /** HS256 plus Knox through the shared Redis. */
  private static TestNode knoxNode;
  private static Redis redis;
  private static JWTAuth hs256;
  private static KeyPair rsa;
  private static final List<String> knoxKeys = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(TestNode.options().auth(auth -> auth.setAuthTimeoutSecs(1).setExpiredCloseDelaySecs(1)));
    knoxNode = TestNode.start(TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .auth(auth -> auth.setAuthRecheckSecs(1)));
    redis = Redis.createClient(node.vertx(), TestNode.REDIS_URL);
    hs256 = JWTAuth.create(node.vertx(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(TestNode.JWT_SECRET)));
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    rsa = generator.generateKeyPair();
  }

  @AfterAll
  static void stop() {
    try {
      if (redis != null && !knoxKeys.isEmpty()) {
        Request del = Request.cmd(Command.DEL);
        knoxKeys.forEach(del::arg);
        Await.result(redis.send(del), T, "deleting the Knox test keys");
        redis.close();
      }
    } finally {
      if (knoxNode != null) {
        knoxNode.close();
      }
      if (node != null) {
        node.close();
      }
    }
  }

  // ---------------------------------------------------------------- JWT success

  @Test
  void jwtInFirstFrameAuthenticates() {
    try (WsClient client = node.open()) {
      client.send(authenticate(node.token("alice"), "iOS"));
      JsonObject ok = client.next();
      assertEquals("Authenticated", ok.getString("type"), ok.encode());
      assertEquals(ok.getString("connection_id"), UUID.fromString(ok.getString("connection_id")).toString());
      assertEquals("alice", ok.getString("user_id"));
      assertEquals("iOS", ok.getString("device"));
      assertEquals("default", ok.getString("tenant"));
      assertEquals(node.node().nodeId(), ok.getString("node_id"));
      Instant expiresAt = Instant.parse(ok.getString("expires_at"));
      assertTrue(expiresAt.isAfter(Instant.now().plus(Duration.ofMinutes(59))), ok.encode());
      assertPingAnswered(client);
    }
  }

  @Test
  void jwtInQueryParameterAuthenticatesWithoutAFrame() {
    try (WsClient client = WsClient.connect(node.vertx(), node.port(), "/ws?token=" + node.token("bob"))) {
      JsonObject ok = client.next();
      assertEquals("Authenticated", ok.getString("type"), ok.encode());
      assertEquals("bob", ok.getString("user_id"));
      assertEquals("Unknown", ok.getString("device"));
      UUID.fromString(ok.getString("connection_id"));
      assertPingAnswered(client);
    }
  }

  @Test
  void jwtInAuthorizationHeaderAuthenticatesAndAPingRightAfterTheUpgradeIsAnswered() {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("localhost").setPort(node.port())
        .setURI("/ws").addHeader("Authorization", "Bearer " + node.token("carol"));
    try (WsClient client = WsClient.connect(node.vertx(), options, null)) {
      // Sent before anything is received: the node holds it until authentication completes.
      client.send(new JsonObject().put("type", "Ping"));
      JsonObject ok = client.next();
      assertEquals("Authenticated", ok.getString("type"), ok.encode());
      assertEquals("carol", ok.getString("user_id"));
      assertEquals("Unknown", ok.getString("device"));
      JsonObject pong = client.next();
      assertEquals("Pong", pong.getString("type"), pong.encode());
      assertFalse(client.isClosed());
    }
  }

  @Test
  void userIdClaimWorksLikeSubAndTenantClaimLandsInAuthenticated() {
    String bySub = hs(new JsonObject().put("sub", "dora").put("exp", inOneHour()));
    assertEquals("dora", authenticated(node, bySub).getString("user_id"));

    String byUserId = hs(new JsonObject().put("user_id", "erin").put("tenant", "acme").put("exp", inOneHour()));
    JsonObject ok = authenticated(node, byUserId);
    assertEquals("erin", ok.getString("user_id"));
    assertEquals("acme", ok.getString("tenant"));
  }

  // ---------------------------------------------------------------- JWT and protocol failures

  @Test
  void authenticateWithoutTokenClosesWith4000() {
    try (WsClient client = node.open()) {
      client.send(new JsonObject().put("type", "Authenticate").put("device", "Dashboard"));
      assertError(client.next(), ErrorCode.INVALID);
      assertClose(client, CloseCode.AUTH_MISSING);
    }
  }

  @Test
  void firstMessageNotAuthenticateClosesWith4000() {
    try (WsClient client = node.open()) {
      client.send(new JsonObject().put("type", "Subscribe").put("topics", new io.vertx.core.json.JsonArray().add("news")));
      assertError(client.next(), ErrorCode.NOT_AUTHENTICATED);
      assertClose(client, CloseCode.AUTH_MISSING);
    }
  }

  @Test
  void malformedJsonBeforeAuthenticationClosesWith4000() {
    try (WsClient client = node.open()) {
      client.sendText("{\"type\":\"Authenticate\",\"token\":");
      assertError(client.next(), ErrorCode.MALFORMED);
      assertClose(client, CloseCode.AUTH_MISSING);
    }
  }

  @Test
  void badSignatureIsRefusedWith4001() {
    JWTAuth other = JWTAuth.create(node.vertx(), new JWTAuthOptions().addPubSecKey(
        new PubSecKeyOptions().setAlgorithm("HS256").setBuffer("another-secret-another-secret-another-secret")));
    String forged = other.generateToken(new JsonObject().put("sub", "mallory").put("exp", inOneHour()),
        new JWTOptions().setAlgorithm("HS256"));
    assertRefused(node, forged, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);

    // A valid token whose payload was swapped keeps its (now wrong) signature.
    String[] valid = node.token("alice").split("\\.");
    String[] evil = hs(new JsonObject().put("sub", "admin").put("exp", inOneHour())).split("\\.");
    assertRefused(node, valid[0] + "." + evil[1] + "." + valid[2], ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
  }

  @Test
  void expiredTokenIsRefusedWith4001() {
    long past = Instant.now().minus(Duration.ofMinutes(5)).getEpochSecond();
    String expired = hs(new JsonObject().put("sub", "alice").put("exp", past).put("iat", past - 60));
    assertRefused(node, expired, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
  }

  @Test
  void algNoneTokenIsRefusedWith4001() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    String payload = b64.encodeToString(new JsonObject().put("sub", "alice").put("exp", inOneHour()).encode()
        .getBytes(StandardCharsets.UTF_8));
    String unsigned = header + "." + payload + ".";
    assertTrue(Tokens.looksLikeJwt(unsigned), "an alg:none token must reach the JWT path");
    assertRefused(node, unsigned, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
  }

  @Test
  void rs256TokenOnAnHs256OnlyNodeIsRefusedWith4001() {
    String token = signer("RS256", pem("PRIVATE KEY", rsa.getPrivate().getEncoded()))
        .generateToken(new JsonObject().put("sub", "alice").put("exp", inOneHour()), new JWTOptions().setAlgorithm("RS256"));
    assertRefused(node, token, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
  }

  @Test
  void tokenWithoutExpIsRefusedWith4001() {
    String noExp = hs256.generateToken(new JsonObject().put("sub", "alice"), new JWTOptions().setAlgorithm("HS256"));
    assertFalse(payloadOf(noExp).containsKey("exp"), "the test token must have no exp");
    assertRefused(node, noExp, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
  }

  @Test
  void issuerAndAudienceAreCheckedWhenConfigured() {
    try (TestNode strict = TestNode.start(TestNode.options().auth(auth -> auth.setJwtIssuer("https://auth.herald.test")
            .setJwtAudience("herald")))) {
      JsonObject good = new JsonObject().put("sub", "alice").put("exp", inOneHour())
          .put("iss", "https://auth.herald.test").put("aud", "herald");
      assertEquals("alice", authenticated(strict, hs(good)).getString("user_id"));
      JsonObject audArray = good.copy().put("aud", new io.vertx.core.json.JsonArray().add("other").add("herald"));
      assertEquals("alice", authenticated(strict, hs(audArray)).getString("user_id"));

      assertRefused(strict, hs(good.copy().put("iss", "https://evil.test")), ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
      assertRefused(strict, hs(good.copy().put("aud", "other")), ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
      JsonObject noIss = good.copy();
      noIss.remove("iss");
      assertRefused(strict, hs(noIss), ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
      JsonObject noAud = good.copy();
      noAud.remove("aud");
      assertRefused(strict, hs(noAud), ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
    }
  }

  @Test
  void rs256WithConfiguredPublicKeyAuthenticates() {
    String publicPem = pem("PUBLIC KEY", rsa.getPublic().getEncoded());
    JWTAuth signer = signer("RS256", pem("PRIVATE KEY", rsa.getPrivate().getEncoded()));
    try (TestNode rsNode = TestNode.start(TestNode.options().auth(auth -> auth.setJwtPublicKey(publicPem)))) {
      String token = signer.generateToken(new JsonObject().put("sub", "rsa-user").put("exp", inOneHour()),
          new JWTOptions().setAlgorithm("RS256"));
      assertEquals("RS256", headerOf(token).getString("alg"));
      assertEquals("rsa-user", authenticated(rsNode, token).getString("user_id"));
      // HS256 tokens keep working next to the public key.
      assertEquals("alice", authenticated(rsNode, rsNode.token("alice")).getString("user_id"));
    }
  }

  @Test
  void es256WithConfiguredPublicKeyAuthenticates() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ec = generator.generateKeyPair();
    JWTAuth signer = signer("ES256", pem("PRIVATE KEY", ec.getPrivate().getEncoded()));
    try (TestNode esNode = TestNode.start(TestNode.options()
        .auth(auth -> auth.setJwtPublicKey(pem("PUBLIC KEY", ec.getPublic().getEncoded()))))) {
      String token = signer.generateToken(new JsonObject().put("sub", "ec-user").put("exp", inOneHour()),
          new JWTOptions().setAlgorithm("ES256"));
      assertEquals("ES256", headerOf(token).getString("alg"));
      assertEquals("ec-user", authenticated(esNode, token).getString("user_id"));
      // An RS256 token is not accepted by an EC key.
      String rsToken = signer("RS256", pem("PRIVATE KEY", rsa.getPrivate().getEncoded()))
          .generateToken(new JsonObject().put("sub", "rsa-user").put("exp", inOneHour()), new JWTOptions().setAlgorithm("RS256"));
      assertRefused(esNode, rsToken, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
    }
  }

  @Test
  void nodeWithoutAnyJwtKeyRefusesEveryJwtButAcceptsKnox() {
    // Without a key vertx-auth-jwt would verify nothing ("unsecure" mode): a Knox-only node must refuse all JWTs.
    try (TestNode knoxOnly = TestNode.start(TestNode.options()
        .auth(auth -> auth.setJwtSecret(null))
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL)))) {
      assertRefused(knoxOnly, node.token("alice"), ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
      Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
      String unsigned = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
          + b64.encodeToString(new JsonObject().put("sub", "alice").put("exp", inOneHour()).encode()
          .getBytes(StandardCharsets.UTF_8)) + ".";
      assertRefused(knoxOnly, unsigned, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
      String knox = knoxToken();
      putKnox(knox.substring(0, 8), knoxRecord("knox-user", knox));
      assertEquals("knox-user", authenticated(knoxOnly, knox).getString("user_id"));
    }
  }

  // ---------------------------------------------------------------- auth timeout

  @Test
  void silentConnectionIsClosedWith4008AfterTheAuthTimeout() {
    try (WsClient client = node.open()) {
      long start = System.nanoTime();
      CloseInfo close = client.awaitClose(Duration.ofSeconds(3));
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertEquals(CloseCode.AUTH_TIMEOUT.code(), close.codeOr1006(), String.valueOf(close));
      assertTrue(elapsedMs >= 800, "closed after " + elapsedMs + " ms, before auth_timeout_secs=1");
    }
  }

  // ---------------------------------------------------------------- Knox

  @Test
  void knoxTokenWithDigestUnderItsKeyAuthenticatesWithTenant() {
    String token = knoxToken();
    putKnox(token.substring(0, 8), knoxRecord("knox-user", token).put("tenant_id", "acme"));
    JsonObject ok = authenticated(knoxNode, token);
    assertEquals("knox-user", ok.getString("user_id"));
    assertEquals("acme", ok.getString("tenant"));
    assertNotNull(ok.getValue("connection_id"));
    assertTrue(ok.getValue("expires_at") == null, "a Knox record without expiry has no expires_at: " + ok.encode());
  }

  @Test
  void knoxTokenSharingTheKeyButNotTheDigestIsRefused() {
    String token = knoxToken();
    putKnox(token.substring(0, 8), knoxRecord("knox-user", token));
    String impostor = token.substring(0, 8) + knoxToken().substring(8);
    assertRefused(knoxNode, impostor, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
    assertEquals("knox-user", authenticated(knoxNode, token).getString("user_id"));
  }

  @Test
  void knoxRecordWithoutDigestUnderTheKeyOnlyIsRefused() {
    String token = knoxToken();
    putKnox(token.substring(0, 8), new JsonObject().put("user_id", "knox-user"));
    assertRefused(knoxNode, token, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
  }

  @Test
  void knoxTokenKeyAloneNeverAuthenticates() {
    // Ekko's producers write digest-less records under the token key; the key is the token's non-secret prefix,
    // so presenting the key itself as the token must not find "its own" record and authenticate.
    String tokenKey = knoxToken().substring(0, 8);
    putKnox(tokenKey, new JsonObject().put("user_id", "victim").put("token_key", tokenKey));
    assertRefused(knoxNode, tokenKey, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
  }

  @Test
  void knoxRecordWithoutDigestUnderTheWholeTokenAuthenticates() {
    String token = knoxToken();
    putKnox(token, new JsonObject().put("user_id", "whole-user"));
    assertEquals("whole-user", authenticated(knoxNode, token).getString("user_id"));
  }

  @Test
  void knoxConnectionIsClosedWith4001OnceItsRecordIsDeleted() {
    // A Knox record without expiry: nothing but the re-check (auth_recheck_secs=1 here) notices a logout.
    String token = knoxToken();
    putKnox(token.substring(0, 8), knoxRecord("knox-user", token));
    try (WsClient client = knoxNode.connectWithToken(token, "Dashboard")) {
      // Two re-checks pass while the record is there.
      client.assertNoFrame(Duration.ofMillis(2200));
      assertFalse(client.isClosed());
      Await.result(redis.send(Request.cmd(Command.DEL).arg(Authenticator.KNOX_KEY_PREFIX + token.substring(0, 8))),
          T, "deleting the Knox record (logout)");
      assertError(client.next(Duration.ofSeconds(3)), ErrorCode.TOKEN_INVALID);
      assertClose(client, CloseCode.TOKEN_INVALID);
    }
  }

  @Test
  void knoxBridgeSocketIsClosedWith4001OnceItsRecordIsDeleted() {
    String token = knoxToken();
    putKnox(token.substring(0, 8), knoxRecord("knox-user", token));
    try (BridgeWsClient bridge = BridgeWsClient.raw(knoxNode.vertx(), knoxNode.port(), "")) {
      JsonObject status = bridge.request("herald.client.status", new JsonObject(), new JsonObject().put("token", token))
          .getJsonObject("body");
      assertEquals("knox-user", status.getString("user_id"));
      // Re-checks pass while the record is there (auth_recheck_secs=1 here).
      bridge.assertNothing(Duration.ofMillis(2200));
      assertFalse(bridge.isClosed());
      Await.result(redis.send(Request.cmd(Command.DEL).arg(Authenticator.KNOX_KEY_PREFIX + token.substring(0, 8))),
          T, "deleting the Knox record (logout)");
      CloseInfo close = bridge.awaitClose(Duration.ofSeconds(3));
      assertEquals(CloseCode.TOKEN_INVALID.code(), close.codeOr1006(), close.toString());
    }
  }

  @Test
  void expiredKnoxRecordIsRefusedAndFutureExpiryAuthenticates() {
    String expired = knoxToken();
    putKnox(expired.substring(0, 8), knoxRecord("knox-user", expired)
        .put("expiry", Instant.now().minus(Duration.ofHours(1)).toString()));
    assertRefused(knoxNode, expired, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);

    String fresh = knoxToken();
    OffsetDateTime expiry = OffsetDateTime.now(ZoneOffset.ofHours(2)).plusHours(1).truncatedTo(ChronoUnit.MICROS);
    putKnox(fresh.substring(0, 8), knoxRecord("knox-user", fresh).put("expiry", expiry.toString()));
    JsonObject ok = authenticated(knoxNode, fresh);
    assertEquals("knox-user", ok.getString("user_id"));
    assertEquals(expiry.toInstant(), Instant.parse(ok.getString("expires_at")));
  }

  @Test
  void messagesSentWhileAnUpgradeKnoxTokenIsCheckedAreHandledAsAuthenticated() {
    String token = knoxToken();
    putKnox(token, new JsonObject().put("user_id", "slow-user"));   // two Redis lookups before the outcome
    try (WsClient client = WsClient.connect(knoxNode.vertx(), knoxNode.port(), "/ws?token=" + token)) {
      client.send(new JsonObject().put("type", "Ping"));
      client.send(new JsonObject().put("type", "GetStatus"));
      JsonObject ok = client.next();
      assertEquals("Authenticated", ok.getString("type"), ok.encode());
      assertEquals("Pong", client.next().getString("type"));
      assertEquals("slow-user", client.next().getString("user_id"));
    }
  }

  @Test
  void knoxTokenOnANodeWithoutRedisIsRefused() {
    String token = knoxToken();
    assertRefused(node, token, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID);
  }

  // ---------------------------------------------------------------- secrets

  @Test
  void refusalsNeverEchoTheToken() {
    String badJwt = hs(new JsonObject().put("sub", "alice").put("exp", Instant.now().minusSeconds(600).getEpochSecond()));
    assertTokenAbsent(badJwt, assertRefused(node, badJwt, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID));

    String badKnox = knoxToken();
    putKnox(badKnox.substring(0, 8), knoxRecord("knox-user", knoxToken()));
    assertTokenAbsent(badKnox, assertRefused(knoxNode, badKnox, ErrorCode.TOKEN_INVALID, CloseCode.TOKEN_INVALID));

    // A token refused at the upgrade (query parameter) is not echoed either.
    try (WsClient client = WsClient.connect(node.vertx(), node.port(), "/ws?token=" + badJwt)) {
      JsonObject error = client.next();
      assertError(error, ErrorCode.TOKEN_INVALID);
      CloseInfo close = assertClose(client, CloseCode.TOKEN_INVALID);
      assertTokenAbsent(badJwt, new Refusal(error, close));
    }
  }

  // ---------------------------------------------------------------- Refresh

  @Test
  void refreshForTheSameUserAnswersRefreshedWithTheNewExpiry() {
    try (WsClient client = node.connect("alice")) {
      long exp = Instant.now().plus(Duration.ofHours(3)).getEpochSecond();
      client.send(refresh(hs(new JsonObject().put("sub", "alice").put("exp", exp))));
      JsonObject refreshed = client.next();
      assertEquals("Refreshed", refreshed.getString("type"), refreshed.encode());
      assertEquals(Instant.ofEpochSecond(exp), Instant.parse(refreshed.getString("expires_at")));
      assertPingAnswered(client);
    }
  }

  @Test
  void refreshWithAnotherUsersTokenIsForbiddenAndTheConnectionStays() {
    try (WsClient client = node.connect("alice")) {
      client.send(refresh(node.token("mallory")));
      assertError(client.next(), ErrorCode.FORBIDDEN);
      assertPingAnswered(client);
      client.send(new JsonObject().put("type", "GetStatus"));
      assertEquals("alice", client.awaitType("Status", T).getString("user_id"));
    }
  }

  @Test
  void refreshWithAnInvalidTokenIsRefusedAndTheConnectionStays() {
    try (WsClient client = node.connect("alice")) {
      client.send(refresh(node.token("alice") + "x"));
      assertError(client.next(), ErrorCode.TOKEN_INVALID);
      assertPingAnswered(client);
      long past = Instant.now().minusSeconds(60).getEpochSecond();
      client.send(refresh(hs(new JsonObject().put("sub", "alice").put("exp", past))));
      assertError(client.next(), ErrorCode.TOKEN_INVALID);
      assertPingAnswered(client);
    }
  }

  @Test
  void refreshWithATokenThatNoLongerGrantsATopicLeavesIt() {
    String user = "refresh-" + knoxToken().substring(0, 8);
    String kept = "kept." + user;
    String revoked = "revoked." + user;
    try (WsClient client = node.connectWithToken(
        node.token(user, Duration.ofHours(1), null, List.of("kept.*", "revoked.*")), "Dashboard")) {
      client.send(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray().add(kept).add(revoked)));
      assertEquals(2, client.awaitType("Subscribed", T).getJsonArray("all_topics").size());

      client.send(refresh(node.token(user, Duration.ofHours(1), null, List.of("kept.*"))));
      JsonObject refreshed = client.awaitType("Refreshed", T);
      assertEquals(new JsonArray().add(revoked), refreshed.getJsonArray("revoked_topics"), refreshed.encode());
      assertEquals(new JsonArray().add(kept), refreshed.getJsonArray("all_topics"), refreshed.encode());

      // The revoked topic's notification is published first: if it still arrived, it would come first.
      node.publish(new JsonObject().put("topic", revoked).put("message", "after revocation"));
      node.publish(new JsonObject().put("topic", kept).put("message", "still granted"));
      assertEquals("still granted", client.awaitType("Notification", T).getString("message"));
      client.assertNoFrame(Duration.ofMillis(300));
    }
  }

  // ---------------------------------------------------------------- expiry

  @Test
  void connectionIsClosedWith4001AfterItsTokenExpires() {
    String shortLived = node.token("alice", Duration.ofSeconds(2), null, List.of());
    long start = System.nanoTime();
    try (WsClient client = node.connectWithToken(shortLived, "Dashboard")) {
      JsonObject error = client.next(Duration.ofSeconds(6));
      assertError(error, ErrorCode.TOKEN_INVALID);
      assertClose(client, CloseCode.TOKEN_INVALID);
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      // exp is at most 2 s away, plus expired_close_delay_secs=1: never before the token is expired.
      assertTrue(elapsedMs >= 1000, "closed after " + elapsedMs + " ms, before the token expired");
    }
  }

  @Test
  void refreshBeforeExpiryKeepsTheConnectionOpen() {
    String shortLived = node.token("alice", Duration.ofSeconds(2), null, List.of());
    try (WsClient client = node.connectWithToken(shortLived, "Dashboard")) {
      client.send(refresh(node.token("alice", Duration.ofHours(1), null, List.of())));
      assertEquals("Refreshed", client.next().getString("type"));
      // The old token would have closed the connection within 3 s (exp <= 2 s away + 1 s delay).
      client.assertNoFrame(Duration.ofMillis(3500));
      assertFalse(client.isClosed());
      assertPingAnswered(client);
    }
  }

  // ---------------------------------------------------------------- second Authenticate

  @Test
  void secondAuthenticateIsAnErrorAndTheConnectionStays() {
    try (WsClient client = node.connect("alice")) {
      client.send(authenticate(node.token("bob"), "Dashboard"));
      assertError(client.next(), ErrorCode.ALREADY_AUTHENTICATED);
      assertPingAnswered(client);
      client.send(new JsonObject().put("type", "GetStatus"));
      assertEquals("alice", client.awaitType("Status", T).getString("user_id"));
    }
  }

  // ---------------------------------------------------------------- helpers

  private record Refusal(JsonObject error, CloseInfo close) {
  }

  private static JsonObject authenticate(String token, String device) {
    return new JsonObject().put("type", "Authenticate").put("token", token).put("device", device);
  }

  private static JsonObject refresh(String token) {
    return new JsonObject().put("type", "Refresh").put("token", token);
  }

  private static long inOneHour() {
    return Instant.now().plus(Duration.ofHours(1)).getEpochSecond();
  }

  /** HS256 with the test secret and exactly these claims (plus iat). */
  private static String hs(JsonObject claims) {
    return hs256.generateToken(claims, new JWTOptions().setAlgorithm("HS256"));
  }

  private static JWTAuth signer(String algorithm, String privatePem) {
    return JWTAuth.create(node.vertx(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(privatePem)));
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static JsonObject headerOf(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8));
  }

  private static JsonObject payloadOf(String jwt) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  /** Connects, authenticates through the first frame and returns the Authenticated frame (connection closed). */
  private static JsonObject authenticated(TestNode target, String token) {
    try (WsClient client = target.open()) {
      client.send(authenticate(token, "Dashboard"));
      JsonObject ok = client.next();
      assertEquals("Authenticated", ok.getString("type"), ok.encode());
      assertPingAnswered(client);
      return ok;
    }
  }

  /** Authenticate with the token must yield an Error with {@code error} then a close with {@code close}. */
  private static Refusal assertRefused(TestNode target, String token, ErrorCode error, CloseCode close) {
    try (WsClient client = target.open()) {
      client.send(authenticate(token, "Dashboard"));
      JsonObject frame = client.next();
      assertError(frame, error);
      return new Refusal(frame, assertClose(client, close));
    }
  }

  private static void assertError(JsonObject frame, ErrorCode code) {
    assertEquals("Error", frame.getString("type"), frame.encode());
    assertEquals(code.wireName(), frame.getString("code"), frame.encode());
  }

  private static CloseInfo assertClose(WsClient client, CloseCode code) {
    CloseInfo close = client.awaitClose(T);
    assertEquals(code.code(), close.codeOr1006(), String.valueOf(close));
    return close;
  }

  private static void assertPingAnswered(WsClient client) {
    client.send(new JsonObject().put("type", "Ping"));
    JsonObject pong = client.awaitType("Pong", T);
    assertNotNull(Instant.parse(pong.getString("timestamp")));
    assertFalse(client.isClosed());
  }

  /** Neither the token nor any 12-character piece of it appears in the Error frame or the close reason. */
  private static void assertTokenAbsent(String token, Refusal refusal) {
    List<String> texts = new ArrayList<>();
    texts.add(refusal.error().encode());
    texts.add(String.valueOf(refusal.close().reason()));
    for (String text : texts) {
      for (int i = 0; i + 12 <= token.length(); i++) {
        String piece = token.substring(i, i + 12);
        assertFalse(text.contains(piece), "token fragment '" + piece + "' leaked in: " + text);
      }
    }
  }

  // ---------------------------------------------------------------- Knox helpers

  /** A random 64-hex-character Knox-style token (unique keys in the shared Redis). */
  private static String knoxToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static String sha512Hex(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonObject knoxRecord(String userId, String token) {
    return new JsonObject().put("user_id", userId).put("digest", sha512Hex(token));
  }

  /** Stores a record under {@code knox:tokens:<suffix>} (5 min TTL as a safety net; deleted in @AfterAll). */
  private static void putKnox(String suffix, JsonObject record) {
    String key = Authenticator.KNOX_KEY_PREFIX + suffix;
    knoxKeys.add(key);
    Await.result(redis.send(Request.cmd(Command.SET).arg(key).arg(record.encode()).arg("EX").arg(300)), T, "SET " + key);
  }
}
