package io.herald.session;

import io.herald.auth.AuthException;
import io.herald.auth.AuthenticatedUser;
import io.herald.auth.Authenticator;
import io.herald.config.AuthOptions;
import io.herald.protocol.CloseCode;
import io.vertx.core.AsyncResult;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The rule both transports ({@code /ws} and the bridge) apply to a token that can be withdrawn while its connection is
 * open, so that the connection looks it up again every {@code auth_recheck_secs}: a Knox token, only as valid as its
 * record (which can be deleted at logout or changed at any time), and a JWT with a {@code jti}, which can be put on the
 * deny-list in Redis ({@link Authenticator#recheck}).
 */
public final class TokenRecheck {

  /** What a re-check decided. */
  public enum Outcome {
    /** The record still proves the same user: keep the connection, with the renewed proof. */
    RENEWED,
    /** The token store did not answer: keep the connection and try again at the next interval. */
    RETRY,
    /** Record gone, expired or now for someone else, or the JWT's jti revoked: close with 4001. */
    REVOKED
  }

  private TokenRecheck() {
  }

  /**
   * The token a connection authenticated as {@code user} keeps for its re-checks: the Knox token when re-checks are
   * on, else null (a JWT carries its own expiry, and no connection holds a token it will never use).
   */
  public static String tokenToKeep(AuthOptions auth, AuthenticatedUser user, String token) {
    return auth.getAuthRecheckSecs() > 0 && "knox".equals(user.method()) ? token : null;
  }

  /**
   * Whether a connection authenticated as {@code user} is re-checked: re-checks are on, and it keeps a Knox token
   * ({@code keptToken}, see {@link #tokenToKeep}) or its JWT has a {@code jti} the deny-list can name.
   */
  public static boolean due(AuthOptions auth, Authenticator authenticator, AuthenticatedUser user, String keptToken) {
    return auth.getAuthRecheckSecs() > 0
        && (keptToken != null || (user.jti() != null && authenticator.checksRevocations()));
  }

  /**
   * Milliseconds until the next re-check: the interval less up to 10 % jitter, so that connections opened together
   * (a fleet restart) do not all hit the token store in the same second.
   */
  public static long delayMs(AuthOptions auth) {
    long intervalMs = TimeUnit.SECONDS.toMillis(auth.getAuthRecheckSecs());
    return Math.max(1, intervalMs - ThreadLocalRandom.current().nextLong(intervalMs / 10 + 1));
  }

  /** Decides the outcome of looking the token up again for a connection authenticated as {@code current}. */
  public static Outcome decide(AsyncResult<AuthenticatedUser> lookup, AuthenticatedUser current) {
    if (lookup.succeeded()) {
      AuthenticatedUser fresh = lookup.result();
      return fresh.userId().equals(current.userId()) && fresh.tenant().equals(current.tenant())
          ? Outcome.RENEWED : Outcome.REVOKED;
    }
    return lookup.cause() instanceof AuthException auth && auth.closeCode() == CloseCode.TRY_AGAIN_LATER
        ? Outcome.RETRY : Outcome.REVOKED;
  }
}
