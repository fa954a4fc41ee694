package io.herald.auth;

import io.herald.config.AuthOptions;
import io.herald.model.Ids;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a token into an {@link AuthenticatedUser}: JWTs through vertx-auth-jwt, opaque Knox tokens through
 * Redis. Failures are {@link AuthException}s whose messages never contain the token.
 *
 * <p>With Redis, a JWT carrying a {@code jti} is also looked up on the deny-list
 * ({@code <redis_key_prefix>:revoked-jti:<jti>}, any value, written by whoever revokes it with a TTL to the token's
 * {@code exp}): a listed one is refused, at authentication and at each re-check ({@link #recheck}). A deny-list that
 * cannot be read lets the token in at authentication (JWTs keep working through a Redis outage) and keeps the
 * connection at a re-check; the next re-check after Redis is back closes it.
 */
public final class Authenticator {

  /** Redis key prefix of Knox token records, as Django REST Knox deployments store them. */
  public static final String KNOX_KEY_PREFIX = "knox:tokens:";

  /** The longest {@code jti} accepted, in characters: one of a revocable token's Redis keys is made of it. */
  public static final int MAX_JTI_LENGTH = 256;

  private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

  private final JWTAuth jwt;
  private final Redis redis;
  /** The deny-list's key prefix ({@code <redis_key_prefix>:revoked-jti:}); null without Redis. */
  private final String revokedPrefix;

  /**
   * @param redis          the client for Knox lookups and the JWT deny-list; null when Redis is not configured (Knox
   *                       tokens are then refused, and JWTs are not revocable)
   * @param redisKeyPrefix {@code redis_key_prefix}, the deny-list's namespace
   */
  public Authenticator(Vertx vertx, AuthOptions options, Redis redis, String redisKeyPrefix) {
    // Without any key vertx-auth-jwt runs "unsecure" and accepts every JWT unverified: refuse JWTs instead.
    this.jwt = options.getJwtSecret() == null && options.getJwtPublicKey() == null
        ? null : JWTAuth.create(vertx, jwtOptions(options));
    this.redis = redis;
    this.revokedPrefix = redis == null ? null : revokedJtiPrefix(redisKeyPrefix);
  }

  /** The prefix of the deny-list keys of revoked JWTs under {@code redis_key_prefix}. */
  public static String revokedJtiPrefix(String redisKeyPrefix) {
    return redisKeyPrefix + ":revoked-jti:";
  }

  /** Whether a JWT with a {@code jti} is checked against the deny-list (Redis is configured). */
  public boolean checksRevocations() {
    return revokedPrefix != null;
  }

  /**
   * Looks again whether the proof of {@code user} still holds, for the periodic re-check: a Knox token
   * ({@code knoxToken}) is looked up again whole; a JWT's {@code jti} is looked up on the deny-list (the rest of a JWT
   * cannot change). Fails with {@code token_invalid} when it no longer holds, with 1013 ({@code unavailable}) when
   * Redis does not answer.
   */
  public Future<AuthenticatedUser> recheck(AuthenticatedUser user, String knoxToken) {
    if (knoxToken != null) {
      return authenticate(knoxToken);
    }
    if (user.jti() == null || revokedPrefix == null) {
      return Future.succeededFuture(user);
    }
    return revoked(user.jti()).compose(revoked -> revoked
        ? Future.failedFuture(AuthException.invalid("token revoked")) : Future.succeededFuture(user));
  }

  /** Whether the jti is on the deny-list; fails with 1013 when Redis does not answer. */
  private Future<Boolean> revoked(String jti) {
    return redis.send(Request.cmd(Command.EXISTS).arg(revokedPrefix + jti))
        .transform(done -> done.succeeded()
            ? Future.succeededFuture(done.result() != null && done.result().toInteger() > 0)
            : Future.failedFuture(new AuthException(io.herald.protocol.ErrorCode.UNAVAILABLE,
                io.herald.protocol.CloseCode.TRY_AGAIN_LATER, "token store unavailable")));
  }

  static JWTAuthOptions jwtOptions(AuthOptions options) {
    JWTAuthOptions auth = new JWTAuthOptions();
    if (options.getJwtSecret() != null) {
      auth.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(options.getJwtSecret()));
    }
    if (options.getJwtPublicKey() != null) {
      auth.addPubSecKey(new PubSecKeyOptions()
          .setAlgorithm(publicKeyAlgorithm(options.getJwtPublicKey()))
          .setBuffer(options.getJwtPublicKey()));
    }
    JWTOptions jwtOptions = new JWTOptions();
    if (options.getJwtIssuer() != null) {
      jwtOptions.setIssuer(options.getJwtIssuer());
    }
    if (options.getJwtAudience() != null) {
      jwtOptions.setAudience(List.of(options.getJwtAudience()));
    }
    return auth.setJWTOptions(jwtOptions);
  }

  /** RS256 for an RSA public key, ES256 for an EC one. */
  static String publicKeyAlgorithm(String pem) {
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(base64);
    try {
      KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
      return "RS256";
    } catch (Exception notRsa) {
      try {
        KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        return "ES256";
      } catch (Exception notEc) {
        throw new IllegalArgumentException("jwt_public_key: neither an RSA nor an EC public key");
      }
    }
  }

  /** Authenticates a token from any source (first frame, query parameter, header). */
  public Future<AuthenticatedUser> authenticate(String token) {
    if (token == null || token.isBlank()) {
      return Future.failedFuture(AuthException.malformed("token missing"));
    }
    if (token.length() > Tokens.MAX_TOKEN_LENGTH) {
      return Future.failedFuture(AuthException.malformed("token too long"));
    }
    if (Tokens.looksLikeJwt(token)) {
      return authenticateJwt(token);
    }
    if (Tokens.looksLikeKnox(token)) {
      return authenticateKnox(token);
    }
    return Future.failedFuture(AuthException.invalid("token invalid"));
  }

  private Future<AuthenticatedUser> authenticateJwt(String token) {
    if (jwt == null) {
      return Future.failedFuture(AuthException.invalid("token invalid"));
    }
    return jwt.authenticate(new TokenCredentials(token))
        .recover(e -> Future.failedFuture(AuthException.invalid("token invalid or expired")))
        .compose(user -> {
          JsonObject claims = user.attributes().getJsonObject("accessToken");
          try {
            return Future.succeededFuture(fromJwtClaims(claims));
          } catch (AuthException e) {
            return Future.failedFuture(e);
          }
        })
        .compose(this::notRevoked);
  }

  /**
   * The user, unless its JWT's jti is on the deny-list. A deny-list that cannot be read lets the token in: JWTs do not
   * otherwise need Redis, and the connection's re-checks look again once Redis answers.
   */
  private Future<AuthenticatedUser> notRevoked(AuthenticatedUser user) {
    if (user.jti() == null || revokedPrefix == null) {
      return Future.succeededFuture(user);
    }
    return revoked(user.jti()).transform(lookup -> {
      if (lookup.failed()) {
        log.debug("revocation of a JWT of user {} not checked: token store unavailable", user.userId());
        return Future.succeededFuture(user);
      }
      return lookup.result() ? Future.failedFuture(AuthException.invalid("token revoked")) : Future.succeededFuture(user);
    });
  }

  static AuthenticatedUser fromJwtClaims(JsonObject claims) {
    Object exp = claims.getValue("exp");
    if (!(exp instanceof Number expSeconds)) {
      throw AuthException.invalid("token has no exp claim");
    }
    Object subject = claims.getValue("sub");
    if (subject == null) {
      subject = claims.getValue("user_id");
    }
    String userId = subject instanceof String || subject instanceof Number ? subject.toString() : null;
    if (!Ids.isValidUserId(userId)) {
      throw AuthException.invalid("token has no valid sub or user_id claim");
    }
    String tenant = tenantClaim(claims.getValue("tenant"));
    return new AuthenticatedUser(userId, tenant, topicsClaim(claims.getValue("topics")),
        Instant.ofEpochSecond(expSeconds.longValue()), "jwt", jtiClaim(claims.getValue("jti")));
  }

  /**
   * The {@code jti} claim, or null without one. One that is not a string of 1..{@value #MAX_JTI_LENGTH} characters is
   * refused rather than ignored: ignoring it would make that token impossible to revoke.
   */
  private static String jtiClaim(Object value) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof String jti) || jti.isEmpty() || jti.length() > MAX_JTI_LENGTH) {
      throw AuthException.invalid("token has an invalid jti");
    }
    return jti;
  }

  private Future<AuthenticatedUser> authenticateKnox(String token) {
    if (redis == null) {
      return Future.failedFuture(AuthException.invalid("token invalid"));
    }
    String tokenKey = token.substring(0, Tokens.KNOX_KEY_LENGTH);
    return get(KNOX_KEY_PREFIX + tokenKey).compose(byKey -> {
      if (byKey != null && byKey.getString("digest") != null) {
        return Future.succeededFuture(verifyKnox(byKey, token, true));
      }
      // A record without a digest proves nothing about the rest of the token: accept it only when it is
      // stored under the whole token, and only when the whole token is longer than its key. Otherwise the
      // "whole token" is the non-secret key itself and would find the key's own record.
      if (token.length() <= Tokens.KNOX_KEY_LENGTH) {
        return Future.failedFuture(AuthException.invalid("token invalid"));
      }
      return get(KNOX_KEY_PREFIX + token).map(whole -> verifyKnox(whole, token, false));
    });
  }

  private Future<JsonObject> get(String key) {
    return redis.send(Request.cmd(Command.GET).arg(key))
        .recover(e -> Future.failedFuture(new AuthException(io.herald.protocol.ErrorCode.UNAVAILABLE,
            io.herald.protocol.CloseCode.TRY_AGAIN_LATER, "token store unavailable")))
        .map(Authenticator::parseRecord);
  }

  private static JsonObject parseRecord(Response response) {
    if (response == null) {
      return null;
    }
    try {
      return new JsonObject(response.toString());
    } catch (DecodeException | ClassCastException e) {
      throw AuthException.invalid("token record unreadable");
    }
  }

  static AuthenticatedUser verifyKnox(JsonObject record, String token, boolean digestRequired) {
    if (record == null) {
      throw AuthException.invalid("token invalid");
    }
    String digest = record.getString("digest");
    if (digest != null) {
      if (!digestMatches(digest, token)) {
        throw AuthException.invalid("token invalid");
      }
    } else if (digestRequired) {
      throw AuthException.invalid("token invalid");
    }
    Instant expiry = knoxExpiry(record.getValue("expiry"));
    if (expiry != null && !expiry.isAfter(Instant.now())) {
      throw AuthException.invalid("token expired");
    }
    Object userValue = record.getValue("user_id");
    String userId = userValue instanceof String || userValue instanceof Number ? userValue.toString() : null;
    if (!Ids.isValidUserId(userId)) {
      throw AuthException.invalid("token record has no valid user_id");
    }
    return new AuthenticatedUser(userId, tenantClaim(record.getValue("tenant_id")),
        topicsClaim(record.getValue("topics")), expiry, "knox");
  }

  /** Hex SHA-512 of the whole token, compared in constant time. */
  static boolean digestMatches(String expectedHex, String token) {
    try {
      byte[] actual = MessageDigest.getInstance("SHA-512").digest(token.getBytes(StandardCharsets.UTF_8));
      byte[] expected;
      try {
        expected = HexFormat.of().parseHex(expectedHex.trim());
      } catch (IllegalArgumentException e) {
        return false;
      }
      return MessageDigest.isEqual(expected, actual);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Instant knoxExpiry(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Number seconds) {
      return Instant.ofEpochSecond(seconds.longValue());
    }
    try {
      return OffsetDateTime.parse(value.toString()).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(value.toString());
      } catch (DateTimeParseException e2) {
        throw AuthException.invalid("token record has an unreadable expiry");
      }
    }
  }

  private static String tenantClaim(Object value) {
    if (value == null || "".equals(value)) {
      return Ids.DEFAULT_TENANT;
    }
    if (!(value instanceof String tenant) || !Ids.isValidTenant(tenant)) {
      throw AuthException.invalid("token has an invalid tenant");
    }
    return tenant;
  }

  private static List<String> topicsClaim(Object value) {
    if (!(value instanceof JsonArray array)) {
      return List.of();
    }
    List<String> topics = new ArrayList<>();
    for (Object item : array) {
      if (item instanceof String s && !s.isEmpty()) {
        topics.add(s);
      }
    }
    return topics;
  }
}
