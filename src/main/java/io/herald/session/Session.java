package io.herald.session;

import io.herald.auth.AuthenticatedUser;
import io.herald.model.Filters;
import io.herald.state.Position;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What Herald knows about one client connection, whatever its transport ({@code /ws} or the SockJS bridge): who it is
 * once authenticated, its limits, filters, topics and addresses, the state of its user stream, its outbound queue and
 * its timers. Owned by the event loop of the socket verticle that accepted it; the session core's classes change it,
 * and {@link SessionLifecycle#release} is the one place where it is released (timers cancelled, addresses left,
 * admission given back).
 */
public final class Session {

  static final long NO_TIMER = -1;

  final String id;
  final ClientTransport transport;
  final String ipAddress;
  final String userAgent;
  final Instant connectedAt = Instant.now();
  /** {@link System#nanoTime()} when the connection was accepted. */
  final long openedNanos;
  final TokenBucket rateLimit;
  /** Topics joined or left: bounded apart from the message rate, as each may (un)register a cluster-wide consumer. */
  final TopicBudget topicBudget;
  /**
   * What the node registry and the fleet-wide session store granted, the unauthenticated slot taken when the
   * connection was accepted first: given back in {@link SessionLifecycle#release}.
   */
  final Admission.Ticket admission;

  /** Null until authenticated and admitted. */
  AuthenticatedUser user;
  /** The device the client declared (recorded in the session store). */
  String device;
  boolean authenticating;
  boolean closing;
  Filters filters = Filters.NONE;
  /** Topics the client joined (or, on the bridge, may register), in the order joined. */
  final Set<String> topics = new LinkedHashSet<>();
  /** Event-bus addresses this session receives from ({@link AddressRegistry}); left on release. */
  final Set<String> addresses = new HashSet<>();

  /** While non-null, live notifications wait here until a replay (and the frames before it) has been written. */
  List<Delivery.Held> heldDuringReplay;
  /** The user stream's epoch and the offsets (from, upTo] a replay wrote: live copies of those are dropped. */
  String userStreamEpoch;
  long userStreamReplayedFrom;
  long userStreamReplayedUpTo;
  /**
   * The broadcast and topic streams a replay wrote, by address: the position up to which the client has been written
   * that stream; live copies at or before it are dropped. Null until the first such replay; an entry goes with its
   * address ({@link AddressRegistry#leave}).
   */
  Map<String, Position> replayedStreams;
  /**
   * The user stream: put back in offset order (it can arrive out of order in a fleet), its positions already written
   * — live or from a queue take the session was open for — and a second copy of one dropped ({@link Delivery#firstWrite}).
   */
  final OrderedStream userStream = new OrderedStream(null);
  /**
   * Each topic or broadcast stream the session receives, by the stream's event-bus address: its written positions and
   * its sequencer. Null until the first positioned notification or replay of one; an entry goes when the session
   * leaves its address ({@link AddressRegistry#leave}), so there are at most as many as the session's topics plus
   * its broadcast.
   */
  Map<String, OrderedStream> sharedStreams;
  /** The ids of the notifications written last, whatever their stream; a second copy is dropped. Null until the first. */
  RecentIds recentIds;

  /** A bridge resume is being read: another is refused until it is answered, as each may read every stream's history. */
  boolean resumeInFlight;

  /** The token looked up again by the re-check ({@link TokenRecheck}); null when none is due. */
  String recheckToken;
  long authTimer = NO_TIMER;
  long expiryTimer = NO_TIMER;
  long recheckTimer = NO_TIMER;
  long slowTimer = NO_TIMER;

  long lastActivityNanos;
  /** Client messages refused by the rate limit since the last accepted one. */
  int refusedInARow;
  long messagesSent;

  /** Messages waiting while the transport is not writable; null when the client keeps up. */
  ArrayDeque<BoundedWriter.Outgoing> pending;
  /** How many of {@link #pending} are replayed frames, which {@code slow_client_max_pending} does not count. */
  int pendingReplayed;
  /** A writability handler is installed on the transport (the first time it fell behind). */
  boolean writabilityWatched;

  Session(String id, ClientTransport transport, Admission.Ticket admission, String ipAddress, String userAgent,
          TokenBucket rateLimit, TopicBudget topicBudget, long nowNanos) {
    this.id = id;
    this.transport = transport;
    this.admission = admission;
    this.ipAddress = ipAddress;
    this.userAgent = userAgent;
    this.rateLimit = rateLimit;
    this.topicBudget = topicBudget;
    this.lastActivityNanos = nowNanos;
    this.openedNanos = nowNanos;
  }

  /** The connection id (also the session's id in the session store). */
  public String id() {
    return id;
  }

  /** The authenticated user, null until authenticated and admitted. */
  public AuthenticatedUser user() {
    return user;
  }

  public boolean authenticated() {
    return user != null;
  }

  /** Whether an authentication is in progress (token being checked, user being admitted). */
  public boolean authenticating() {
    return authenticating;
  }

  /** Whether the session is being closed or has been released: nothing more is written to it. */
  public boolean closing() {
    return closing;
  }

  public String device() {
    return device;
  }

  public Instant connectedAt() {
    return connectedAt;
  }

  public Filters filters() {
    return filters;
  }

  /** Replaces the session's filters; later deliveries (and replays) go through them. */
  public void filters(Filters filters) {
    this.filters = filters;
  }

  /**
   * The session's topics, in the order added: those it joined ({@link AddressRegistry#joinTopic}, which keeps this set
   * in step with the addresses), and on the bridge those its subscribe request granted before their address is
   * registered. A live view.
   */
  public Set<String> topics() {
    return topics;
  }

  /** Whether the session receives from the event-bus address. */
  public boolean receivesFrom(String address) {
    return addresses.contains(address);
  }

  /** How many event-bus addresses the session receives from. */
  public int addressCount() {
    return addresses.size();
  }

  /** Notifications written to the client so far. */
  public long messagesSent() {
    return messagesSent;
  }

  /**
   * Starts a bridge resume; false while another is being read (its reads and its reply, up to {@code history_size}
   * notifications per stream, are bounded to one at a time per session). Ended by {@link #resumeAnswered}.
   */
  public boolean resumeStarted() {
    if (resumeInFlight) {
      return false;
    }
    resumeInFlight = true;
    return true;
  }

  /** The bridge resume started by {@link #resumeStarted} has been answered. */
  public void resumeAnswered() {
    resumeInFlight = false;
  }

  /** The transport the session writes to. */
  public ClientTransport transport() {
    return transport;
  }
}
