package io.herald.socket.bridge;

import io.herald.session.TokenRecheck;
import io.herald.model.LogText;
import io.herald.auth.AuthException;
import io.herald.auth.AuthenticatedUser;
import io.herald.auth.Authenticator;
import io.herald.auth.Tokens;
import io.herald.config.HeraldOptions;
import io.herald.runtime.NodeInfo;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.session.Admission;
import io.herald.session.HourlyCounters;
import io.herald.session.ClientAddress;
import io.herald.session.TokenBucket;
import io.herald.session.TopicBudget;
import io.herald.state.SessionInfo;
import io.herald.state.SessionStore;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge sockets of one socket verticle and their lifecycle: opening (node limit, auth timer), authentication
 * and admission (the same {@link Admission} as {@code /ws}), the per-socket limits (rate limit, idle timeout, token
 * expiry, slow clients), closing with a Herald close code, and the one place where a session is released.
 * Everything here runs on the verticle's event loop.
 */
final class BridgeSessions {

  private static final Logger log = LoggerFactory.getLogger(BridgeSessions.class);

  /** The message types of vertx-web's bridge protocol. */
  private static final Set<String> BRIDGE_TYPES = Set.of("ping", "send", "publish", "register", "unregister");

  /** Characters of a client-supplied string that go into a log line. */
  static final int LOGGED_CHARS = 64;

  private final Vertx vertx;
  private final HeraldOptions options;
  private final NodeInfo node;
  private final SessionStore store;
  private final Authenticator authenticator;
  private final HourlyCounters hourly;
  private final Admission admission;
  private final Map<SockJSSocket, BridgeSession> bySocket = new HashMap<>();
  private final Map<String, BridgeSession> byId = new HashMap<>();
  private final ClientAddress clientAddresses;

  BridgeSessions(Vertx vertx, HeraldOptions options, NodeInfo node, SessionStore store, Authenticator authenticator,
                 Admission admission, HourlyCounters hourly) {
    this.vertx = vertx;
    this.options = options;
    this.node = node;
    this.store = store;
    this.authenticator = authenticator;
    this.admission = admission;
    this.hourly = hourly;
    this.clientAddresses = new ClientAddress(options.access().getTrustedProxies());
  }

  /** The verticle's hourly counters: bridge sockets count in total_connections and messages_sent like /ws. */
  HourlyCounters hourly() {
    return hourly;
  }

  BridgeSession get(SockJSSocket socket) {
    return bySocket.get(socket);
  }

  BridgeSession byId(String id) {
    return byId.get(id);
  }

  /**
   * Starts tracking a new socket once it holds one of the node's slots for unauthenticated connections (node-wide and
   * per client address, as {@code /ws}); or closes it and completes with null when the node drains, this verticle
   * already holds {@code max_connections} bridge sockets, or no slot is free (4029 {@code connection_limit}).
   */
  Future<BridgeSession> open(SockJSSocket socket) {
    if (node.isDraining()) {
      node.metrics().closed(CloseCode.SHUTDOWN);
      SockJsClose.close(socket, CloseCode.SHUTDOWN.code(), reason(CloseCode.SHUTDOWN));
      return Future.succeededFuture();
    }
    if (bySocket.size() >= options.limits().getMaxConnections()) {
      refuse(socket);
      return Future.succeededFuture();
    }
    String ip = clientAddresses.of(socket.remoteAddress(), socket.headers());
    Admission.Ticket ticket = new Admission.Ticket();
    return admission.admitUnauthenticated(ticket, ip).transform(admitted -> {
      if (admitted.failed()) {
        log.debug("bridge socket from {} refused: {}", ip, admitted.cause().getMessage());
        refuse(socket);
        return Future.succeededFuture();
      }
      return Future.succeededFuture(track(socket, ticket, ip));
    });
  }

  private void refuse(SockJSSocket socket) {
    node.metrics().closed(CloseCode.LIMIT_EXCEEDED);
    SockJsClose.close(socket, CloseCode.LIMIT_EXCEEDED.code(), ErrorCode.CONNECTION_LIMIT.wireName());
  }

