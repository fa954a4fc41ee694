package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Notification;
import io.herald.testkit.Await;
import io.herald.testkit.RedisTestKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisHistoryStore} against the contract on the shared Redis (keys under a prefix unique to this run,
 * deleted afterwards), plus what only Redis has: key TTLs, the fleet's session keys, races between two clients
 * (two nodes), and a flushed Redis (a private redis-server started by the test).
 */
class RedisHistoryStoreIT extends HistoryStoreContract {

  private static final String PREFIX = RedisTestKeys.uniquePrefix();

  private static Vertx vertx;
  /** Two clients, as two nodes would have. */
  private static Redis redis;
  private static Redis otherRedis;

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    redis = RedisTestKeys.createClient(vertx);
    otherRedis = RedisTestKeys.createClient(vertx);
  }

  @AfterAll
  static void deleteKeysAndClose() throws Exception {
    RedisTestKeys.deleteKeysAndClose(redis, PREFIX, vertx);
  }

  private static Response command(Redis client, Command command, Object... args) {
    return await(client.send(Request.cmd(command, args)));
  }

  @Override
  protected HistoryStore newStore() {
    return new RedisHistoryStore(redis, PREFIX, 100, 86_400, 100, 604_800);
  }

  /** Live: the user's set holds a connection id whose metadata exists. Not live: the metadata is gone. */
  @Override
  protected void setLiveSession(String tenant, String userId, boolean live) {
    String connectionId = "conn-" + UUID.randomUUID();
    String userKey = StreamKey.userKey(tenant, userId);
    if (live) {
      command(redis, Command.SADD, PREFIX + ":sessions:" + userKey, connectionId);
      command(redis, Command.SET, PREFIX + ":connections:" + connectionId, "{}", "EX", 300);
    } else {
      List<Object> metadataKeys = new ArrayList<>();
      command(redis, Command.SMEMBERS, PREFIX + ":sessions:" + userKey)
          .forEach(id -> metadataKeys.add(PREFIX + ":connections:" + id));
      if (!metadataKeys.isEmpty()) {
        command(redis, Command.DEL, metadataKeys.toArray());
      }
    }
  }

  /**
   * Checks the record's key and TTL ({@code <prefix>:queue-taken:<u>}, at most QUEUE_TAKE_RECORD_SECS), then
   * shortens that TTL to 1 ms (rather than waiting a minute) and waits until Redis has expired the key.
   */
  @Override
  protected void expireQueueTakeRecord(String tenant, String userId) {
    String key = PREFIX + ":queue-taken:" + StreamKey.userKey(tenant, userId);
    long pttl = command(redis, Command.PTTL, key).toLong();
    long max = HistoryStore.QUEUE_TAKE_RECORD_SECS * 1000;
    assertTrue(pttl > max - 10_000 && pttl <= max, "TTL of " + key + ": " + pttl + " ms");
    assertEquals(0, command(redis, Command.EXISTS, PREFIX + ":queue:" + StreamKey.userKey(tenant, userId)).toInteger(),
        "the taken queue itself is gone");
    command(redis, Command.PEXPIRE, key, 1);
    Await.until(() -> command(redis, Command.EXISTS, key).toInteger() == 0, Duration.ofSeconds(5),
        key + " to expire");
  }

  @Test
  void appendsRefreshTheTtlsOfStreamAndQueue() {
    String user = unique("user");
    await(store.appendForUser(TENANT, user, notification(TENANT, user, 1)));
    String userKey = StreamKey.userKey(TENANT, user);
    long historyTtl = command(redis, Command.TTL, StreamKey.user(TENANT, user).redisKey(PREFIX)).toLong();
    long queueTtl = command(redis, Command.TTL, PREFIX + ":queue:" + userKey).toLong();
    assertTrue(historyTtl > 86_000 && historyTtl <= 86_400, "history TTL " + historyTtl);
    assertTrue(queueTtl > 604_000 && queueTtl <= 604_800, "queue TTL " + queueTtl);
  }

  @Test
  void anIdIsRememberedBeyondTheStreamsEntriesAndForgottenWithTheStream() {
    // A stream of 5 entries still knows the ids of its last DEDUPE_IDS_PER_STREAM appends: a copy recorded late by
    // another node of the fleet, or redelivered, keeps its first position although its entry was trimmed.
    HistoryStore small = new RedisHistoryStore(redis, PREFIX, 5, 86_400, 100, 604_800);
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    Notification early = notification(TENANT, "u", 0);
    Position first = await(small.append(stream, early));
    for (int i = 1; i <= 20; i++) {
      await(small.append(stream, notification(TENANT, "u", i)));
    }
    assertEquals(first, await(small.append(stream, early)), "its entry trimmed, its id still known");
    assertEquals(21, command(redis, Command.ZCARD, stream.idsRedisKey(PREFIX)).toLong());
    long idsTtl = command(redis, Command.TTL, stream.idsRedisKey(PREFIX)).toLong();
    assertTrue(idsTtl > 86_000 && idsTtl <= 86_400, "the index lives as long as its stream: " + idsTtl);
  }

  @Test
  void anExpiredStreamStartsAgainWithANewEpochAndOffsetOne() {
    HistoryStore shortLived = new RedisHistoryStore(redis, PREFIX, 100, 1, 100, 604_800);
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    await(shortLived.append(stream, notification(TENANT, "u", 1)));
    Position old = await(shortLived.append(stream, notification(TENANT, "u", 2)));
    Await.until(() -> command(redis, Command.EXISTS, stream.redisKey(PREFIX)).toInteger() == 0,
        Duration.ofSeconds(5), "the 1-second history TTL to expire " + stream);

    Notification afterExpiry = notification(TENANT, "u", 3);
    Position restarted = await(shortLived.append(stream, afterExpiry));
    assertEquals(1, restarted.offset());
    assertNotEquals(old.epoch(), restarted.epoch());
    Replay replay = await(shortLived.since(stream, old.epoch(), old.offset()));
    assertFalse(replay.recovered(), "the history of the old epoch is lost");
    assertEquals(restarted, replay.current());
    assertEquals(List.of(afterExpiry.id()), ids(replay.missed()));
  }

  @Test
  void sessionIdsWhoseMetadataExpiredCountAsOfflineAndAreRemoved() {
    String user = unique("user");
    String sessions = PREFIX + ":sessions:" + StreamKey.userKey(TENANT, user);
    command(redis, Command.SADD, sessions, "live-conn", "dead-conn");
    command(redis, Command.SET, PREFIX + ":connections:live-conn", "{}", "EX", 300);

    assertFalse(await(store.appendForUser(TENANT, user, notification(TENANT, user, 1))).queued());
    assertEquals(Set.of("live-conn"), members(sessions));

    command(redis, Command.DEL, PREFIX + ":connections:live-conn");
    assertTrue(await(store.appendForUser(TENANT, user, notification(TENANT, user, 2))).queued());
    assertEquals(0, command(redis, Command.EXISTS, sessions).toInteger(), "every stale id was removed");
  }

  private static Set<String> members(String setKey) {
    Set<String> members = new HashSet<>();
    command(redis, Command.SMEMBERS, setKey).forEach(m -> members.add(m.toString()));
    return members;
  }

  @Test
  void twoClientsTakingTheSameQueueNeverGetTheSameNotification() {
    String user = unique("user");
    HistoryStore storeA = store;
    HistoryStore storeB = new RedisHistoryStore(otherRedis, PREFIX, 100, 86_400, 100, 604_800);
    List<String> appended = new ArrayList<>();
    List<Future<?>> inFlight = new ArrayList<>();
    List<Future<List<StoredNotification>>> takes = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      Notification n = notification(TENANT, user, i);
      appended.add(n.id());
      inFlight.add(storeA.appendForUser(TENANT, user, n));
      if (i % 3 == 0) {
        takes.add(storeA.takeOfflineQueue(TENANT, user));
        takes.add(storeB.takeOfflineQueue(TENANT, user));
      }
    }
    inFlight.addAll(takes);
    await(Future.all(inFlight));
    takes.add(storeB.takeOfflineQueue(TENANT, user));

    List<String> taken = new ArrayList<>();
    for (Future<List<StoredNotification>> take : takes) {
      List<StoredNotification> batch = await(take);
      List<Long> offsets = offsets(batch);
      assertEquals(offsets.stream().sorted().toList(), offsets, "each take is oldest first");
      taken.addAll(ids(batch));
    }
    assertEquals(taken.size(), new HashSet<>(taken).size(), "no notification taken twice");
    assertEquals(new HashSet<>(appended), new HashSet<>(taken), "every queued notification taken once");
  }

  @Test
  void concurrentAppendsFromTwoClientsGetEveryOffsetOnce() {
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    HistoryStore storeB = new RedisHistoryStore(otherRedis, PREFIX, 100, 86_400, 100, 604_800);
    List<Notification> notifications = new ArrayList<>();
    List<Future<Position>> appends = new ArrayList<>();
    for (int i = 1; i <= 50; i++) {
      Notification n = notification(TENANT, "u", i);
      notifications.add(n);
      appends.add((i % 2 == 0 ? store : storeB).append(stream, n));
    }
    await(Future.all(appends));

    Map<Long, String> idAtOffset = new HashMap<>();
    Set<String> epochs = new HashSet<>();
    for (int i = 0; i < appends.size(); i++) {
      Position position = await(appends.get(i));
      epochs.add(position.epoch());
      assertEquals(null, idAtOffset.put(position.offset(), notifications.get(i).id()),
          "offset " + position.offset() + " given twice");
    }
    assertEquals(1, epochs.size(), "one epoch even when the stream was created by a race");
    assertEquals(new HashSet<>(range(1, 50)), idAtOffset.keySet());

    Replay replay = await(store.since(stream, epochs.iterator().next(), 0));
    assertTrue(replay.recovered());
    assertEquals(range(1, 50), offsets(replay.missed()));
    for (StoredNotification stored : replay.missed()) {
      assertEquals(idAtOffset.get(stored.position().offset()), stored.notification().id());
    }
  }

  @Test
  void aFlushedRedisGivesANewEpochAndTheScriptsAreLoadedAgain() throws Exception {
    int port = freePort();
    Process server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    Redis privateRedis = Redis.createClient(vertx, RedisTestKeys.options().setConnectionString("redis://127.0.0.1:" + port));
    try {
      Await.until(() -> {
        try {
          return "PONG".equals(privateRedis.send(Request.cmd(Command.PING)).await(1, TimeUnit.SECONDS).toString());
        } catch (Exception notYetListening) {
          return false;
        }
      }, Duration.ofSeconds(10), "the private redis-server on port " + port + " to answer");
      HistoryStore privateStore = new RedisHistoryStore(privateRedis);
      StreamKey stream = StreamKey.broadcast(TENANT);
      appendTo(privateStore, stream, 3);
      Position old = await(privateStore.current(stream));
      assertEquals(3, old.offset());

      command(privateRedis, Command.FLUSHALL);
      command(privateRedis, Command.SCRIPT, "FLUSH");

      Notification afterFlush = notification(TENANT, "u", 4);
      Position restarted = await(privateStore.append(stream, afterFlush));
      assertEquals(1, restarted.offset());
      assertNotEquals(old.epoch(), restarted.epoch());
      Replay replay = await(privateStore.since(stream, old.epoch(), old.offset()));
      assertFalse(replay.recovered());
      assertEquals(List.of(afterFlush.id()), ids(replay.missed()));
    } finally {
      await(privateRedis.close());
      server.destroy();
      if (!server.waitFor(5, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  private static void appendTo(HistoryStore target, StreamKey stream, int count) {
    for (int i = 1; i <= count; i++) {
      await(target.append(stream, notification(stream.tenant(), "u", i)));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
