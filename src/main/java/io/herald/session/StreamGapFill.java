package io.herald.session;

import io.herald.model.Notification;
import io.herald.state.HistoryStore;
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
 * has been recorded, so the gap is in history unless it has expired.
 */
final class StreamGapFill {

  private final HistoryStore history;

  StreamGapFill(HistoryStore history) {
    this.history = history;
  }

  /**
   * The notifications of the stream between the next offset its sequencer expects and the highest it holds,
   * positioned, in offset order; empty when the sequencer holds nothing or the read fails.
   */
  Future<List<Notification>> missing(StreamKey stream, StreamSequencer sequencer) {
    String epoch = sequencer.epoch();
    if (epoch == null || !sequencer.holding()) {
      return Future.succeededFuture(List.of());
    }
    long after = sequencer.next() - 1;
    long before = sequencer.highestHeld();
    return history.since(stream, epoch, after).map(replay -> {
      List<Notification> gap = new ArrayList<>();
      for (StoredNotification stored : replay.missed()) {
        long offset = stored.position().offset();
        if (epoch.equals(stored.position().epoch()) && offset > after && offset < before) {
          gap.add(stored.notification().withPosition(epoch, offset));
        }
      }
      return gap;
    }).otherwise(List.of());
  }
}
