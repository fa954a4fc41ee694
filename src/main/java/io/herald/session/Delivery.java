package io.herald.session;

import io.herald.model.Addresses;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.herald.protocol.CloseCode;
import io.herald.runtime.NodeInfo;
import io.herald.state.Position;
import io.herald.state.StreamKey;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Delivers the messages of the event bus to sessions, the same for every transport: a user event (NotificationUpdated)
 * to every session of the user unfiltered; a notification through, in this order, the hold of a replay in progress,
 * the drop of copies a replay or a queue take already wrote, the user stream's sequencer (offset order), the session's
 * filters, the drop of an id written lately ({@link RecentIds}), and the {@link BoundedWriter}. Counts deliveries in
 * the node's metrics and the verticle's hourly counters.
 */
public final class Delivery implements AddressRegistry.Deliverer {

  /** Milliseconds before a failed read of a gap from history is tried again. */
  static final long GAP_READ_RETRY_MS = 1000;

  /**
   * A live message held while a session's replay is read: a {@link Notification}, or a user event (a JSON object such
   * as NotificationUpdated), with the address it was delivered from.
   */
  record Held(String address, Object body) {
  }

  private final Vertx vertx;
  private final NodeInfo node;
  private final HourlyCounters hourly;
  private final BoundedWriter writer;
  private final int maxHeld;
  private final BoundedWriter.Closer closer;
  private final StreamGapFill gapFill;

  Delivery(Vertx vertx, NodeInfo node, HourlyCounters hourly, BoundedWriter writer, int slowClientMaxPending,
           BoundedWriter.Closer closer, StreamGapFill gapFill) {
    this.vertx = vertx;
    this.node = node;
    this.hourly = hourly;
    this.writer = writer;
    this.maxHeld = slowClientMaxPending;
    this.closer = closer;
    this.gapFill = gapFill;
  }

  @Override
  public void deliver(String address, Session[] targets, Object body) {
    if (body instanceof JsonObject event) {
      byte[] message = event.encode().getBytes(StandardCharsets.UTF_8);
      for (Session s : targets) {
        writeEvent(s, address, message);
      }
      return;
    }
    Notification notification = (Notification) body;
    long latencyMs = Math.max(0, System.currentTimeMillis() - notification.timestamp().toEpochMilli());
    int written = 0;
    for (Session s : targets) {
      written += deliverTo(s, address, notification);
    }
    counted(written, latencyMs);
  }

  /**
   * Writes a user event (unfiltered, to every session of the user), or holds it while the session's replay is read:
   * nothing overtakes the first message of a session.
   */
  private void writeEvent(Session s, String address, byte[] message) {
    if (s.heldDuringReplay != null && !s.closing) {
      hold(s, new Held(address, message));
    } else {
      writer.write(s, address, message);
    }
  }

  /** Holds a message until the session's replay is written; past {@code slow_client_max_pending} the client is slow. */
  private void hold(Session s, Held held) {
    if (s.heldDuringReplay.size() >= maxHeld) {
      closer.close(s, CloseCode.SLOW_CLIENT, null);
    } else {
      s.heldDuringReplay.add(held);
    }
  }

  /** Delivers what was held during a replay, in arrival order, now that the replay is written. */
  void deliverHeld(Session s, List<Held> held) {
    for (Held h : held) {
      if (h.body() instanceof Notification n) {
        deliverTo(s, h.address(), n);
      } else {
        writer.write(s, h.address(), (byte[]) h.body());
      }
    }
  }

  /**
   * Deduplicates against a replay, holds during one, puts the stream back in offset order, filters, and writes;
   * returns the messages written (more than one when this notification filled a gap others waited on).
   */
  private int deliverTo(Session s, String address, Notification notification) {
    if (s.closing) {
      return 0;
    }
    if (s.heldDuringReplay != null) {
      hold(s, new Held(address, notification));
      return 0;
    }
    if (!(notification.target() instanceof Target.Users)) {
      if (replayedAlready(s, address, notification)) {
        return 0;
      }
      if (notification.epoch() == null) {
        return writeLive(s, address, notification);
      }
      OrderedStream stream = sharedStream(s, address, sharedStreamKey(notification.target()));
      if (!stream.markFirst(notification.epoch(), notification.offset())) {
        return 0;
      }
      if (stream.sequencer.epoch() == null) {
        // Neither resumed nor asked for its position: in order from the first one this session sees.
        stream.sequencer.start(notification.epoch(), notification.offset() - 1);
      }
      return deliverInOrder(s, address, stream.key, stream, notification);
    }
    if (notification.epoch() != null && notification.epoch().equals(s.userStreamEpoch)
        && notification.offset() <= s.userStreamReplayedUpTo && notification.offset() > s.userStreamReplayedFrom) {
      return 0;
    }
    if (notification.epoch() != null && !firstWrite(s, new Position(notification.epoch(), notification.offset()))) {
      return 0;
    }
    return deliverInOrder(s, address, StreamKey.user(s.user.tenant(), s.user.userId()), s.userStream, notification);
  }

