package io.herald.state;

import io.vertx.core.Future;
import java.time.Instant;

/**
 * Hourly fleet-wide counters at {@code <prefix>:metrics:<yyyy-MM-dd>:<HH>} (UTC): every node adds its deltas
 * atomically (a hash of counters, {@code <key>:counters}, merged with HINCRBY) and the JSON view
 * {@code {total_connections, messages_sent, avg_latency_ms, timestamp}} at the key itself is rewritten in the
 * same step; both keep a retention TTL.
 */
public interface MetricsStore {

  /**
   * Adds this node's deltas for the hour containing {@code at}.
   *
   * @param connectionsOpened connections authenticated since the last flush (total_connections counts them)
   * @param messagesSent      notification frames written since the last flush
   * @param latencySumMs      sum of ingress-to-write latencies of those frames, in milliseconds
   */
  Future<Void> add(Instant at, long connectionsOpened, long messagesSent, long latencySumMs);
}
