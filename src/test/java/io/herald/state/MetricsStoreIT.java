package io.herald.state;

import static io.herald.state.SessionStoreContract.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.state.InMemorySessionStoreTest.ManualClock;
import io.herald.testkit.RedisTestKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hourly metrics on the shared Redis (read through its keys) and in memory (read through its view). */
class MetricsStoreIT {

  private static final String PREFIX = RedisTestKeys.uniquePrefix();

  /** Two Vert.x instances with a Redis client each: two nodes as far as Redis can tell. */
  private static Vertx vertx;
  private static Vertx otherVertx;
  private static Redis redis;
  private static Redis otherRedis;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    otherVertx = Vertx.vertx();
    // 100 adds in flight per node: more than the default pool (6 connections, 24 waiting) queues.
    redis = RedisTestKeys.createClient(vertx);
    otherRedis = RedisTestKeys.createClient(otherVertx);
  }

  @AfterAll
  static void stop() throws Exception {
    RedisTestKeys.deleteKeysAndClose(redis, PREFIX, otherVertx, vertx);
  }

  /** A distinct hour per test, so tests sharing the prefix never add to each other's keys. */
  private static Instant uniqueHour() {
    long hours = 100_000 + (UUID.randomUUID().getMostSignificantBits() >>> 44);
    return Instant.EPOCH.plus(Duration.ofHours(hours)).plusSeconds(1234);
  }

  /** The Redis view of the hour containing {@code at}, parsed; null when the key does not exist. */
  private static JsonObject redisView(Instant at) {
    Response raw = RedisSessionStoreIT.send(redis, Command.GET, RedisMetricsStore.viewKey(PREFIX, at));
    return raw == null ? null : new JsonObject(raw.toString());
  }

  @Test
  void twoNodesAddingConcurrentlySumExactly() {
    MetricsStore nodeA = new RedisMetricsStore(redis, PREFIX, RedisMetricsStore.DEFAULT_RETENTION_SECS);
    MetricsStore nodeB = new RedisMetricsStore(otherRedis, PREFIX, RedisMetricsStore.DEFAULT_RETENTION_SECS);
    Instant hour = uniqueHour();
    List<Future<Void>> adds = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      adds.add(nodeA.add(hour, 1, 2, 30));
      adds.add(nodeB.add(hour, 2, 3, 20));
    }
    await(Future.join(adds)); // join: every add has landed before the keys are read or deleted

    JsonObject view = redisView(hour);
    assertEquals(300, view.getLong("total_connections"));
    assertEquals(500, view.getLong("messages_sent"));
    assertEquals(10.0, view.getDouble("avg_latency_ms"), 1e-9, "(100*30 + 100*20) / 500");
    assertEquals(hour.toString(), view.getString("timestamp"));

    Response counters = RedisSessionStoreIT.send(redis, Command.HGETALL,
        RedisMetricsStore.viewKey(PREFIX, hour) + ":counters");
    assertEquals(300, counters.get("total_connections").toLong());
    assertEquals(500, counters.get("messages_sent").toLong());
    assertEquals(5000, counters.get("latency_sum_ms").toLong());
  }

  @Test
  void theRedisViewHasTheDocumentedShape() {
    MetricsStore store = new RedisMetricsStore(redis, PREFIX, 3600);
    Instant at = Instant.parse("2031-02-03T04:05:06.789Z");
    await(store.add(at, 4, 3, 10));

    String raw = RedisSessionStoreIT.send(redis, Command.GET, PREFIX + ":metrics:2031-02-03:04").toString();
    assertEquals("{\"total_connections\":4,\"messages_sent\":3,\"avg_latency_ms\":3.33,"
        + "\"timestamp\":\"2031-02-03T04:05:06.789Z\"}", raw);
  }

  @Test
  void redisAverageIsRoundedToHundredthsAndZeroWithoutMessages() {
    MetricsStore store = new RedisMetricsStore(redis, PREFIX, 3600);
    Instant hour = uniqueHour();
    await(store.add(hour, 5, 0, 0));
    assertEquals(0.0, redisView(hour).getDouble("avg_latency_ms"), "no message sent yet");

    await(store.add(hour, 0, 3, 2));
    assertEquals(0.67, redisView(hour).getDouble("avg_latency_ms"), 1e-9, "2/3 rounds up");
    await(store.add(hour, 0, 5, 123));
    assertEquals(15.63, redisView(hour).getDouble("avg_latency_ms"), 1e-9, "125/8 = 15.625 rounds half up");
  }

  @Test
  void redisHoursAndDaysAreSeparateKeysInUtc() {
    MetricsStore store = new RedisMetricsStore(redis, PREFIX, 3600);
    await(store.add(Instant.parse("2031-12-31T23:59:59.999Z"), 1, 0, 0));
    await(store.add(Instant.parse("2032-01-01T00:00:00Z"), 2, 0, 0));

    assertEquals(1, redisView(Instant.parse("2031-12-31T23:00:00Z")).getLong("total_connections"));
    assertEquals(2, redisView(Instant.parse("2032-01-01T00:30:00Z")).getLong("total_connections"));
    assertEquals(PREFIX + ":metrics:2032-01-01:00", RedisMetricsStore.viewKey(PREFIX, Instant.parse("2032-01-01T00:00:00Z")));
  }

  @Test
  void redisKeysBothCarryTheRetention() {
    Instant hour = uniqueHour();
    await(new RedisMetricsStore(redis, PREFIX, RedisMetricsStore.DEFAULT_RETENTION_SECS).add(hour, 1, 1, 1));
    String viewKey = RedisMetricsStore.viewKey(PREFIX, hour);
    for (String key : List.of(viewKey, viewKey + ":counters")) {
      long ttl = RedisSessionStoreIT.send(redis, Command.TTL, key).toLong();
      assertTrue(ttl > 604_790 && ttl <= 604_800, key + " TTL " + ttl);
    }
  }

  @Test
  void memoryStoreSumsConcurrentAddsWithTheSameArithmetic() throws InterruptedException {
    InMemoryMetricsStore store = new InMemoryMetricsStore(new ManualClock(), RedisMetricsStore.DEFAULT_RETENTION_SECS);
    Instant hour = Instant.parse("2024-05-01T10:15:00Z");
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      for (int node = 0; node < 2; node++) {
        threads.execute(() -> {
          for (int i = 0; i < 100; i++) {
            store.add(hour, 1, 2, 30);
          }
        });
      }
    } finally {
      threads.shutdown();
      assertTrue(threads.awaitTermination(5, TimeUnit.SECONDS));
    }

    JsonObject view = store.view(hour);
    assertEquals(200, view.getLong("total_connections"));
    assertEquals(400, view.getLong("messages_sent"));
    assertEquals(15.0, view.getDouble("avg_latency_ms"), 1e-9);
    assertEquals(hour.toString(), view.getString("timestamp"));
  }

  @Test
  void memoryAverageIsRoundedLikeRedis() {
    InMemoryMetricsStore store = new InMemoryMetricsStore(new ManualClock(), 3600);
    Instant hour = Instant.parse("2024-05-01T10:00:00Z");
    await(store.add(hour, 5, 0, 0));
    assertEquals(0.0, store.view(hour).getDouble("avg_latency_ms"));
    await(store.add(hour, 0, 3, 2));
    assertEquals(0.67, store.view(hour).getDouble("avg_latency_ms"), 1e-9);
    await(store.add(hour, 0, 5, 123));
    assertEquals(15.63, store.view(hour).getDouble("avg_latency_ms"), 1e-9);
  }

  @Test
  void memoryHoursAreSeparateAndForgottenAfterTheRetention() {
    ManualClock clock = new ManualClock();
    InMemoryMetricsStore store = new InMemoryMetricsStore(clock, 3600);
    await(store.add(Instant.parse("2024-05-01T10:59:59.999Z"), 1, 0, 0));
    await(store.add(Instant.parse("2024-05-01T11:00:00Z"), 2, 0, 0));
    assertEquals(1, store.view(Instant.parse("2024-05-01T10:00:00Z")).getLong("total_connections"));
    assertEquals(2, store.view(Instant.parse("2024-05-01T11:59:00Z")).getLong("total_connections"));
    assertNull(store.view(Instant.parse("2024-05-01T12:00:00Z")));

    clock.advance(Duration.ofSeconds(3599));
    assertNotNull(store.view(Instant.parse("2024-05-01T10:00:00Z")));
    clock.advance(Duration.ofSeconds(1));
    assertNull(store.view(Instant.parse("2024-05-01T10:00:00Z")), "an hour's retention after its last update");
  }
}
