package io.herald.session;

import io.herald.model.Notification;
import io.herald.state.HistoryStore;
import io.herald.state.Position;
import io.herald.state.StoredNotification;
import io.herald.state.StreamKey;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads from history the notifications a session's stream — its user stream, a topic, the broadcast — is missing
 * when later ones have waited {@link StreamSequencer#MAX_WAIT_MS} for them.
 *
 * <p>In a fleet a notification can be recorded and never published to a session: the node that recorded it dies with
 * the publish still in its outbound buffers (its JetStream ack may have left first, so nothing delivers it again), or
 * publishes it seconds late (a redelivery after {@code nats_ack_wait_secs}, a node far behind). Without the read, the
 * session would write the later ones past the gap, the client's highest offset would pass it, and neither live
 * delivery nor a resume from that offset would ever bring it. Every offset of a stream below one that exists
 * has been recorded, so the gap is in history unless it has expired. The same read, unbounded, is the position check
 * ({@link Delivery#checkPositions}): the last notifications of a stream can be lost that way too, with no later one
 * to reveal the gap.
 */
final class StreamGapFill {

  private final HistoryStore history;

  StreamGapFill(HistoryStore history) {
    this.history = history;
  }

  /** The stream's current position: its epoch and highest offset. */
  Future<Position> current(StreamKey stream) {
    return history.current(stream);
  }

  /**
   * The notifications of the stream after the offset before the one its sequencer expects next and before
   * {@code before}, positioned, in offset order; empty when the sequencer has no epoch yet. Fails when the read
   * fails: the caller tries again rather than give the gap up.
   */
  Future<List<Notification>> missing(StreamKey stream, StreamSequencer sequencer, long before) {
    String epoch = sequencer.epoch();
    if (epoch == null) {
      return Future.succeededFuture(List.of());
    }
    long after = sequencer.next() - 1;
    return history.since(stream, epoch, after).map(replay -> {
      List<Notification> gap = new ArrayList<>();
      for (StoredNotification stored : replay.missed()) {
        long offset = stored.position().offset();
        if (epoch.equals(stored.position().epoch()) && offset > after && offset < before) {
          gap.add(stored.notification().withPosition(epoch, offset));
        }
      }
      return gap;
    });
  }
}
