package io.herald.state;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Hourly fleet-wide metrics in Redis ({@code <p>} is the key prefix; date and hour in UTC):
 * <ul>
 *   <li>{@code <p>:metrics:<yyyy-MM-dd>:<HH>:counters}: HASH of {@code total_connections}, {@code messages_sent}
 *       and {@code latency_sum_ms}, which every node increments;</li>
 *   <li>{@code <p>:metrics:<yyyy-MM-dd>:<HH>}: the JSON view
 *       {@code {"total_connections":N,"messages_sent":M,"avg_latency_ms":X.XX,"timestamp":"<ISO instant>"}}.</li>
 * </ul>
 * One Lua script per {@link #add} increments the counters and rewrites the view from their new totals, so views
 * written by racing nodes never lose an increment; both keys get the retention TTL again on every add.
 */
public final class RedisMetricsStore implements MetricsStore {

  /** Key prefix used when none is configured. */
  public static final String DEFAULT_PREFIX = "websocket";
  /** Retention used when none is configured: 7 days, in seconds. */
  public static final long DEFAULT_RETENTION_SECS = 604_800;

  private static final DateTimeFormatter HOUR_KEY = DateTimeFormatter.ofPattern("yyyy-MM-dd:HH").withZone(ZoneOffset.UTC);

  /**
   * KEYS: counters hash, JSON view; ARGV: connections opened, messages sent, latency sum ms, timestamp, retention secs.
   * The average is rounded half up to hundredths from the integer totals ((200 sum + n) / 2n hundredths) and
   * formatted with two decimals, exactly as {@link InMemoryMetricsStore} does.
   */
  private static final RedisScript ADD = new RedisScript(
      "local connections = redis.call('HINCRBY', KEYS[1], 'total_connections', ARGV[1])\n"
      + "local messages = redis.call('HINCRBY', KEYS[1], 'messages_sent', ARGV[2])\n"
      + "local latencySum = redis.call('HINCRBY', KEYS[1], 'latency_sum_ms', ARGV[3])\n"
      + "local hundredths = 0\n"
      + "if messages > 0 then hundredths = math.floor((200 * latencySum + messages) / (2 * messages)) end\n"
      + "redis.call('SET', KEYS[2], string.format("
      + "'{\"total_connections\":%d,\"messages_sent\":%d,\"avg_latency_ms\":%d.%02d,\"timestamp\":%s}',\n"
      + "    connections, messages, math.floor(hundredths / 100), hundredths % 100, cjson.encode(ARGV[4])))\n"
      + "redis.call('EXPIRE', KEYS[1], ARGV[5])\n"
      + "redis.call('EXPIRE', KEYS[2], ARGV[5])\n"
      + "return 1\n");

  private final Redis redis;
  private final String prefix;
  private final String retentionSecs;

  /**
   * @param redis         the client the script runs on
   * @param prefix        key prefix ({@value #DEFAULT_PREFIX} by default)
   * @param retentionSecs how long an hour's keys live after its last update, in seconds
   *                      ({@value #DEFAULT_RETENTION_SECS}, 7 days, by default)
   */
  public RedisMetricsStore(Redis redis, String prefix, long retentionSecs) {
    if (retentionSecs < 1) {
      throw new IllegalArgumentException("retentionSecs must be at least 1, got " + retentionSecs);
    }
    this.redis = redis;
    this.prefix = prefix;
    this.retentionSecs = Long.toString(retentionSecs);
  }

  /**
   * A store with the default prefix ({@value #DEFAULT_PREFIX}) and retention ({@value #DEFAULT_RETENTION_SECS} s).
   *
   * @param redis the client the script runs on
   */
  public RedisMetricsStore(Redis redis) {
    this(redis, DEFAULT_PREFIX, DEFAULT_RETENTION_SECS);
  }

  @Override
  public Future<Void> add(Instant at, long connectionsOpened, long messagesSent, long latencySumMs) {
    String viewKey = viewKey(prefix, at);
    return ADD.run(redis, List.of(viewKey + ":counters", viewKey),
            List.of(Long.toString(connectionsOpened), Long.toString(messagesSent), Long.toString(latencySumMs),
                at.toString(), retentionSecs))
        .mapEmpty();
  }

  /** The key of the JSON view of the hour containing {@code at}: {@code <prefix>:metrics:<yyyy-MM-dd>:<HH>}, UTC. */
  public static String viewKey(String prefix, Instant at) {
    return prefix + ":metrics:" + HOUR_KEY.format(at);
  }
}
