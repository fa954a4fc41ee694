package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Ids;
import io.herald.testkit.Await;
import io.herald.testkit.RedisTestKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Redis inbox passes the contract on the shared Redis (keys under a prefix of its own), plus races and TTLs. */
class RedisInboxStoreIT extends InboxStoreContract {

  private static final String PREFIX = RedisTestKeys.uniquePrefix();

  private static Vertx vertx;
  private static Redis redis;
  private static Redis otherRedis;

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    // The race test keeps 50 commands in flight per client: more than the default wait queue (24) accepts.
    redis = RedisTestKeys.createClient(vertx);
    otherRedis = RedisTestKeys.createClient(vertx);
  }

  @AfterAll
  static void cleanUp() throws Exception {
    RedisTestKeys.deleteKeysAndClose(redis, PREFIX, vertx);
  }

  @Override
  protected InboxStore newStore(int inboxSize) {
    return new RedisInboxStore(redis, PREFIX, inboxSize, RedisInboxStore.DEFAULT_INBOX_TTL_SECS);
  }

  private static Response command(Command command, String... args) {
    Request request = Request.cmd(command);
    for (String arg : args) {
      request.arg(arg);
    }
    return await(redis.send(request));
  }

  @Test
  void twoClientsMarkingTheSameIdConcurrentlyGetExactlyOneTrue() {
    InboxStore first = newStore(100);
    InboxStore second = new RedisInboxStore(otherRedis, PREFIX, 100, RedisInboxStore.DEFAULT_INBOX_TTL_SECS);
    String user = newUser();
    int notifications = 50;
    for (int i = 1; i <= notifications; i++) {
      await(first.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "n" + i, i)));
    }

    List<Future<Boolean>> fromFirst = new ArrayList<>();
    List<Future<Boolean>> fromSecond = new ArrayList<>();
    for (int i = 1; i <= notifications; i++) {
      fromFirst.add(first.markRead(Ids.DEFAULT_TENANT, user, "n" + i));
      fromSecond.add(second.markRead(Ids.DEFAULT_TENANT, user, "n" + i));
    }

    for (int i = 0; i < notifications; i++) {
      int trues = (await(fromFirst.get(i)) ? 1 : 0) + (await(fromSecond.get(i)) ? 1 : 0);
      assertEquals(1, trues, "mark-read of n" + (i + 1) + " reported unread by exactly one client");
    }
    assertEquals(0, await(first.unread(Ids.DEFAULT_TENANT, user, 10)).unreadCount());
  }

  @Test
  void keysHaveTheDocumentedShapesAndBothCarryTheTtl() {
    InboxStore store = new RedisInboxStore(redis, PREFIX, 100, 3600);
    String user = newUser();
    await(store.addUnread("acme", user, notification("acme", user, "n1", "ep", 42)));

    String unreadKey = PREFIX + ":unread:acme/" + user;
    String inboxKey = PREFIX + ":inbox:acme/" + user;
    assertEquals("zset", command(Command.TYPE, unreadKey).toString());
    assertEquals("hash", command(Command.TYPE, inboxKey).toString());
    assertEquals(42, command(Command.ZSCORE, unreadKey, "n1").toInteger());
    JsonObject entry = new JsonObject(command(Command.HGET, inboxKey, "n1").toString());
    assertEquals(Set.of("epoch", "offset", "n"), entry.fieldNames());
    assertEquals("ep", entry.getString("epoch"));
    assertEquals(42L, entry.getLong("offset"));
    assertEquals("n1", entry.getJsonObject("n").getString("id"));
    for (String key : List.of(unreadKey, inboxKey)) {
      long ttl = command(Command.TTL, key).toLong();
      assertTrue(ttl > 3590 && ttl <= 3600, key + " TTL " + ttl);
    }

    String defaultTenantKey = PREFIX + ":unread:" + user;
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "n2", 1)));
    assertEquals(1, command(Command.EXISTS, defaultTenantKey).toInteger(), "the default tenant's key is the bare id");
  }

  @Test
  void bothKeysExpireAfterTheTtl() {
    InboxStore store = new RedisInboxStore(redis, PREFIX, 100, 1);
    String user = newUser();
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "n1", 1)));
    assertEquals(1, await(store.unread(Ids.DEFAULT_TENANT, user, 10)).unreadCount());

    Await.until(() -> command(Command.EXISTS, PREFIX + ":unread:" + user, PREFIX + ":inbox:" + user).toInteger() == 0,
        Duration.ofSeconds(5), "both inbox keys expired");
    assertEquals(0, await(store.unread(Ids.DEFAULT_TENANT, user, 10)).unreadCount());
  }

  @Test
  void anEntryLaidOutOtherwiseIsStillReadForTheNextScore() {
    InboxStore store = newStore(100);
    String user = newUser();
    String unreadKey = PREFIX + ":unread:" + user;
    String inboxKey = PREFIX + ":inbox:" + user;
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(Ids.DEFAULT_TENANT, user, "a5", "ep-1", 5)));
    // An epoch outside the quick match's characters, and the position's fields after the notification.
    JsonObject stored = new JsonObject(command(Command.HGET, inboxKey, "a5").toString());
    JsonObject reordered = new JsonObject().put("n", stored.getJsonObject("n")).put("offset", 5).put("epoch", "ep-1");
    command(Command.HSET, inboxKey, "a5", reordered.encode());

    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(Ids.DEFAULT_TENANT, user, "a9", "ep-1", 9)));
    assertEquals(9, command(Command.ZSCORE, unreadKey, "a9").toInteger(), "the same epoch: scored by its offset");
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(Ids.DEFAULT_TENANT, user, "b1", "ep2", 1)));
    assertEquals(10, command(Command.ZSCORE, unreadKey, "b1").toInteger(), "a new epoch: after the newest");
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(Ids.DEFAULT_TENANT, user, "b3", "ep2", 3)));
    assertEquals(12, command(Command.ZSCORE, unreadKey, "b3").toInteger(), "its epoch's base kept");
    assertEquals(List.of("b3", "b1", "a9", "a5"), ids(await(store.unread(Ids.DEFAULT_TENANT, user, 10))));
  }
}
