package io.herald.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.herald.config.AuthOptions;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The authenticator needs the authentication section only (and Redis for Knox tokens, absent here). */
class AuthenticatorTest {

  private static final String SECRET = "authenticator-test-secret-0123456789";

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
  void verifiesJwtsWithTheSectionsSecretAndClaims() throws Exception {
    Authenticator authenticator = new Authenticator(vertx, new AuthOptions().setJwtSecret(SECRET), null, "websocket");
    String token = new JwtIssuer(vertx, SECRET).issue("alice", Duration.ofMinutes(5), null, List.of());
    assertEquals("alice", authenticator.authenticate(token).await(10, TimeUnit.SECONDS).userId());

    // a required audience the token does not carry refuses it
    Authenticator withAudience = new Authenticator(vertx,
        new AuthOptions().setJwtSecret(SECRET).setJwtAudience("herald-test"), null, "websocket");
    assertThrows(Exception.class, () -> withAudience.authenticate(token).await(10, TimeUnit.SECONDS));
  }

  @Test
  void withoutAKeyEveryJwtIsRefused() {
    Authenticator authenticator = new Authenticator(vertx, new AuthOptions(), null, "websocket");
    String token = new JwtIssuer(vertx, SECRET).issue("alice", Duration.ofMinutes(5), null, List.of());
    assertThrows(AuthException.class, () -> authenticator.authenticate(token).await(10, TimeUnit.SECONDS));
  }
}
