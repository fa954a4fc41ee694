package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.PrivateRedis;
import io.herald.testkit.RedisTestKeys;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisNotificationRecorder} against the contract on the shared Redis (keys under a prefix of this run), plus
 * what only Redis shows, on a private redis-server: the writes of one turn in one batch of one EVALSHA each, scripts
 * loaded again after a flush, and a failing run that fails its batch without stopping the next ones.
 */
class RedisNotificationRecorderIT extends NotificationRecorderContract {

  private static final String PREFIX = RedisTestKeys.uniquePrefix();
  private static final Pattern EVALSHA_CALLS = Pattern.compile("(?m)^cmdstat_evalsha:calls=(\\d+),");
  private static final Pattern READS = Pattern.compile("(?m)^total_reads_processed:(\\d+)");

  private static Vertx vertx;
  private static Context context;
  private static Redis redis;

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    redis = RedisTestKeys.createClient(vertx);
  }

  @AfterAll
  static void deleteKeysAndClose() throws Exception {
    RedisTestKeys.deleteKeysAndClose(redis, PREFIX, vertx);
  }

  private static NotificationRecorder recorder(Redis client, String prefix) {
    return new RedisNotificationRecorder(new RedisPipeline(client, context), prefix, 100, 86_400, 100, 604_800, 100,
        604_800);
  }

  @Override
  protected Stores stores() {
    return new Stores(recorder(redis, PREFIX), new RedisHistoryStore(redis, PREFIX, 100, 86_400, 100, 604_800),
        new RedisInboxStore(redis, PREFIX, 100, 604_800));
  }

  @Override
  protected void setLiveSession(String tenant, String userId, boolean live) {
    String sessions = PREFIX + ":sessions:" + StreamKey.userKey(tenant, userId);
    if (live) {
      String connectionId = "conn-" + UUID.randomUUID();
      send(redis, Command.SADD, sessions, connectionId);
      send(redis, Command.SET, PREFIX + ":connections:" + connectionId, "{}", "EX", "300");
    } else {
      send(redis, Command.DEL, sessions);
    }
  }

  private static Response send(Redis client, Command command, String... args) {
    Request request = Request.cmd(command);
    for (String arg : args) {
      request.arg(arg);
    }
    return await(client.send(request));
  }

  /** Makes the calls in one task of the pipeline's event loop (one turn), and returns their futures. */
  private static <T> List<Future<T>> inOneTurn(List<Supplier<Future<T>>> calls) {
    CompletableFuture<List<Future<T>>> made = new CompletableFuture<>();
    context.runOnContext(v -> {
      List<Future<T>> futures = new ArrayList<>();
      calls.forEach(call -> futures.add(call.get()));
      made.complete(futures);
    });
    return made.join();
  }

  @Test
  void everyKeyWrittenCarriesItsTtl() {
    String user = unique("user");
    await(recorder(redis, PREFIX).recordForUser(TENANT, user, notification(TENANT, user, "one")));
    String userKey = StreamKey.userKey(TENANT, user);
    assertTtl(StreamKey.user(TENANT, user).redisKey(PREFIX), 86_400);
    assertTtl(PREFIX + ":queue:" + userKey, 604_800);
    assertTtl(PREFIX + ":unread:" + userKey, 604_800);
    assertTtl(PREFIX + ":inbox:" + userKey, 604_800);
  }

  private static void assertTtl(String key, long expected) {
    long ttl = send(redis, Command.TTL, key).toLong();
    assertTrue(ttl > expected - 100 && ttl <= expected, key + " TTL " + ttl);
  }

  @Test
  void oneTurnIsOneBatchOfOneEvalshaEachAndFlushedScriptsAreLoadedAgain() throws Exception {
    int port = PrivateRedis.freePort();
    Process server = PrivateRedis.start(port);
    Redis privateRedis = Redis.createClient(vertx, "redis://127.0.0.1:" + port);
    try {
      NotificationRecorder recorder = recorder(privateRedis, "websocket");
      String warm = unique("warm");
      await(recorder.recordForUser(TENANT, warm, notification(TENANT, warm, "loads the script")));
      List<String> users = List.of(unique("a"), unique("b"), unique("c"));
      List<Supplier<Future<AppendResult>>> calls = new ArrayList<>();
      for (int i = 0; i < 9; i++) {
        String user = users.get(i % 3);
        calls.add(() -> recorder.recordForUser(TENANT, user, notification(TENANT, user, "m")));
      }
      long evalshaBefore = info(privateRedis, "commandstats", EVALSHA_CALLS);
      long readsBefore = info(privateRedis, "stats", READS);
      List<Future<AppendResult>> recorded = inOneTurn(calls);
      await(Future.all(recorded));
      // The two INFO after the batch are reads of their own.
      long evalsha = info(privateRedis, "commandstats", EVALSHA_CALLS) - evalshaBefore;
      long reads = info(privateRedis, "stats", READS) - readsBefore - 2;
      assertEquals(9, evalsha, "one EVALSHA per user notification");
      assertTrue(reads <= 2, "one batch, one write (two reads if the kernel split it): " + reads);
      for (int i = 0; i < 9; i++) {
        assertEquals(i / 3 + 1, await(recorded.get(i)).position().offset(), "call " + i);
      }

      send(privateRedis, Command.SCRIPT, "FLUSH");
      List<Supplier<Future<AppendResult>>> again = new ArrayList<>();
      users.forEach(user -> again.add(() -> recorder.recordForUser(TENANT, user, notification(TENANT, user, "m"))));
      List<Future<AppendResult>> afterFlush = inOneTurn(again);
      for (Future<AppendResult> result : afterFlush) {
        assertEquals(4, await(result).position().offset(), "recorded once the scripts are loaded again");
      }
    } finally {
      await(privateRedis.close());
      PrivateRedis.kill(server);
    }
  }

  @Test
  void aFailingRunFailsItsBatchAndTheNextBatchesGoOn() {
    NotificationRecorder recorder = recorder(redis, PREFIX);
    String ok = unique("ok");
    String broken = unique("broken");
    // Not a stream: the append to it fails (WRONGTYPE), after the runs before it in the batch have run.
    send(redis, Command.SET, StreamKey.user(TENANT, broken).redisKey(PREFIX), "not a stream");
    List<Future<AppendResult>> batch = inOneTurn(List.of(
        () -> recorder.recordForUser(TENANT, ok, notification(TENANT, ok, "first")),
        () -> recorder.recordForUser(TENANT, broken, notification(TENANT, broken, "fails"))));
    Throwable own = batch.get(1).transform(r -> Future.succeededFuture(r.cause())).toCompletionStage()
        .toCompletableFuture().join();
    assertTrue(own != null && own.getMessage().contains("WRONGTYPE"), "its own error: " + own);
    Throwable lost = batch.get(0).transform(r -> Future.succeededFuture(r.cause())).toCompletionStage()
        .toCompletableFuture().join();
    assertTrue(lost != null && lost.getMessage().startsWith("reply lost"), "the other run's reply is lost: " + lost);

    AppendResult next = await(recorder.recordForUser(TENANT, ok, notification(TENANT, ok, "second")));
    assertEquals(2, next.position().offset(), "the run whose reply was lost did run; the pipeline goes on");
    assertNotEquals("", next.position().epoch());
  }

  private static long info(Redis client, String section, Pattern pattern) {
    Matcher m = pattern.matcher(send(client, Command.INFO, section).toString());
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
