package io.herald.session;

import io.herald.state.MetricsStore;
import io.vertx.core.Future;
import java.time.Instant;

/**
 * What one socket verticle adds to the hourly metrics ({@code total_connections}, {@code messages_sent},
 * {@code avg_latency_ms}) between two flushes, for its {@code /ws} connections and its bridge sockets alike. Owned by
 * the verticle's event loop.
 */
public final class HourlyCounters {

  private long connectionsOpened;
  private long messagesSent;
  private long latencySumMs;

  /** A connection authenticated (total_connections counts connections authenticated during the hour). */
  public void connectionOpened() {
    connectionsOpened++;
  }

  /** {@code count} notification frames written, each {@code latencyMs} after the notification entered the node. */
  public void delivered(int count, long latencyMs) {
    messagesSent += count;
    latencySumMs += count * Math.max(0, latencyMs);
  }

  /** Adds the counts to the store and starts again from zero; nothing is written when nothing happened. */
  public Future<Void> flushTo(MetricsStore store, Instant at) {
    if (connectionsOpened == 0 && messagesSent == 0) {
      return Future.succeededFuture();
    }
    Future<Void> added = store.add(at, connectionsOpened, messagesSent, latencySumMs);
    connectionsOpened = 0;
    messagesSent = 0;
    latencySumMs = 0;
    return added;
  }
}
