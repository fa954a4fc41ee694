package io.herald.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.util.List;

/** Signs HS256 tokens with the configured secret: for {@code herald token}, the development token and tests. */
public final class JwtIssuer {

  private final JWTAuth jwt;

  public JwtIssuer(Vertx vertx, String secret) {
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
  }

  /**
   * @param tenant null for the default tenant
   * @param topics topic grants ({@code topics} claim); empty for none
   */
  public String issue(String userId, Duration ttl, String tenant, List<String> topics) {
    JsonObject claims = new JsonObject().put("sub", userId);
    if (tenant != null) {
      claims.put("tenant", tenant);
    }
    if (!topics.isEmpty()) {
      claims.put("topics", new JsonArray(topics));
    }
    return jwt.generateToken(claims, new JWTOptions().setAlgorithm("HS256").setExpiresInSeconds((int) ttl.toSeconds()));
  }
}