  /**
   * Writes what the stream's sequencer lets through now; while it holds notifications back, a timer reads the gap
   * from history after {@link StreamSequencer#MAX_WAIT_MS}.
   */
  private int deliverInOrder(Session s, String address, StreamKey key, OrderedStream stream, Notification notification) {
    int written = 0;
    for (Notification inOrder : stream.sequencer.offer(notification)) {
      written += writeLive(s, address, inOrder);
    }
    if (stream.sequencer.holding()) {
      readGapLater(s, address, key, stream, StreamSequencer.MAX_WAIT_MS);
    } else if (stream.reorderTimer != Session.NO_TIMER) {
      vertx.cancelTimer(stream.reorderTimer);
      stream.reorderTimer = Session.NO_TIMER;
    }
    return written;
  }

  /** Reads the gap below what the stream holds back after {@code delayMs}, unless a read is already due or running. */
  private void readGapLater(Session s, String address, StreamKey key, OrderedStream stream, long delayMs) {
    if (stream.reorderTimer == Session.NO_TIMER && !stream.gapFillInFlight) {
      stream.reorderTimer = vertx.setTimer(delayMs, id -> {
        stream.reorderTimer = Session.NO_TIMER;
        readFromHistory(s, address, key, stream, false);
      });
    }
  }

  /**
   * The position check of a slice of the heartbeat sweep (when {@code position_check} is on): for each session's user
   * stream and every topic and broadcast stream it receives, reads from history what follows the last offset written
   * and writes it. The last notifications of a stream can be recorded and never published to the session (their node
   * died with them in its buffers, a partition cut the event bus), with no later notification to reveal the gap.
   * A topic or the broadcast is shared by many sessions of the slice: its current position is read once, and only
   * the sessions behind it read what they miss. A stream whose gap is being waited on or read is left to that read;
   * nothing is checked while a session's replay is written.
   */
  void checkPositions(List<Session> slice) {
    Map<StreamKey, List<SharedStreamCheck>> byStream = new HashMap<>();
    for (Session s : slice) {
      if (!checkable(s)) {
        continue;
      }
      checkPosition(s, Addresses.user(s.user.tenant(), s.user.userId()), StreamKey.user(s.user.tenant(),
          s.user.userId()), s.userStream);
      if (s.sharedStreams != null) {
        s.sharedStreams.forEach((address, stream) -> byStream.computeIfAbsent(stream.key, k -> new ArrayList<>())
            .add(new SharedStreamCheck(s, address, stream)));
      }
    }
    byStream.forEach((key, checks) -> gapFill.current(key).onComplete(current -> {
      for (SharedStreamCheck check : checks) {
        Session s = check.session();
        OrderedStream stream = check.stream();
        if (checkable(s) && s.sharedStreams != null && s.sharedStreams.get(check.address()) == stream
            && !stream.sequencer.wrote(current)) {
          checkPosition(s, check.address(), key, stream);
        }
      }
    }, failed -> node.metrics().stateFailure("history")));
  }

  /** A topic or broadcast stream of a session, to check once the stream's current position is known. */
  private record SharedStreamCheck(Session session, String address, OrderedStream stream) {
  }

  private static boolean checkable(Session s) {
    return !s.closing && s.heldDuringReplay == null && s.user != null;
  }

  private void checkPosition(Session s, String address, StreamKey key, OrderedStream stream) {
    if (stream.sequencer.epoch() != null && !stream.sequencer.holding() && !stream.gapFillInFlight
        && stream.reorderTimer == Session.NO_TIMER) {
      readFromHistory(s, address, key, stream, true);
    }
  }

