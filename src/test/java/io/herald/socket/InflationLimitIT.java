package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.BlockingWsClient;
import io.herald.testkit.TestNode;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Decompression bombs (permessage-deflate is on by default): a frame a few tens of kilobytes long on the wire that
 * inflates to megabytes must be refused once {@code max_frame_bytes} is inflated, on {@code /ws} and on the bridge's
 * WebSocket transports, before authentication, with the node allocating a small, bounded amount whatever the ratio.
 *
 * <p>Allocation is measured with {@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes} over every thread of
 * the JVM except the attacking clients' (plain blocking sockets on threads of their own): the node's event loops do
 * the inflating. Before the bound, each attacking connection made the node inflate whole 64 MiB frames (1.2 GiB
 * allocated and 820 MiB of heap at peak for four connections).
 */
@Timeout(60)
class InflationLimitIT {

  private static final Duration T = Duration.ofSeconds(10);
  /** Connections attacking at once. */
  private static final int ATTACKERS = 4;
  /** What each attacking connection's frames would inflate to in all. */
  private static final long BOMB_BYTES_PER_CONNECTION = 1L << 30;
  /**
   * Most the node may allocate while it refuses the attack: a few frames of {@code max_frame_bytes} per connection
   * and the connections' own state. Without the bound it is at least one whole inflated frame (64 MiB) per connection.
   */
  private static final long ALLOCATION_BOUND = 16L << 20;

  private static TestNode node;
  private static int maxFrameBytes;
  /** One frame as long as max_frame_bytes allows on the wire, and how much it inflates to. */
  private static byte[] bomb;
  private static int bombInflated;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    maxFrameBytes = node.nodeOptions().server().getMaxFrameBytes();
    bombInflated = 1 << 20;
    while (BlockingWsClient.deflatedSpaces(bombInflated * 2).length <= maxFrameBytes) {
      bombInflated *= 2;
    }
    bomb = BlockingWsClient.deflatedSpaces(bombInflated);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** A Ping of exactly {@code size} bytes: the JSON object padded with spaces, deflated. */
  private static byte[] deflatedPing(int size) {
    byte[] ping = new JsonObject().put("type", "Ping").encode().getBytes(StandardCharsets.UTF_8);
    return BlockingWsClient.deflated(ping, size - ping.length);
  }

  @Test
  void aCompressedMessageInflatingToMaxFrameBytesIsAcceptedAndOneByteMoreClosesWith1009() {
    try (BlockingWsClient client = BlockingWsClient.connect(node.port(), "/ws?token=" + node.token("squeeze"), null)) {
      assertTrue(String.valueOf(client.extensions()).contains("permessage-deflate"), client.extensions());
      assertEquals("Authenticated", new JsonObject(client.nextMessage(T)).getString("type"));
      client.sendCompressedText(deflatedPing(maxFrameBytes));
      assertEquals("Pong", new JsonObject(client.nextMessage(T)).getString("type"), "Ping of max_frame_bytes once inflated");
      client.sendCompressedText(deflatedPing(maxFrameBytes + 1));
      JsonObject error = new JsonObject(client.nextMessage(T));
      assertEquals("too_large", error.getString("code"), error.encode());
      assertEquals(1009, client.awaitCloseCode(T));
    }
  }

  @Test
  void bombsOnWsAreRefusedWith1009BeforeAuthenticationAndAllocateLittle() {
    attack("/ws", code -> code == 1009);
  }

  @Test
  void bombsOnTheRawBridgeEndpointAreRefusedWith1009AndAllocateLittle() {
    attack("/eventbus/websocket", code -> code == 1009);
  }

  /**
   * SockJS's WebSocket transport ends the connection before its close frame fits (README, Browser bridge: the client
   * sees 1006, as for a frame over the limit on the wire); what matters is that it ends and the node allocated little.
   */
  @Test
  void bombsOnTheSockJsWebSocketTransportEndTheConnectionAndAllocateLittle() {
    attack("/eventbus/000/" + "bomb" + System.nanoTime() % 10_000 + "/websocket", code -> code == 1009 || code == 1006);
  }

  /**
   * {@link #ATTACKERS} connections at once each send frames inflating to {@link #BOMB_BYTES_PER_CONNECTION} in all,
   * without authenticating; asserts every connection ends with an accepted close code and the node's allocation.
   */
  private static void attack(String path, IntPredicate acceptedClose) {
    // Warm-up: the first connection to a path loads classes and fills caches, which is not the attack's cost.
    try (BlockingWsClient warm = BlockingWsClient.connect(node.port(), path, null)) {
      warm.sendCompressedText(BlockingWsClient.deflatedSpaces(maxFrameBytes + 1));
      warm.awaitCloseCode(T);
    }
    int frames = (int) (BOMB_BYTES_PER_CONNECTION / bombInflated);
    Set<Long> clientThreads = ConcurrentHashMap.newKeySet();
    clientThreads.add(Thread.currentThread().getId());
    List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
    List<Thread> attackers = new ArrayList<>();
    for (int i = 0; i < ATTACKERS; i++) {
      Thread attacker = new Thread(() -> {
        try (BlockingWsClient client = BlockingWsClient.connect(node.port(), path, null)) {
          for (int f = 0; f < frames && client.sendCompressedText(bomb); f++) {
            // keeps sending until the node closes the connection
          }
          outcomes.add(String.valueOf(client.awaitCloseCode(T)));
        } catch (Throwable e) {
          outcomes.add(e.toString());
        }
      }, "bomb-" + i);
      attackers.add(attacker);
    }
    long before = allocatedExcept(clientThreads, attackers);
    attackers.forEach(Thread::start);
    for (Thread attacker : attackers) {
      try {
        attacker.join(T.multipliedBy(3).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    long allocated = allocatedExcept(clientThreads, attackers) - before;
    assertEquals(ATTACKERS, outcomes.size(), "attackers still running: " + outcomes);
    for (String outcome : outcomes) {
      assertTrue(outcome.matches("\\d+") && acceptedClose.test(Integer.parseInt(outcome)), "close codes on " + path + ": " + outcomes);
    }
    System.out.printf("%s: %d connections x %d frames of %d bytes (%d MiB inflated each): node allocated %.1f MiB%n",
        path, ATTACKERS, frames, bomb.length, bombInflated >> 20, allocated / 1048576.0);
    assertTrue(allocated < ALLOCATION_BOUND, path + ": the node allocated " + (allocated >> 20) + " MiB during the attack");
  }

  /** Bytes allocated so far by every live thread except the test's and the attackers'. */
  private static long allocatedExcept(Set<Long> testThreads, List<Thread> attackers) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Set<Long> excluded = ConcurrentHashMap.newKeySet();
    excluded.addAll(testThreads);
    attackers.forEach(a -> excluded.add(a.getId()));
    long sum = 0;
    for (long id : threads.getAllThreadIds()) {
      if (!excluded.contains(id)) {
        sum += Math.max(0, threads.getThreadAllocatedBytes(id));
      }
    }
    return sum;
  }
}
