package io.herald.socket.bridge;

import io.herald.auth.AuthenticatedUser;
import io.herald.model.Filters;
import io.herald.session.Admission;
import io.herald.session.TokenBucket;
import io.herald.session.TopicBudget;
import io.vertx.core.Future;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Everything Herald knows about one bridge socket: who it is (once authenticated), what it may receive, its filters,
 * limits and timers. Owned by the event loop of the socket verticle whose bridge created it; released in one place,
 * {@code BridgeSessions#release}.
 */
final class BridgeSession {

  static final long NO_TIMER = -1;

  /** The device recorded for bridge sessions in the session store: the bridge serves browser dashboards. */
  static final String DEVICE = "Dashboard";

  final String id;
  final SockJSSocket socket;
  final String ipAddress;
  final String userAgent;
  final Instant connectedAt = Instant.now();
  final TokenBucket rateLimit;
  /** REGISTER/UNREGISTER of topic addresses: each may (un)register a cluster-wide consumer. */
  final TopicBudget topicBudget;
  /** The unauthenticated slot taken when the socket was created, then what authentication's admission granted. */
  final Admission.Ticket admission;

  /** Null until a token came (with the URL or a frame's headers); then the authentication and admission. */
  Future<AuthenticatedUser> authentication;
  /** Null until authenticated and admitted. */
  AuthenticatedUser user;
  boolean closing;
  Filters filters = Filters.NONE;
  /** Topics joined through the client API's subscribe or by registering a topic address. */
  final Set<String> topics = new LinkedHashSet<>();
  /** Addresses whose REGISTER Herald approved: the only ones whose messages are written to the socket. */
  final Set<String> registered = new HashSet<>();
  /** Reply labels of client API requests in flight, with the nanoTime after which they are forgotten. */
  final Map<String, Long> pendingReplies = new HashMap<>();

  long lastActivityNanos;
  int refusedInARow;
  long messagesSent;
  long authTimer = NO_TIMER;
  long expiryTimer = NO_TIMER;
  /** The token looked up again by the re-check ({@link io.herald.session.TokenRecheck}); null when none is due. */
  String recheckToken;
  long recheckTimer = NO_TIMER;
  long slowTimer = NO_TIMER;
  /** Messages written while the socket's write queue was full; bounded by {@code slow_client_max_pending}. */
  int writtenWhileFull;

  BridgeSession(String id, SockJSSocket socket, Admission.Ticket admission, String ipAddress, String userAgent,
                TokenBucket rateLimit, TopicBudget topicBudget, long nowNanos) {
    this.id = id;
    this.socket = socket;
    this.admission = admission;
    this.topicBudget = topicBudget;
    this.ipAddress = ipAddress;
    this.userAgent = userAgent;
    this.rateLimit = rateLimit;
    this.lastActivityNanos = nowNanos;
  }

  boolean authenticated() {
    return user != null;
  }
}
