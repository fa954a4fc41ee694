package io.herald.testkit;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The shared-Redis plumbing of the state tests: a client on {@code 127.0.0.1:6379}, a key prefix unique to the
 * test class, and the clean-up that deletes every key under that prefix (SCAN + DEL, leaving the rest of the
 * shared Redis alone) before closing the Vert.x instances.
 */
public final class RedisTestKeys {

  /** The shared Redis every state test talks to. */
  public static final String REDIS_URL = "redis://127.0.0.1:6379";

  private static final Duration WAIT = Duration.ofSeconds(10);

  private RedisTestKeys() {
  }

  /** A prefix unique to this run, shaped like the production one: {@code test-<8 hex>:websocket}. */
  public static String uniquePrefix() {
    return "test-" + UUID.randomUUID().toString().substring(0, 8) + ":websocket";
  }

  /**
   * Client options for the shared Redis, with a pool sized for the races the tests run (dozens to a hundred
   * commands in flight per client: more than the default pool of 6 connections and 24 waiting accepts).
   */
  public static RedisOptions options() {
    return new RedisOptions().setConnectionString(REDIS_URL).setMaxPoolSize(8).setMaxPoolWaiting(256);
  }

  /** A client of the shared Redis on {@code vertx}, with {@link #options()}. */
  public static Redis createClient(Vertx vertx) {
    return Redis.createClient(vertx, options());
  }

  /** Deletes every key under {@code prefix} (keys matching {@code <prefix>:*}) with SCAN + DEL. */
  public static void deleteKeys(Redis redis, String prefix) {
    String pattern = prefix + ":*";
    String cursor = "0";
    do {
      Response page = Await.result(redis.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern)
          .arg("COUNT").arg(1000)), WAIT, "SCAN " + pattern);
      cursor = page.get(0).toString();
      List<String> keys = new ArrayList<>();
      page.get(1).forEach(k -> keys.add(k.toString()));
      if (!keys.isEmpty()) {
        Request del = Request.cmd(Command.DEL);
        keys.forEach(del::arg);
        Await.result(redis.send(del), WAIT, "DEL");
      }
    } while (!"0".equals(cursor));
  }

  /**
   * Deletes every key under {@code prefix} through {@code redis}, then (even if that failed) closes each Vert.x
   * instance in turn, which closes the Redis clients created on it.
   */
  public static void deleteKeysAndClose(Redis redis, String prefix, Vertx... vertxes) throws Exception {
    try {
      deleteKeys(redis, prefix);
    } finally {
      for (Vertx vertx : vertxes) {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    }
  }
}
