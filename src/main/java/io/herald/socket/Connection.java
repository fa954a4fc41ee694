package io.herald.socket;

import io.herald.session.Admission;
import io.herald.session.TokenBucket;
import io.herald.session.TopicBudget;
import io.herald.auth.AuthenticatedUser;
import io.herald.model.Filters;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Everything a socket verticle knows about one connection. Owned by that verticle's event loop; released
 * in exactly one place, {@code SocketVerticle#release}, which cancels the timers and drops the
 * subscriptions.
 */
final class Connection {

  static final long NO_TIMER = -1;

  final String id;
  final ServerWebSocket socket;
  /** The socket's Netty channel context, where {@link FrameWriter} writes frames. */
  final ChannelHandlerContext channel;
  final String ipAddress;
  final String userAgent;
  final Instant connectedAt = Instant.now();
  /** {@link System#nanoTime()} when the socket was accepted. */
  final long openedNanos;
  final TokenBucket rateLimit;
  /** Topics joined or left: bounded apart from the message rate, as each may (un)register a cluster-wide consumer. */
  final TopicBudget topicBudget;

  /** Null until authenticated. */
  AuthenticatedUser user;
  String device;
  boolean authenticating;
  /**
   * What the node registry and the fleet-wide session store granted, the unauthenticated slot taken at the upgrade
   * first: given back in {@code release}.
   */
  final Admission.Ticket admission;
  /** While non-null, live notifications wait here until Authenticated or a replay has been written. */
  java.util.List<io.herald.model.Notification> heldDuringReplay;
  /** The user stream's epoch and the offsets (from, upTo] a replay wrote: live copies of those are dropped. */
  String userStreamEpoch;
  long userStreamReplayedFrom;
  long userStreamReplayedUpTo;
  /** Positions of the notifications written from another connection's queue take: their live copies are dropped. */
  Set<io.herald.state.Position> writtenFromQueueTake;
  boolean closing;
  Filters filters = Filters.NONE;
  final Set<String> topics = new LinkedHashSet<>();

  long authTimer = NO_TIMER;
  long expiryTimer = NO_TIMER;
  /** The token looked up again by the re-check ({@link io.herald.session.TokenRecheck}); null when none is due. */
  String recheckToken;
  long recheckTimer = NO_TIMER;
  long slowTimer = NO_TIMER;
  /** Releases what {@link #userStream} held when the gap did not fill in time. */
  long reorderTimer = NO_TIMER;
  /** Puts the user stream's notifications back in offset order (they can arrive out of order in a fleet). */
  final UserStreamSequencer userStream = new UserStreamSequencer();
  long lastActivityNanos;
  /** Client messages refused by the rate limit since the last accepted one. */
  int refusedInARow;
  long messagesSent;

  /** UTF-8 frames waiting while the socket's write queue is full; null when the client keeps up. */
  ArrayDeque<byte[]> pending;
  /** A writability listener is installed on the channel (the first time it fell behind). */
  boolean writabilityWatched;
  /** Written to since the last flush: in {@link FrameWriter}'s list of channels to flush. */
  boolean flushScheduled;
  /** Text frame being reassembled from continuation frames. */
  Buffer partialText;
  boolean partialIsBinary;

  Connection(String id, ServerWebSocket socket, ChannelHandlerContext channel, Admission.Ticket admission, String ipAddress,
             String userAgent, TokenBucket rateLimit, TopicBudget topicBudget, long nowNanos) {
    this.id = id;
    this.socket = socket;
    this.channel = channel;
    this.admission = admission;
    this.ipAddress = ipAddress;
    this.userAgent = userAgent;
    this.rateLimit = rateLimit;
    this.topicBudget = topicBudget;
    this.lastActivityNanos = nowNanos;
    this.openedNanos = nowNanos;
  }

  boolean authenticated() {
    return user != null;
  }
}
