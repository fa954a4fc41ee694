package io.herald.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pure unit tests: token classification and redaction, Knox digests, topic grants, claim mapping. */
class TokensTest {

  private static final String JWT =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

  // ---------------------------------------------------------------- redactUri

  @Test
  void redactUriDropsTheWholeQueryString() {
    assertEquals("/ws?<redacted>", Tokens.redactUri("/ws?token=" + JWT));
    assertEquals("/ws?<redacted>", Tokens.redactUri("/ws?device=iOS&token=secret123&x=1"));
    assertEquals("/ws?<redacted>", Tokens.redactUri("/ws?token=a&token=b"));
    assertEquals("/ws?<redacted>", Tokens.redactUri("/ws?token="));
    assertEquals("/ws?<redacted>", Tokens.redactUri("/ws?token=secret#frag"));
    // Decoded as "token" by the server: a redaction by parameter name would keep it.
    assertEquals("/ws?<redacted>", Tokens.redactUri("/ws?%74oken=secret"));
    assertEquals("/eventbus/info?<redacted>", Tokens.redactUri("/eventbus/info?t=1&token=secret\nsecond line"));
    assertEquals("/page?<redacted>", Tokens.redactUri("/page#token=secret"));
  }

  @Test
  void redactUriLeavesUrisWithoutQueryAlone() {
    assertNull(Tokens.redactUri(null));
    assertEquals("/ws", Tokens.redactUri("/ws"));
    assertEquals("/token=abc", Tokens.redactUri("/token=abc"), "a path segment is not a query parameter");
    assertEquals("/eventbus/123/abc/websocket", Tokens.redactUri("/eventbus/123/abc/websocket"));
  }

  // ---------------------------------------------------------------- hint

  @Test
  void hintShowsAtMostFourCharacters() {
    assertEquals("<none>", Tokens.hint(null));
    assertEquals("<none>", Tokens.hint(""));
    assertEquals("eyJh…", Tokens.hint(JWT));
    assertEquals("ab…", Tokens.hint("ab"));
    assertEquals("abcd…", Tokens.hint("abcd"));
    assertFalse(Tokens.hint("0123456789abcdef").contains("45"));
  }

  // ---------------------------------------------------------------- classification

  @Test
  void looksLikeJwtNeedsThreeBase64UrlParts() {
    assertTrue(Tokens.looksLikeJwt(JWT));
    assertTrue(Tokens.looksLikeJwt("aGVhZGVy.cGF5bG9hZA."), "alg none (empty signature) still takes the JWT path");
    assertTrue(Tokens.looksLikeJwt("a-_.b-_.c-_"));
    assertFalse(Tokens.looksLikeJwt("a.b"));
    assertFalse(Tokens.looksLikeJwt("a.b.c.d"));
    assertFalse(Tokens.looksLikeJwt(".b.c"));
    assertFalse(Tokens.looksLikeJwt("a..c"));
    assertFalse(Tokens.looksLikeJwt("a.b.c "));
    assertFalse(Tokens.looksLikeJwt("a+b.c.d"));
    assertFalse(Tokens.looksLikeJwt("0123456789abcdef0123456789abcdef"));
    assertFalse(Tokens.looksLikeJwt("a.b.c."));
    assertFalse(Tokens.looksLikeJwt(""));
    assertFalse(Tokens.looksLikeJwt("..."));
    assertFalse(Tokens.looksLikeJwt("\u00e9.b.c"), "letters outside base64url");
    assertFalse(Tokens.looksLikeJwt("a.b.c=="), "base64url in JWTs has no padding");
    assertFalse(Tokens.looksLikeJwt("a.b\n.c"));
  }

