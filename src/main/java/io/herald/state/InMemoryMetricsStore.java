package io.herald.state;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

/**
 * Hourly metrics of the embedded (no-Redis) single-node mode, with the arithmetic of {@link RedisMetricsStore}: the
 * same counters per UTC hour, the same rounding of the average, and an hour forgotten {@code retentionSecs} after
 * its last update (checked against the injected clock). Thread-safe; every future returned is already completed.
 */
public final class InMemoryMetricsStore implements MetricsStore {

  private static final class Hour {
    long totalConnections;
    long messagesSent;
    long latencySumMs;
    Instant lastUpdate;
    Instant expiresAt;
  }

  private final Clock clock;
  private final Duration retention;
  /** Start of the UTC hour to its counters. */
  private final Map<Instant, Hour> hours = new HashMap<>();

  /**
   * @param clock         time source for retention ({@link Clock#systemUTC()} outside tests)
   * @param retentionSecs how long an hour's counters live after its last update, in seconds
   *                      ({@value RedisMetricsStore#DEFAULT_RETENTION_SECS}, 7 days, by default)
   */
  public InMemoryMetricsStore(Clock clock, long retentionSecs) {
    if (retentionSecs < 1) {
      throw new IllegalArgumentException("retentionSecs must be at least 1, got " + retentionSecs);
    }
    this.clock = clock;
    this.retention = Duration.ofSeconds(retentionSecs);
  }

  /** A store on the system clock with the default retention ({@value RedisMetricsStore#DEFAULT_RETENTION_SECS} s). */
  public InMemoryMetricsStore() {
    this(Clock.systemUTC(), RedisMetricsStore.DEFAULT_RETENTION_SECS);
  }

  @Override
  public synchronized Future<Void> add(Instant at, long connectionsOpened, long messagesSent, long latencySumMs) {
    Instant now = clock.instant();
    hours.values().removeIf(hour -> !now.isBefore(hour.expiresAt));
    Hour hour = hours.computeIfAbsent(at.truncatedTo(ChronoUnit.HOURS), start -> new Hour());
    hour.totalConnections += connectionsOpened;
    hour.messagesSent += messagesSent;
    hour.latencySumMs += latencySumMs;
    hour.lastUpdate = at;
    hour.expiresAt = now.plus(retention);
    return Future.succeededFuture();
  }

  /**
   * The view Redis would hold for the UTC hour containing {@code at}:
   * {@code {total_connections, messages_sent, avg_latency_ms, timestamp}}; null when that hour has no counters or
   * they expired.
   */
  public synchronized JsonObject view(Instant at) {
    Hour hour = hours.get(at.truncatedTo(ChronoUnit.HOURS));
    if (hour == null || !clock.instant().isBefore(hour.expiresAt)) {
      return null;
    }
    // Rounded half up to hundredths from the integer totals, as the Redis script does.
    long hundredths = hour.messagesSent == 0 ? 0 : (200 * hour.latencySumMs + hour.messagesSent) / (2 * hour.messagesSent);
    return new JsonObject()
        .put("total_connections", hour.totalConnections)
        .put("messages_sent", hour.messagesSent)
        .put("avg_latency_ms", hundredths / 100.0)
        .put("timestamp", hour.lastUpdate.toString());
  }
}
