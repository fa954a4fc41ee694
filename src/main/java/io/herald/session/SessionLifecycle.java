package io.herald.session;

import io.herald.auth.AuthException;
import io.herald.auth.AuthenticatedUser;
import io.herald.auth.Authenticator;
import io.herald.auth.Tokens;
import io.herald.config.AccessOptions;
import io.herald.config.AuthOptions;
import io.herald.config.LimitsOptions;
import io.herald.model.LogText;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.runtime.NodeInfo;
import io.herald.state.Position;
import io.herald.state.SessionInfo;
import io.herald.state.State;
import io.herald.state.StreamKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of every session of one socket verticle, whatever its transport: opening (auth timer), authentication and
 * admission, token expiry, Knox re-checks and renewal, the per-message rate limit and topic change budget, the idle
 * sweep, closing with a {@link CloseCode}, and release — the one place where a session's timers are cancelled, its
 * addresses left and its admission given back.
 */
public final class SessionLifecycle {

  private static final Logger log = LoggerFactory.getLogger(SessionLifecycle.class);

  /** A successful authentication: the user, and the user stream's position before the session existed (or null). */
  public record Authenticated(AuthenticatedUser user, Position baseline) {
  }

  private final Vertx vertx;
  private final LimitsOptions limits;
  private final AuthOptions auth;
  private final AccessOptions access;
  private final NodeInfo node;
  private final State state;
  private final Authenticator authenticator;
  private final Admission admission;
  private final HourlyCounters hourly;
  private final AddressRegistry registry;
  private final BoundedWriter writer;
  /**
   * Reads what the streams of a slice's authenticated sessions miss at their tail; nothing when
   * {@code position_check} is off.
   */
  private final Consumer<List<Session>> positionCheck;
  private final Map<String, Session> sessions = new HashMap<>();
  /** The slice the next {@link #sweepSlice} sweeps. */
  private int nextSweepSlice;

  SessionLifecycle(Vertx vertx, LimitsOptions limits, AuthOptions auth, AccessOptions access, NodeInfo node, State state, Authenticator authenticator,
                   Admission admission, HourlyCounters hourly, AddressRegistry registry, BoundedWriter writer,
                   Consumer<List<Session>> positionCheck) {
    this.vertx = vertx;
    this.limits = limits;
    this.auth = auth;
    this.access = access;
    this.node = node;
    this.state = state;
    this.authenticator = authenticator;
    this.admission = admission;
    this.hourly = hourly;
    this.registry = registry;
    this.writer = writer;
    this.positionCheck = positionCheck;
  }

  /**
   * Starts a session on a transport whose connection holds the unauthenticated slot {@code ticket}: the session is
   * closed with 4008 when it has not authenticated within {@code auth_timeout_secs}, and at once (4029
   * {@code connection_limit}) when this verticle already holds {@code max_connections} sessions. Null in that case.
   */
  public Session open(ClientTransport transport, Admission.Ticket ticket, String ipAddress, String userAgent) {
    long now = System.nanoTime();
    Session s = new Session(UUID.randomUUID().toString(), transport, ticket, ipAddress, userAgent,
        new TokenBucket(limits.getRateLimitPerSec(), limits.getRateLimitBurst(), now), new TopicBudget(limits, access, now), now);
    sessions.put(s.id, s);
    if (sessions.size() > limits.getMaxConnections()) {
      writer.sendError(s, ErrorCode.CONNECTION_LIMIT, "node connection limit reached");
      close(s, CloseCode.LIMIT_EXCEEDED, ErrorCode.CONNECTION_LIMIT, "node connection limit reached");
      return null;
    }
    s.authTimer = vertx.setTimer(TimeUnit.SECONDS.toMillis(auth.getAuthTimeoutSecs()), id -> {
      s.authTimer = Session.NO_TIMER;
      if (!s.authenticated()) {
        close(s, CloseCode.AUTH_TIMEOUT, null, null);
      }
    });
    return s;
  }

  /** The session of this verticle with the id, or null. */
  public Session get(String id) {
    return sessions.get(id);
  }

  /** Sessions of this verticle, every transport together. */
  public int size() {
    return sessions.size();
  }