  @Test
  void looksLikeKnoxNeedsEightTo512UrlSafeCharacters() {
    assertTrue(Tokens.looksLikeKnox("abcdef01"));
    assertTrue(Tokens.looksLikeKnox("a".repeat(512)));
    assertTrue(Tokens.looksLikeKnox("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    assertTrue(Tokens.looksLikeKnox("AZaz09_-AZaz09_-"));
    assertFalse(Tokens.looksLikeKnox("abcdef0"), "7 characters");
    assertFalse(Tokens.looksLikeKnox("a".repeat(513)));
    assertFalse(Tokens.looksLikeKnox(JWT), "dots");
    assertFalse(Tokens.looksLikeKnox("abcdef01 "));
    assertFalse(Tokens.looksLikeKnox("abcd/ef01"));
  }

  // ---------------------------------------------------------------- digestMatches

  @Test
  void digestMatchesTheHexSha512OfTheWholeToken() throws Exception {
    String token = "0123456789abcdef0123456789abcdef";
    String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(token.getBytes(StandardCharsets.UTF_8)));
    assertTrue(Authenticator.digestMatches(hex, token));
    assertTrue(Authenticator.digestMatches(hex.toUpperCase(), token), "hex case does not matter");
    assertTrue(Authenticator.digestMatches(" " + hex + "\n", token), "surrounding whitespace is trimmed");
    assertFalse(Authenticator.digestMatches(hex, token + "0"));
    assertFalse(Authenticator.digestMatches(hex, token.substring(0, 8)), "the key part alone does not match");
    assertFalse(Authenticator.digestMatches(hex.substring(0, 64), token), "a truncated digest");
    assertFalse(Authenticator.digestMatches(hex.substring(1), token), "odd length");
    assertFalse(Authenticator.digestMatches("zz" + hex.substring(2), token), "not hex");
    assertFalse(Authenticator.digestMatches("", token));
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    assertFalse(Authenticator.digestMatches(sha256, token), "another hash function");
  }

  // ---------------------------------------------------------------- grants

  @Test
  void grantsExactTopicsAndStarPrefixes() {
    AuthenticatedUser user = new AuthenticatedUser("alice", "default", List.of("news", "alerts.*"), null, "jwt");
    assertTrue(user.grants("news"));
    assertFalse(user.grants("news.sport"), "an exact grant is not a prefix");
    assertFalse(user.grants("new"));
    assertTrue(user.grants("alerts.btc"));
    assertTrue(user.grants("alerts.btc.whale"));
    assertTrue(user.grants("alerts."), "the prefix itself with nothing after it");
    assertFalse(user.grants("alerts"), "the prefix without its dot");
    assertFalse(user.grants("alert.btc"));
    assertFalse(user.grants("other"));
  }

  @Test
  void starAloneGrantsEverythingAndNoGrantsGrantNothing() {
    assertTrue(new AuthenticatedUser("u", "default", List.of("*"), null, "jwt").grants("anything"));
    assertFalse(new AuthenticatedUser("u", "default", List.of(), null, "jwt").grants("news"));
    assertFalse(new AuthenticatedUser("u", "default", List.of("news*x"), null, "jwt").grants("newsyx"),
        "a star inside a grant is literal");
  }

  // ---------------------------------------------------------------- claim and record mapping

  @Test
  void jwtClaimsMapToTheUser() {
    long exp = Instant.now().plusSeconds(3600).getEpochSecond();
    AuthenticatedUser user = Authenticator.fromJwtClaims(new JsonObject().put("sub", "alice").put("exp", exp)
        .put("tenant", "acme").put("topics", new JsonArray().add("news").add(7).add("").add("alerts.*")));
    assertEquals("alice", user.userId());
    assertEquals("acme", user.tenant());
    assertEquals(List.of("news", "alerts.*"), user.topics());
    assertEquals(Instant.ofEpochSecond(exp), user.expiresAt());
    assertEquals("jwt", user.method());

    AuthenticatedUser numeric = Authenticator.fromJwtClaims(new JsonObject().put("user_id", 42).put("exp", exp));
    assertEquals("42", numeric.userId());
    assertEquals("default", numeric.tenant());
  }

  @Test
  void jwtClaimsWithoutExpOrValidUserOrTenantAreInvalid() {
    long exp = Instant.now().plusSeconds(3600).getEpochSecond();
    assertInvalid(() -> Authenticator.fromJwtClaims(new JsonObject().put("sub", "alice")));
    assertInvalid(() -> Authenticator.fromJwtClaims(new JsonObject().put("sub", "alice").put("exp", "soon")));
    assertInvalid(() -> Authenticator.fromJwtClaims(new JsonObject().put("exp", exp)));
    assertInvalid(() -> Authenticator.fromJwtClaims(new JsonObject().put("sub", "a b").put("exp", exp)));
    assertInvalid(() -> Authenticator.fromJwtClaims(new JsonObject().put("sub", "alice").put("exp", exp).put("tenant", "a/b")));
    assertInvalid(() -> Authenticator.fromJwtClaims(new JsonObject().put("sub", "alice").put("exp", exp).put("tenant", 5)));
  }

  @Test
  void knoxRecordsAreVerified() {
    String token = "0123456789abcdef0123456789abcdef";
    String digest = sha512(token);
    long future = Instant.now().plusSeconds(600).getEpochSecond();
    AuthenticatedUser user = Authenticator.verifyKnox(new JsonObject().put("user_id", 7).put("digest", digest)
        .put("expiry", future).put("tenant_id", "acme"), token, true);
    assertEquals("7", user.userId());
    assertEquals("acme", user.tenant());
    assertEquals(Instant.ofEpochSecond(future), user.expiresAt());
    assertEquals("knox", user.method());

    assertEquals("u", Authenticator.verifyKnox(new JsonObject().put("user_id", "u"), token, false).userId());
    assertInvalid(() -> Authenticator.verifyKnox(null, token, false));
    assertInvalid(() -> Authenticator.verifyKnox(new JsonObject().put("user_id", "u"), token, true));
    assertInvalid(() -> Authenticator.verifyKnox(new JsonObject().put("user_id", "u").put("digest", sha512("other")), token, false));
    assertInvalid(() -> Authenticator.verifyKnox(new JsonObject().put("user_id", "u").put("digest", digest)
        .put("expiry", Instant.now().minusSeconds(1).toString()), token, true));
    assertInvalid(() -> Authenticator.verifyKnox(new JsonObject().put("user_id", "u").put("digest", digest)
        .put("expiry", "next tuesday"), token, true));
    assertInvalid(() -> Authenticator.verifyKnox(new JsonObject().put("digest", digest), token, true));
  }

  @Test
  void publicKeyAlgorithmFollowsTheKeyType() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    assertEquals("RS256", Authenticator.publicKeyAlgorithm(pem(rsa.generateKeyPair().getPublic().getEncoded())));
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    assertEquals("ES256", Authenticator.publicKeyAlgorithm(pem(ec.generateKeyPair().getPublic().getEncoded())));
    assertThrows(IllegalArgumentException.class, () -> Authenticator.publicKeyAlgorithm(pem(new byte[] {1, 2, 3})));
  }

  // ---------------------------------------------------------------- helpers

  private static void assertInvalid(org.junit.jupiter.api.function.Executable call) {
    AuthException e = assertThrows(AuthException.class, call);
    assertEquals(ErrorCode.TOKEN_INVALID, e.errorCode());
    assertEquals(CloseCode.TOKEN_INVALID, e.closeCode());
  }

  private static String sha512(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String pem(byte[] der) {
    return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
  }
}
