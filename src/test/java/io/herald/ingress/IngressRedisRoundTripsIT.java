package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.Await;
import io.herald.testkit.PrivateRedis;
import io.herald.testkit.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What one user notification costs in Redis, counted by a private redis-server (nothing else talks to it): one
 * {@code EVALSHA} per user of the notification (history, offline queue, inbox and the session count in one script),
 * and the notifications of one event-loop turn (one HTTP batch) sent as one pipelined write, which Redis takes in
 * one read, while each stream keeps its order.
 */
class IngressRedisRoundTripsIT {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Pattern EVALSHA_CALLS = Pattern.compile("(?m)^cmdstat_evalsha:calls=(\\d+),");
  private static final Pattern READS = Pattern.compile("(?m)^total_reads_processed:(\\d+)");

  private static Process redisServer;
  private static Vertx vertx;
  private static Redis redis;
  private static TestNode node;
  /** Commands this test sent, one at a time: each is one read of the server's, to subtract from its read count. */
  private static int commandsSent;

  @BeforeAll
  static void start() throws IOException {
    int port = PrivateRedis.freePort();
    redisServer = PrivateRedis.start(port);
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, "redis://127.0.0.1:" + port);
    node = TestNode.start(TestNode.options().state(state -> state.setRedisUrl("redis://127.0.0.1:" + port)));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (node != null) {
        node.close();
      }
    } finally {
      PrivateRedis.kill(redisServer);
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static Response send(Command command, String... args) {
    Request request = Request.cmd(command);
    for (String arg : args) {
      request.arg(arg);
    }
    commandsSent++;
    return Await.result(redis.send(request), WAIT, "redis " + command);
  }

  private static long info(String section, Pattern pattern) {
    Matcher m = pattern.matcher(send(Command.INFO, section).toString());
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  private static JsonObject note(String user, String message) {
    return new JsonObject().put("user_id", user).put("message", message);
  }

  @Test
  void oneEvalshaPerUserNotificationAndOneWritePerTurnInStreamOrder() {
    String prefix = node.nodeOptions().state().getRedisKeyPrefix();
    // Warm up: the node's Redis connection is open and the script loaded (the first EVALSHA finds it missing).
    String warm = "u-warm-" + UUID.randomUUID().toString().substring(0, 8);
    node.publish(note(warm, "warm-up"));
    Await.until(() -> send(Command.EXISTS, prefix + ":inbox:" + warm).toInteger() == 1, WAIT, "the warm-up recorded");

    List<String> users = new ArrayList<>();
    for (int u = 0; u < 4; u++) {
      users.add("u-" + UUID.randomUUID().toString().substring(0, 8));
    }
    int rounds = 3;
    JsonArray batch = new JsonArray();
    for (int round = 1; round <= rounds; round++) {
      for (String user : users) {
        batch.add(note(user, "m" + round));
      }
    }
    long evalshaBefore = info("commandstats", EVALSHA_CALLS);
    long readsBefore = info("stats", READS);
    int sentBefore = commandsSent;

    node.publish(batch);
    Await.until(() -> info("commandstats", EVALSHA_CALLS) >= evalshaBefore + batch.size()
        && users.stream().allMatch(u -> send(Command.ZCARD, prefix + ":unread:" + u).toInteger() == rounds),
        WAIT, "every notification recorded");
    long evalsha = info("commandstats", EVALSHA_CALLS) - evalshaBefore;
    long nodeReads = info("stats", READS) - readsBefore - (commandsSent - sentBefore);

    assertEquals(batch.size(), evalsha, "one EVALSHA per user notification (history, queue, inbox, session count)");
    assertTrue(nodeReads <= 2, "the " + batch.size() + " notifications of one turn reach Redis in one pipelined write "
        + "(one read of the server's, two if the kernel split it), not " + nodeReads);
    for (String user : users) {
      Response entries = send(Command.XRANGE, prefix + ":history:" + user, "-", "+");
      assertEquals(rounds, entries.size(), "history of " + user);
      for (int i = 0; i < rounds; i++) {
        Response entry = entries.get(i);
        assertEquals((i + 1) + "-1", entry.get(0).toString(), "offsets follow the order of arrival");
        JsonObject stored = new JsonObject(fieldOf(entry, "n"));
        assertEquals("m" + (i + 1), stored.getString("message"), "stream order kept within the pipeline");
      }
      Response queued = send(Command.LRANGE, prefix + ":queue:" + user, "0", "-1");
      assertEquals(rounds, queued.size(), "queued for the offline user " + user);
      for (int i = 0; i < rounds; i++) {
        JsonObject item = new JsonObject(queued.get(i).toString());
        assertEquals(i + 1, item.getLong("offset"));
        assertEquals("m" + (i + 1), item.getJsonObject("n").getString("message"));
      }
    }
  }

  private static String fieldOf(Response entry, String name) {
    Response fields = entry.get(1);
    for (int i = 0; i < fields.size(); i += 2) {
      if (name.equals(fields.get(i).toString())) {
        return fields.get(i + 1).toString();
      }
    }
    throw new AssertionError("no field " + name + " in " + entry);
  }
}