  /**
   * Reads from history what the stream misses — the gap below what its sequencer holds back, or, for the position
   * check ({@code toTail}), everything past what it has written — and writes it in order with what waited. After a
   * gap read, what history does not have (expired) is given up and what waited is written; a notification read here
   * whose live copy comes later is dropped by its position. A failed gap read is tried again after
   * {@link #GAP_READ_RETRY_MS} while notifications wait (giving the gap up would skip what history still holds); a
   * failed check waits for the next sweep.
   */
  private void readFromHistory(Session s, String address, StreamKey key, OrderedStream stream, boolean toTail) {
    long before = toTail ? Long.MAX_VALUE : stream.sequencer.highestHeld();
    stream.gapFillInFlight = true;
    gapFill.missing(key, stream.sequencer, before).onComplete(read -> {
      stream.gapFillInFlight = false;
      if (s.closing || (stream != s.userStream && (s.sharedStreams == null || s.sharedStreams.get(address) != stream))) {
        return; // closed, or left the topic meanwhile
      }
      if (read.failed()) {
        node.metrics().stateFailure("history");
        if (stream.sequencer.holding()) {
          readGapLater(s, address, key, stream, GAP_READ_RETRY_MS);
        }
        return;
      }
      int written = 0;
      for (Notification missed : read.result()) {
        if (s.heldDuringReplay != null) {
          hold(s, new Held(address, missed)); // a Resume started meanwhile: its replay goes first
        } else if (missed.offset() >= stream.sequencer.next() && stream.markFirst(missed.epoch(), missed.offset())) {
          for (Notification inOrder : stream.sequencer.offer(missed)) {
            written += writeLive(s, address, inOrder);
          }
        }
      }
      if (s.heldDuringReplay == null && !toTail) {
        for (Notification waited : stream.sequencer.releaseUpTo(before - 1)) {
          written += writeLive(s, address, waited);
        }
      }
      if (stream.sequencer.holding()) {
        readGapLater(s, address, key, stream, StreamSequencer.MAX_WAIT_MS);
      }
      counted(written, 0);
    });
  }

  /** Whether a replay of the broadcast or topic stream of {@code address} already wrote this notification. */
  private static boolean replayedAlready(Session s, String address, Notification notification) {
    if (s.replayedStreams == null || notification.epoch() == null) {
      return false;
    }
    Position replayed = s.replayedStreams.get(address);
    return replayed != null && notification.offset() <= replayed.offset() && notification.epoch().equals(replayed.epoch());
  }

  /**
   * Records a user-stream position as written; false when it was already. So a notification published twice to the
   * user's address — live by the ingress and by a session taking the offline queue it was also put in when the user
   * had no session; again at its first position after a JetStream redelivery or a publisher's retry; written from a
   * queue take this session was open for and then published by the taker — reaches the session once.
   */
  static boolean firstWrite(Session s, Position position) {
    return s.userStream.markFirst(position.epoch(), position.offset());
  }

  /**
   * The session's topic or broadcast stream at {@code address}, made at its first positioned notification or replay:
   * a second copy of a position is dropped (a JetStream redelivery or a publisher's retry published again at its
   * first position), and the stream is written in offset order.
   */
  static OrderedStream sharedStream(Session s, String address, StreamKey key) {
    if (s.sharedStreams == null) {
      s.sharedStreams = new HashMap<>();
    }
    return s.sharedStreams.computeIfAbsent(address, a -> new OrderedStream(key));
  }

  private static StreamKey sharedStreamKey(Target target) {
    return target instanceof Target.Topic topic
        ? StreamKey.topic(target.tenant(), topic.topic()) : StreamKey.broadcast(target.tenant());
  }

  /**
   * Writes a replayed notification (a Resume, an offline-queue take) unless the session's filters exclude it: the
   * client asked for it, even if this connection wrote it before. 1 when it was written.
   */
  int writeFiltered(Session s, String address, Notification notification) {
    return write(s, address, notification, true);
  }

  /**
   * Writes a live notification unless the session's filters exclude it or it wrote the same id lately (a copy
   * recorded again at a new position: {@link RecentIds}); 1 when it was written.
   */
  private int writeLive(Session s, String address, Notification notification) {
    return write(s, address, notification, false);
  }

  /** A replayed notification is written even when its id was written lately, and may wait past the live bound. */
  private int write(Session s, String address, Notification notification, boolean replayed) {
    if (s.closing) {
      return 0;
    }
    if (!s.filters.accepts(notification)) {
      node.metrics().filteredOut();
      return 0;
    }
    if (s.recentIds == null) {
      s.recentIds = new RecentIds();
    }
    if (!s.recentIds.markFirst(notification.idHash()) && !replayed) {
      return 0;
    }
    if (writer.write(s, address, notification.frameBytes(), replayed)) {
      s.messagesSent++;
      return 1;
    }
    return 0;
  }

  /**
   * Counts notifications written by the delivery path (a live delivery, or the reorder timer's release), with their
   * latency; replayed notifications are counted in the session's messages sent only.
   */
  private void counted(int written, long latencyMs) {
    if (written > 0) {
      hourly.delivered(written, latencyMs);
      node.metrics().delivered(written);
    }
  }
}
