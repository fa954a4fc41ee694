package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.PrivateNats;
import io.herald.testkit.PrivateRedis;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fault under a steady load, counted: the NATS server of a JetStream ingress restarts (SIGTERM, then started again
 * on the same store) while a publisher keeps publishing, retrying what the outage refused; the node reconnects and
 * goes on consuming the stream, and the client gets every notification exactly once. A server of the test's own.
 */
@Timeout(180)
class JetStreamRestartIT {

  private static final int MESSAGES = 300;

  @Test
  void aNatsRestartUnderSteadyLoadLosesNothingAndShowsNothingTwice() throws Exception {
    int port = PrivateRedis.freePort();
    Path store = Files.createDirectories(Path.of("target", "nats-restart-" + UUID.randomUUID().toString().substring(0, 8)));
    Process nats = PrivateNats.start(port, store);
    String url = "nats://127.0.0.1:" + port;
    HeraldOptions options = TestNode.options()
        .ingress(ingress -> ingress.setNatsUrl(url).setNatsJetstream(true).setNatsAckWaitSecs(5));
    TestNode node = TestNode.start(options);
    Connection publisherConnection = Nats.connect(new Options.Builder().server(url).maxReconnects(-1)
        .reconnectWait(Duration.ofMillis(200)).build());
    try (WsClient client = node.connect("restart-user")) {
      JetStream js = publisherConnection.jetStream();
      String subject = options.ingress().getNatsSubject();
      AtomicInteger published = new AtomicInteger();
      AtomicInteger retries = new AtomicInteger();
      // About 100 notifications a second, each retried until the stream has it (its Nats-Msg-Id and its id keep a
      // retry that did reach the stream from counting twice).
      CompletableFuture<Void> publisher = CompletableFuture.runAsync(() -> {
        for (int i = 0; i < MESSAGES; i++) {
          String id = "restart-" + i;
          byte[] data = new JsonObject().put("user_id", "restart-user").put("id", id).put("message", "m" + i)
              .encode().getBytes(StandardCharsets.UTF_8);
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (true) {
            try {
              js.publish(subject, data, PublishOptions.builder().messageId(id).build());
              break;
            } catch (Exception refused) {
              retries.incrementAndGet();
              if (System.nanoTime() > deadline) {
                throw new AssertionError("publish of " + id + " refused for 60 s", refused);
              }
              LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            }
          }
          published.incrementAndGet();
          LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
      });
      Await.until(() -> published.get() >= MESSAGES / 3, Duration.ofSeconds(30), "a third published before the restart");
      PrivateNats.stop(nats);
      LockSupport.parkNanos(Duration.ofSeconds(2).toNanos()); // the outage itself: time as behaviour
      nats = PrivateNats.start(port, store);
      publisher.get(120, java.util.concurrent.TimeUnit.SECONDS);

      Map<String, Integer> counts = new LinkedHashMap<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (counts.size() < MESSAGES && System.nanoTime() < deadline) {
        JsonObject frame = client.awaitType("Notification", Duration.ofSeconds(30));
        counts.merge(frame.getString("id"), 1, Integer::sum);
      }
      client.assertNoFrame(Duration.ofSeconds(1));
      List<String> missing = new ArrayList<>();
      List<String> twice = new ArrayList<>();
      for (int i = 0; i < MESSAGES; i++) {
        int n = counts.getOrDefault("restart-" + i, 0);
        if (n == 0) {
          missing.add("restart-" + i);
        } else if (n > 1) {
          twice.add("restart-" + i);
        }
      }
      System.out.printf("[JetStreamRestartIT] %d published around a NATS restart (%d publishes retried), %d received%n",
          MESSAGES, retries.get(), counts.values().stream().mapToInt(Integer::intValue).sum());
      assertEquals(List.of(), missing, "lost");
      assertEquals(List.of(), twice, "shown twice");
      assertTrue(counts.keySet().stream().allMatch(id -> id.startsWith("restart-")), counts.keySet().toString());
    } finally {
      publisherConnection.close();
      node.close();
      PrivateNats.stop(nats);
      try (Stream<Path> files = Files.walk(store)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