  private BridgeSession track(SockJSSocket socket, Admission.Ticket ticket, String ip) {
    long now = System.nanoTime();
    String userAgent = socket.headers() == null ? null : socket.headers().get(HttpHeaders.USER_AGENT);
    BridgeSession s = new BridgeSession(UUID.randomUUID().toString(), socket, ticket, ip, userAgent,
        new TokenBucket(options.limits().getRateLimitPerSec(), options.limits().getRateLimitBurst(), now), new TopicBudget(options, now), now);
    bySocket.put(socket, s);
    byId.put(s.id, s);
    socket.setWriteQueueMaxSize(options.limits().getWriteQueueMaxBytes());
    socket.drainHandler(v -> writable(s));
    s.authTimer = vertx.setTimer(TimeUnit.SECONDS.toMillis(options.auth().getAuthTimeoutSecs()), id -> {
      s.authTimer = BridgeSession.NO_TIMER;
      if (!s.authenticated()) {
        close(s, CloseCode.AUTH_TIMEOUT, reason(CloseCode.AUTH_TIMEOUT));
      }
    });
    return s;
  }

  /** Starts authenticating with the token of the socket's URL ({@code ?token=}), when it has one. */
  void authenticateFromUri(BridgeSession s) {
    String uri = s.socket.uri();
    List<String> values = uri == null ? null : new QueryStringDecoder(uri).parameters().get("token");
    if (values != null && !values.isEmpty() && !values.get(0).isBlank()) {
      authenticate(s, values.get(0));
    }
  }

  /**
   * Authenticates the token and admits the user; on success the session's user is set (before any frame waiting on
   * {@link BridgeSession#authentication} is decided), on failure the socket is closed with the failure's close code
   * and its error code's wire name as the reason ({@code 4001 token_invalid} for an invalid or expired token).
   */
  Future<AuthenticatedUser> authenticate(BridgeSession s, String token) {
    s.authentication = authenticator.authenticate(token)
        .compose(user -> s.closing
            ? Future.<AuthenticatedUser>failedFuture(new IllegalStateException("closed while authenticating"))
            : admission.admit(s.admission, sessionInfo(s, user)).map(user))
        .onComplete(result -> {
          if (result.succeeded()) {
            AuthenticatedUser user = result.result();
            if (s.closing) {
              // Closed while being admitted: give back what the admission granted.
              admission.release(s.admission, user.tenant(), user.userId(), s.id);
              return;
            }
            s.user = user;
            hourly.connectionOpened();
            admission.releaseUnauthenticated(s.admission);
            cancel(s.authTimer);
            s.authTimer = BridgeSession.NO_TIMER;
            s.recheckToken = TokenRecheck.tokenToKeep(options, user, token);
            scheduleExpiry(s);
            scheduleRecheck(s);
          } else if (!s.closing) {
            AuthException auth = result.cause() instanceof AuthException a ? a
                : new AuthException(ErrorCode.UNAVAILABLE, CloseCode.INTERNAL_ERROR, "authentication failed");
            log.info("bridge authentication refused (token {}, ip {}): {}", Tokens.hint(token), LogText.of(s.ipAddress), auth.getMessage());
            close(s, auth.closeCode(), auth.errorCode().wireName());
          }
        });
    return s.authentication;
  }

