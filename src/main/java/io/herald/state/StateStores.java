package io.herald.state;

import io.herald.config.StateOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Clock;

/** Chooses the state stores of a node from its options: Redis when {@code redis_url} is set, memory otherwise. */
public final class StateStores {

  /** Redis commands a verticle may have waiting for a pooled connection (fan-out bursts of history writes). */
  static final int REDIS_MAX_POOL_WAITING = 4096;
  static final int REDIS_MAX_POOL_SIZE = 32;

  private StateStores() {
  }

  public static StateFactory forOptions(StateOptions options) {
    return options.redisEnabled() ? redis(options) : memory(options);
  }

  /** Every verticle gets its own Redis client (bound to its event loop) and stores over it. */
  private static StateFactory redis(StateOptions options) {
    String prefix = options.getRedisKeyPrefix();
    return vertx -> {
      Redis redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(options.getRedisUrl())
          .setMaxPoolSize(REDIS_MAX_POOL_SIZE).setMaxPoolWaiting(REDIS_MAX_POOL_WAITING));
      return new State(
          new RedisSessionStore(redis, prefix, options.getSessionTtlSecs()),
          new RedisHistoryStore(redis, prefix, options.getHistorySize(), options.getHistoryTtlSecs(),
              HistoryStore.OFFLINE_QUEUE_MAX, options.getOfflineQueueTtlSecs()),
          new RedisInboxStore(redis, prefix, options.getInboxSize(), RedisInboxStore.DEFAULT_INBOX_TTL_SECS),
          new RedisMetricsStore(redis, prefix, options.getMetricsRetentionSecs()),
          // Called from the verticle's start: its batches leave from, and complete on, the verticle's event loop.
          new RedisNotificationRecorder(new RedisPipeline(redis, vertx.getOrCreateContext()), prefix,
              options.getHistorySize(), options.getHistoryTtlSecs(), HistoryStore.OFFLINE_QUEUE_MAX,
              options.getOfflineQueueTtlSecs(), options.getInboxSize(), RedisInboxStore.DEFAULT_INBOX_TTL_SECS),
          redis::close);
    };
  }

  /** One set of in-memory stores shared by every verticle of the (single, embedded) node. */
  private static StateFactory memory(StateOptions options) {
    Clock clock = Clock.systemUTC();
    InMemorySessionStore sessions = new InMemorySessionStore(clock, options.getSessionTtlSecs());
    InMemoryHistoryStore history = new InMemoryHistoryStore(clock,
        (tenant, user) -> sessions.count(tenant, user).result() > 0,
        options.getHistorySize(), options.getHistoryTtlSecs(), HistoryStore.OFFLINE_QUEUE_MAX,
        options.getOfflineQueueTtlSecs());
    InMemoryInboxStore inbox = new InMemoryInboxStore(clock, options.getInboxSize(), RedisInboxStore.DEFAULT_INBOX_TTL_SECS);
    InMemoryMetricsStore metrics = new InMemoryMetricsStore(clock, options.getMetricsRetentionSecs());
    State shared = new State(sessions, history, inbox, metrics, () -> { });
    return vertx -> shared;
  }
}
