package io.herald.session;

import io.herald.model.Notification;
import io.herald.state.Position;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Puts one connection's notifications of one history stream — its user stream, a topic, the broadcast — back in
 * offset order.
 *
 * <p>In a fleet, consecutive notifications of a stream can enter through different nodes (NATS's queue group, the
 * JetStream consumer the fleet shares, HTTP behind a load balancer). The store gives them consecutive offsets, but
 * each node publishes on its own, so they can arrive out of order — and a client that keeps the highest offset it
 * saw for {@code Resume} would then skip the one still on its way. A notification ahead of the next expected offset
 * waits here until the gap fills, for at most {@link #MAX_WAIT_MS} (the caller's timer, after which the gap is read
 * from history: {@link StreamGapFill}) or {@link #MAX_HELD} notifications; one at or behind it (late after such a
 * wait, or an offline-queue notification older than the connection) passes at once. Nothing is dropped here (a
 * second copy of a position is the caller's to drop: {@link WrittenOffsets}); on a single node, where the ingress
 * publishes a stream in order, nothing ever waits. The sequencer works before the session's filters: a
 * notification they exclude still fills its offset.
 *
 * <p>Owned by the session's event loop, like the rest of {@link Session}.
 */
final class StreamSequencer {

  /** Longest a notification waits for an earlier one, in milliseconds. */
  static final long MAX_WAIT_MS = 50;
  /** Most notifications waiting at once; one more releases them all. */
  static final int MAX_HELD = 256;

  private String epoch;
  /** Started at offset 0, nothing seen since: the stream's first notification may carry any epoch (see README). */
  private boolean anyEpoch;
  private long next;
  private final TreeMap<Long, Notification> held = new TreeMap<>();

  /**
   * Starts (or, after a {@code Resume}, restarts) at a position of the stream whose notifications up to
   * {@code lastOffset} the connection has been written: the next expected is {@code lastOffset + 1}, and what waited
   * up to there is not written again.
   */
  void start(String streamEpoch, long lastOffset) {
    if (!streamEpoch.equals(epoch)) {
      held.clear();
    }
    epoch = streamEpoch;
    anyEpoch = lastOffset == 0;
    next = lastOffset + 1;
    held.headMap(next).clear();
  }

  /** The notifications to write now, in offset order: usually just {@code n}, none when it must wait. */
  List<Notification> offer(Notification n) {
    if (n.epoch() == null || epoch == null) {
      return List.of(n);
    }
    if (!n.epoch().equals(epoch) && anyEpoch && held.isEmpty()) {
      // Started before the stream had anything: it was created since, under its own epoch, from offset 1.
      epoch = n.epoch();
    }
    anyEpoch = false;
    if (!n.epoch().equals(epoch)) {
      // The stream restarted under a new epoch: what waited belongs to the old one and goes first.
      List<Notification> out = releaseAll();
      out.add(n);
      epoch = n.epoch();
      next = n.offset() + 1;
      return out;
    }
    long offset = n.offset();
    if (offset < next) {
      return List.of(n);
    }
    if (offset == next) {
      next++;
      if (held.isEmpty()) {
        // The usual case on every delivery: nothing waited.
        return List.of(n);
      }
      List<Notification> out = new ArrayList<>(1 + held.size());
      out.add(n);
      while (!held.isEmpty() && held.firstKey() == next) {
        out.add(held.pollFirstEntry().getValue());
        next++;
      }
      return out;
    }
    held.put(offset, n);
    return held.size() > MAX_HELD ? releaseAll() : List.of();
  }

  /** The stream's epoch, null before the first {@link #start}. */
  String epoch() {
    return epoch;
  }

  /** The next offset expected: everything before it has been written or given up. */
  long next() {
    return next;
  }

  /** The highest offset waiting; {@link #next()} - 1 when none waits. */
  long highestHeld() {
    return held.isEmpty() ? next - 1 : held.lastKey();
  }

  /** Whether notifications are waiting for an earlier one. */
  boolean holding() {
    return !held.isEmpty();
  }

  /** Whether everything of the stream up to {@code position} has been released: same epoch, nothing expected below. */
  boolean wrote(Position position) {
    return position.epoch().equals(epoch) && next > position.offset();
  }

  /**
   * Gives up on the offsets up to {@code offset} that never came: what waits up to there, and then what follows it
   * without a gap, in offset order; what waits past a further gap goes on waiting.
   */
  List<Notification> releaseUpTo(long offset) {
    List<Notification> out = new ArrayList<>();
    while (!held.isEmpty() && held.firstKey() <= offset) {
      out.add(held.pollFirstEntry().getValue());
    }
    next = Math.max(next, offset + 1);
    while (!held.isEmpty() && held.firstKey() == next) {
      out.add(held.pollFirstEntry().getValue());
      next++;
    }
    return out;
  }

  /** Gives up on the gap: everything waiting, in offset order; the next expected follows the last of them. */
  List<Notification> releaseAll() {
    List<Notification> out = new ArrayList<>(held.values());
    if (!held.isEmpty()) {
      next = held.lastKey() + 1;
      held.clear();
    }
    return out;
  }
}