  /**
   * Authenticates the token and admits the user. On success the session is authenticated (its expiry and re-check
   * timers set) before the future completes; on failure the client is told (an error message where its transport has
   * one) and the session is closed with the failure's close code. A session closed meanwhile completes failed, and
   * whatever the admission granted is given back.
   */
  public Future<Authenticated> authenticate(Session s, String token, String device) {
    s.authenticating = true;
    s.device = device;
    // The user stream's position before the session exists: whatever is appended from here until the consumers are
    // registered (too late for the offline queue, too early for live delivery) is replayed.
    Position[] baseline = new Position[1];
    return authenticator.authenticate(token)
        .compose(user -> state.history().current(StreamKey.user(user.tenant(), user.userId()))
            .onSuccess(position -> baseline[0] = position)
            .otherwise(e -> null)
            .map(user))
        .compose(user -> admission.admit(s.admission, sessionInfo(s, user)).map(user))
        .transform(result -> {
          s.authenticating = false;
          if (s.closing) {
            if (result.succeeded()) {
              // Released while being admitted (without a user): give back what the admission granted.
              AuthenticatedUser user = result.result();
              admission.release(s.admission, user.tenant(), user.userId(), s.id);
            }
            return Future.failedFuture(new IllegalStateException("closed while authenticating"));
          }
          if (result.failed()) {
            refuse(s, token, result.cause());
            return Future.failedFuture(result.cause());
          }
          AuthenticatedUser user = result.result();
          s.user = user;
          cancel(s.authTimer);
          s.authTimer = Session.NO_TIMER;
          s.recheckToken = TokenRecheck.tokenToKeep(auth, user, token);
          scheduleExpiry(s);
          scheduleRecheck(s);
          hourly.connectionOpened();
          return Future.succeededFuture(new Authenticated(user, baseline[0]));
        });
  }

  private void refuse(Session s, String token, Throwable cause) {
    AuthException auth = cause instanceof AuthException a ? a
        : new AuthException(ErrorCode.UNAVAILABLE, CloseCode.INTERNAL_ERROR, "authentication failed");
    log.info("authentication refused (token {}, ip {}): {}", Tokens.hint(token), LogText.of(s.ipAddress), auth.getMessage());
    writer.sendError(s, auth.errorCode(), auth.getMessage());
    close(s, auth.closeCode(), auth.errorCode(), auth.getMessage());
  }

  /** The session's record in the session store. */
  SessionInfo sessionInfo(Session s, AuthenticatedUser user) {
    return new SessionInfo(user.tenant(), user.userId(), s.id, s.device == null ? "Unknown" : s.device,
        s.connectedAt, Instant.now(), s.ipAddress, s.userAgent, s.filters, node.nodeId());
  }

  /**
   * Puts a newer proof of the same user in place (Refresh, or a re-check that renewed it): its expiry and re-check
   * take over, and the topics joined under the old grants that the new ones do not cover are left at once (a revoked
   * grant must not keep delivering until the client reconnects). Returns the topics left.
   */
  public List<String> renew(Session s, AuthenticatedUser fresh, String token) {
    s.user = fresh;
    s.recheckToken = TokenRecheck.tokenToKeep(auth, fresh, token);
    scheduleExpiry(s);
    scheduleRecheck(s);
    List<String> revoked = new ArrayList<>();
    for (String topic : s.topics) {
      if (!TopicPolicy.allows(access, fresh, topic)) {
        revoked.add(topic);
      }
    }
    revoked.forEach(topic -> registry.leaveTopic(s, topic));
    return revoked;
  }

