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

/**
 * Turns a token into an {@link AuthenticatedUser}: JWTs through vertx-auth-jwt, opaque Knox tokens through
 * Redis. Failures are {@link AuthException}s whose messages never contain the token.
 */
public final class Authenticator {

  /** Redis key prefix of Knox token records, as Django REST Knox deployments store them. */
  public static final String KNOX_KEY_PREFIX = "knox:tokens:";

  private final JWTAuth jwt;
  private final Redis redis;

  /**
   * @param redis the client for Knox lookups; null when Redis is not configured (Knox tokens are then refused)
   */
  public Authenticator(Vertx vertx, AuthOptions options, Redis redis) {
    // Without any key vertx-auth-jwt runs "unsecure" and accepts every JWT unverified: refuse JWTs instead.
    this.jwt = options.getJwtSecret() == null && options.getJwtPublicKey() == null
        ? null : JWTAuth.create(vertx, jwtOptions(options));
    this.redis = redis;
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
        Instant.ofEpochSecond(expSeconds.longValue()), "jwt");
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