  private void scheduleExpiry(BridgeSession s) {
    cancel(s.expiryTimer);
    s.expiryTimer = BridgeSession.NO_TIMER;
    Instant expiresAt = s.user.expiresAt();
    if (expiresAt == null) {
      return;
    }
    long delayMs = expiresAt.toEpochMilli() - System.currentTimeMillis()
        + TimeUnit.SECONDS.toMillis(options.auth().getExpiredCloseDelaySecs());
    s.expiryTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      s.expiryTimer = BridgeSession.NO_TIMER;
      close(s, CloseCode.TOKEN_INVALID, ErrorCode.TOKEN_INVALID.wireName());
    });
  }

  /**
   * Looks a Knox token up again every {@code auth_recheck_secs} ({@link TokenRecheck}): a renewed proof takes over
   * (deliveries on topics it no longer grants stop, as every delivery is checked against the socket's user), a token
   * store that does not answer is tried again at the next interval, a revoked token closes with 4001.
   */
  private void scheduleRecheck(BridgeSession s) {
    cancel(s.recheckTimer);
    s.recheckTimer = BridgeSession.NO_TIMER;
    if (s.recheckToken == null) {
      return;
    }
    s.recheckTimer = vertx.setTimer(TokenRecheck.delayMs(options), id -> {
      s.recheckTimer = BridgeSession.NO_TIMER;
      String token = s.recheckToken;
      authenticator.authenticate(token).onComplete(lookup -> {
        if (s.closing) {
          return;
        }
        switch (TokenRecheck.decide(lookup, s.user)) {
          case RENEWED -> {
            s.user = lookup.result();
            scheduleExpiry(s);
            scheduleRecheck(s);
          }
          case RETRY -> scheduleRecheck(s);
          case REVOKED -> {
            log.info("bridge socket {} of user {}: Knox token no longer valid, closing", s.id, s.user.userId());
            close(s, CloseCode.TOKEN_INVALID, ErrorCode.TOKEN_INVALID.wireName());
          }
        }
      });
    });
  }

  SessionInfo sessionInfo(BridgeSession s, AuthenticatedUser user) {
    return new SessionInfo(user.tenant(), user.userId(), s.id, BridgeSession.DEVICE, s.connectedAt, Instant.now(),
        s.ipAddress, s.userAgent, s.filters, node.nodeId());
  }

  /**
   * Accounts one message from the client: activity for the idle timeout, and a token of the rate limit. False when
   * the message must be refused; more than {@code rate_limit_burst} refusals in a row close the socket with 4029.
   */
  private boolean admitFrame(BridgeSession s) {
    long now = System.nanoTime();
    s.lastActivityNanos = now;
    if (s.rateLimit.tryTake(now)) {
      s.refusedInARow = 0;
      return true;
    }
    node.metrics().rateLimited();
    s.refusedInARow++;
    if (s.refusedInARow > options.limits().getRateLimitBurst()) {
      close(s, CloseCode.LIMIT_EXCEEDED, ErrorCode.RATE_LIMITED.wireName());
    }
    return false;
  }

  /**
   * Decides one message from the client before vertx-web's bridge parses it (see {@link GuardedSocket}): every
   * message, ping included, draws from the rate limit (a refused one is answered {@code err rejected}, and persistent
   * excess closes the socket with 4029), and only a JSON object with a known {@code type} and, but for {@code ping},
   * a string {@code address} goes on. Anything else is answered here with the {@code err} frame vertx-web would send
   * ({@code invalid_json}, {@code missing_type}, {@code invalid_type}, {@code missing_address}) and logged at debug
   * level, escaped and truncated; a socket that has not presented a token is closed instead (4000 {@code malformed}),
   * as {@code /ws} does. Messages of a socket being closed are dropped, so the rest of a many-message SockJS frame
   * costs nothing once the rate limit has closed it.
   */
  boolean inbound(GuardedSocket socket, Buffer data) {
    BridgeSession s = bySocket.get(socket);
    if (s == null || s.closing) {
      return false;
    }
    if (!admitFrame(s)) {
      if (!s.closing) {
        answer(s, "rejected");
      }
      return false;
    }
    String problem = protocolProblem(s, data);
    if (problem == null) {
      return true;
    }
    node.metrics().clientError();
    if (s.authentication == null) {
      close(s, CloseCode.AUTH_MISSING, ErrorCode.MALFORMED.wireName());
    } else {
      answer(s, problem);
    }
    return false;
  }

  /**
   * Accounts a REGISTER or UNREGISTER of a topic address against the socket's {@link TopicBudget}: false when it must
   * be refused; persistently over the budget, the socket is closed with 4029 {@code rate_limited}.
   */
  boolean admitTopicChange(BridgeSession s) {
    TopicBudget.Outcome outcome = s.topicBudget.take(1, System.nanoTime());
    if (outcome == TopicBudget.Outcome.ALLOWED) {
      return true;
    }
    node.metrics().rateLimited();
    if (outcome == TopicBudget.Outcome.EXCEEDED) {
      close(s, CloseCode.LIMIT_EXCEEDED, ErrorCode.RATE_LIMITED.wireName());
    }
    return false;
  }

  /** Null when vertx-web's bridge can take the message, else the body of the {@code err} frame it deserves. */
  private static String protocolProblem(BridgeSession s, Buffer data) {
    Object parsed;
    try {
      parsed = Json.decodeValue(data);
    } catch (DecodeException e) {
      log.debug("bridge socket {}: invalid JSON {}", s.id, LogText.quoted(data.toString(), LOGGED_CHARS));
      return "invalid_json";
    }
    if (!(parsed instanceof JsonObject message)) {
      log.debug("bridge socket {}: not a JSON object {}", s.id, LogText.quoted(data.toString(), LOGGED_CHARS));
      return "invalid_json";
    }
    Object type = message.getValue("type");
    if (!(type instanceof String typeName)) {
      log.debug("bridge socket {}: no string type", s.id);
      return "missing_type";
    }
    if (!BRIDGE_TYPES.contains(typeName)) {
      log.debug("bridge socket {}: unknown type {}", s.id, LogText.quoted(typeName, LOGGED_CHARS));
      return "invalid_type";
    }
    if (!typeName.equals("ping") && !(message.getValue("address") instanceof String)) {
      log.debug("bridge socket {}: {} without a string address", s.id, typeName);
      return "missing_address";
    }
    return null;
  }

  private static void answer(BridgeSession s, String errBody) {
    s.socket.write(new JsonObject().put("type", "err").put("body", errBody).toBuffer());
  }

  /**
   * Whether one more message may be written. While the socket's write queue is full (at least
   * {@code write_queue_max_bytes} written and not yet handed to the connection, counted by {@link GuardedSocket} on
   * every transport), at most {@code slow_client_max_pending} more are written and only for
   * {@code slow_client_grace_secs}; then the socket is closed with 4010, so a client that stops reading never makes the
   * server buffer without bound.
   */
  boolean mayWrite(BridgeSession s) {
    if (!s.socket.writeQueueFull()) {
      return true;
    }
    if (s.slowTimer == BridgeSession.NO_TIMER) {
      s.slowTimer = vertx.setTimer(TimeUnit.SECONDS.toMillis(options.limits().getSlowClientGraceSecs()), id -> {
        s.slowTimer = BridgeSession.NO_TIMER;
        close(s, CloseCode.SLOW_CLIENT, reason(CloseCode.SLOW_CLIENT));
      });
    }
    if (++s.writtenWhileFull > options.limits().getSlowClientMaxPending()) {
      close(s, CloseCode.SLOW_CLIENT, reason(CloseCode.SLOW_CLIENT));
      return false;
    }
    return true;
  }

  private void writable(BridgeSession s) {
    cancel(s.slowTimer);
    s.slowTimer = BridgeSession.NO_TIMER;
    s.writtenWhileFull = 0;
  }

  /**
   * The periodic sweep (every {@code heartbeat_interval_secs}): closes sockets silent for {@code connection_timeout_secs}
   * with 4011 (every frame counts as activity, pings included), refreshes the sessions' TTL in the store, and forgets
   * reply labels whose request timed out.
   */
  void sweep() {
    long now = System.nanoTime();
    long timeoutNanos = TimeUnit.SECONDS.toNanos(options.limits().getConnectionTimeoutSecs());
    for (BridgeSession s : new ArrayList<>(bySocket.values())) {
      if (s.closing) {
        continue;
      }
      s.pendingReplies.values().removeIf(deadline -> deadline - now < 0);
      if (now - s.lastActivityNanos > timeoutNanos) {
        close(s, CloseCode.CONNECTION_TIMEOUT, reason(CloseCode.CONNECTION_TIMEOUT));
      } else if (s.authenticated()) {
        store.touch(sessionInfo(s, s.user)).onFailure(e -> node.metrics().stateFailure("sessions"));
      }
    }
  }

  /** Sends a close frame with the code and reason, and releases the session at once. */
  void close(BridgeSession s, CloseCode code, String reason) {
    if (s.closing) {
      return;
    }
    s.closing = true;
    node.metrics().closed(code);
    SockJsClose.close(s.socket, code.code(), reason);
    release(s);
  }

  /** The one place where a session is released: timers, admission, session store. Idempotent. */
  Future<Void> release(BridgeSession s) {
    if (bySocket.remove(s.socket) == null) {
      return Future.succeededFuture();
    }
    byId.remove(s.id);
    s.closing = true;
    cancel(s.authTimer);
    cancel(s.expiryTimer);
    cancel(s.recheckTimer);
    cancel(s.slowTimer);
    s.registered.clear();
    s.pendingReplies.clear();
    admission.releaseUnauthenticated(s.admission);
    if (s.user == null) {
      // Closed while authenticating: authenticate() gives the admission back once it completes.
      return Future.succeededFuture();
    }
    return admission.release(s.admission, s.user.tenant(), s.user.userId(), s.id);
  }

  /** Closes every socket with 1001; the futures complete when their sessions are removed from the store. */
  List<Future<?>> drain() {
    List<Future<?>> released = new ArrayList<>();
    for (BridgeSession s : new ArrayList<>(bySocket.values())) {
      s.closing = true;
      node.metrics().closed(CloseCode.SHUTDOWN);
      SockJsClose.close(s.socket, CloseCode.SHUTDOWN.code(), reason(CloseCode.SHUTDOWN));
      released.add(release(s));
    }
    return released;
  }

  /** The close reason of a close that no error code describes: the close code's name in lower case, e.g. {@code slow_client}. */
  static String reason(CloseCode code) {
    return code.name().toLowerCase(java.util.Locale.ROOT);
  }

  private void cancel(long timer) {
    if (timer != BridgeSession.NO_TIMER) {
      vertx.cancelTimer(timer);
    }
  }
}