  private void scheduleExpiry(Session s) {
    cancel(s.expiryTimer);
    s.expiryTimer = Session.NO_TIMER;
    Instant expiresAt = s.user.expiresAt();
    if (expiresAt == null) {
      return;
    }
    long delayMs = expiresAt.toEpochMilli() - System.currentTimeMillis()
        + TimeUnit.SECONDS.toMillis(auth.getExpiredCloseDelaySecs());
    s.expiryTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      s.expiryTimer = Session.NO_TIMER;
      writer.sendError(s, ErrorCode.TOKEN_INVALID, "token expired");
      close(s, CloseCode.TOKEN_INVALID, ErrorCode.TOKEN_INVALID, "token expired");
    });
  }

  /**
   * Looks a Knox token up again, and a JWT's jti on the deny-list, every {@code auth_recheck_secs}
   * ({@link TokenRecheck}): a renewed proof takes over (the topics it no longer grants are left, and the client told
   * where its protocol can), a token store that does not answer is tried again at the next interval, a revoked token
   * closes with 4001.
   */
  private void scheduleRecheck(Session s) {
    cancel(s.recheckTimer);
    s.recheckTimer = Session.NO_TIMER;
    if (!TokenRecheck.due(auth, authenticator, s.user, s.recheckToken)) {
      return;
    }
    s.recheckTimer = vertx.setTimer(TokenRecheck.delayMs(auth), id -> {
      s.recheckTimer = Session.NO_TIMER;
      String token = s.recheckToken;
      AuthenticatedUser checked = s.user;
      authenticator.recheck(checked, token).onComplete(lookup -> {
        // A Refresh meanwhile put another proof in place, with re-checks of its own.
        if (s.closing || s.user != checked) {
          return;
        }
        switch (TokenRecheck.decide(lookup, checked)) {
          case RENEWED -> {
            List<String> revoked = renew(s, lookup.result(), token);
            byte[] message = revoked.isEmpty() ? null : s.transport.topicsRevokedMessage(revoked, s.topics);
            if (message != null) {
              writer.write(s, null, message);
            }
          }
          case RETRY -> scheduleRecheck(s);
          case REVOKED -> {
            log.info("connection {} of user {}: {} token revoked or no longer valid, closing", s.id, s.user.userId(),
                s.user.method());
            writer.sendError(s, ErrorCode.TOKEN_INVALID, "token revoked");
            close(s, CloseCode.TOKEN_INVALID, ErrorCode.TOKEN_INVALID, "token revoked");
          }
        }
      });
    });
  }

  /**
   * Accounts one message from the client: activity for the idle timeout, and a token of {@code rate_limit_per_sec}.
   * False when the message must be refused (the client is told where its transport can); more than
   * {@code rate_limit_burst} refusals in a row close the session with 4029.
   */
  public boolean admitMessage(Session s) {
    long now = System.nanoTime();
    s.lastActivityNanos = now;
    if (s.rateLimit.tryTake(now)) {
      s.refusedInARow = 0;
      return true;
    }
    node.metrics().rateLimited();
    s.refusedInARow++;
    if (s.refusedInARow > limits.getRateLimitBurst()) {
      writer.sendError(s, ErrorCode.RATE_LIMITED, "persistent rate limit excess");
      close(s, CloseCode.LIMIT_EXCEEDED, ErrorCode.RATE_LIMITED, "rate limit exceeded");
    } else {
      writer.sendError(s, ErrorCode.RATE_LIMITED, "more than " + limits.getRateLimitPerSec() + " messages per second");
    }
    return false;
  }

  /** Counts activity without a rate-limit token (a frame of a message being reassembled). */
  public void touched(Session s) {
    s.lastActivityNanos = System.nanoTime();
  }

  /**
   * Takes the topics a request would join or leave from the session's {@link TopicBudget}. Over the budget the request
   * is refused whole (the client is told where its transport can); persistently over it, the session is closed with
   * 4029.
   */
  public boolean admitTopicChanges(Session s, int changes) {
    switch (s.topicBudget.take(changes, System.nanoTime())) {
      case ALLOWED -> {
        return true;
      }
      case EXCEEDED -> {
        node.metrics().rateLimited();
        writer.sendError(s, ErrorCode.RATE_LIMITED, "persistent topic change excess");
        close(s, CloseCode.LIMIT_EXCEEDED, ErrorCode.RATE_LIMITED, "rate limit exceeded");
        return false;
      }
      default -> {
        node.metrics().rateLimited();
        writer.sendError(s, ErrorCode.RATE_LIMITED, "more than " + access.getTopicChangesPerSec()
            + " topic changes per second (burst " + access.getTopicChangesBurst() + "); nothing was changed");
        return false;
      }
    }
  }

  /**
   * The heartbeat sweep is spread over {@code heartbeat_interval_secs} in this many slices, one per tick of a tenth
   * of the interval: a session belongs to one slice (by its id), so each is swept once per interval, and a tick
   * handles a tenth of the verticle's sessions. Swept all at once, 4,250 sessions (a 51,000-connection fleet) held
   * every event loop of a node for seconds, long enough for connections waiting to authenticate to time out.
   */
  public static final int SWEEP_SLICES = 10;

  /**
   * One tick of the heartbeat sweep (every {@code heartbeat_interval_secs} / {@link #SWEEP_SLICES}), over the
   * sessions of the next slice: closes those silent for {@code connection_timeout_secs} with 4011, pings the others
   * that keep up, refreshes the authenticated ones' TTL in the session store (recreating them after a store
   * outage) and checks their stream positions against history ({@code position_check}).
   */
  public void sweepSlice() {
    int slice = nextSweepSlice;
    nextSweepSlice = (slice + 1) % SWEEP_SLICES;
    List<Session> due = new ArrayList<>();
    for (Session s : sessions.values()) {
      if (!s.closing && sliceOf(s) == slice) {
        due.add(s);
      }
    }
    long now = System.nanoTime();
    long timeoutNanos = TimeUnit.SECONDS.toNanos(limits.getConnectionTimeoutSecs());
    List<Session> authenticated = new ArrayList<>();
    for (Session s : due) {
      if (s.closing) {
        continue;
      }
      if (now - s.lastActivityNanos > timeoutNanos) {
        close(s, CloseCode.CONNECTION_TIMEOUT, null, null);
        continue;
      }
      if (writer.keepingUp(s)) {
        s.transport.ping();
      }
      if (s.authenticated()) {
        state.sessions().touch(sessionInfo(s, s.user)).onFailure(e -> node.metrics().stateFailure("sessions"));
        authenticated.add(s);
      }
    }
    positionCheck.accept(authenticated);
  }

  /** The sweep slice of a session: spread evenly by its random id, and the same for its whole life. */
  static int sliceOf(Session s) {
    return Math.floorMod(s.id.hashCode(), SWEEP_SLICES);
  }

  /** Starts closing the session with a code; it is released once its transport has closed. */
  public void close(Session s, CloseCode code, ErrorCode error, String detail) {
    if (s.closing) {
      return;
    }
    s.closing = true;
    s.pending = null;
    s.pendingReplayed = 0;
    node.metrics().closed(code);
    if (code == CloseCode.SLOW_CLIENT) {
      log.info("connection {} of user {} closed: slow client", s.id, s.user == null ? "-" : s.user.userId());
    }
    s.transport.close(code, error, detail).onComplete(closed -> release(s));
  }

  /**
   * The one place where a session is released: timers, addresses, admission. Idempotent; completes when the session
   * is out of the session store.
   */
  public Future<Void> release(Session s) {
    if (sessions.remove(s.id) == null) {
      return Future.succeededFuture();
    }
    s.closing = true;
    cancel(s.authTimer);
    cancel(s.expiryTimer);
    cancel(s.recheckTimer);
    cancel(s.slowTimer);
    cancel(s.userStream.reorderTimer);
    s.pending = null;
    s.pendingReplayed = 0;
    s.heldDuringReplay = null;
    registry.leaveAll(s);
    admission.releaseUnauthenticated(s.admission);
    admission.releaseBridgeSocket(s.admission);
    // Closed while being admitted (no user yet): authenticate() gives the admission back once it is known.
    return s.user == null ? Future.succeededFuture() : admission.release(s.admission, s.user.tenant(), s.user.userId(), s.id);
  }

  /**
   * Closes every session with 1001 (clients reconnect through the load balancer to another node) and unregisters
   * every consumer; the futures complete when the sessions are out of the session store and the consumers are gone.
   */
  public List<Future<?>> drain() {
    List<Future<?>> done = closeAll(CloseCode.SHUTDOWN);
    done.addAll(registry.unregisterAll());
    return done;
  }

  /**
   * Closes every session with {@code code} (e.g. 4012 when the node is isolated from its fleet: clients reconnect
   * through the load balancer to a node that is not, and resume); the futures complete when the sessions are out of
   * the session store.
   */
  public List<Future<?>> closeAll(CloseCode code) {
    List<Future<?>> done = new ArrayList<>();
    for (Session s : sessions.values().toArray(new Session[0])) {
      close(s, code, null, null);
      done.add(release(s));
    }
    return done;
  }

  private void cancel(long timer) {
    if (timer != Session.NO_TIMER) {
      vertx.cancelTimer(timer);
    }
  }
}
