package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.protocol.CloseCode;
import io.herald.testkit.Await;
import io.herald.testkit.PartitionProxy;
import io.herald.testkit.FailoverClient;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A network partition of one node of three under a steady publisher, counted (issue 13, fault 6). Each node binds an
 * address of its own (127.x.y.1..3) and reaches the others' Hazelcast only through a {@link PartitionProxy}, which the
 * test cuts for node A, both ways, for longer than Hazelcast's failure detection (5 s, conf/cluster.xml), then heals.
 * With {@code cluster_min_members} 2, A finds itself alone and isolated: it stops taking from JetStream, answers
 * {@code /health}, HTTP ingress and upgrades with 503 and closes its connections with 4012; its clients reconnect to B
 * or C and resume. Notifications enter through JetStream and through Redis pub/sub, one user per client, and every
 * client must receive every notification of its user once. After the heal A merges back, serves again, and the event
 * bus routes between A and the others both ways.
 */
@Timeout(300)
class PartitionIT {

  private static final int USERS = 6;
  /** Time between two notifications of the publisher: about 40 a second. */
  private static final Duration PACE = Duration.ofMillis(25);
  /** How long A stays cut off: well past Hazelcast's 5 s failure detection. */
  private static final Duration PARTITION = Duration.ofSeconds(12);
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aPartitionedNodeStopsServingLosesNothingDuplicatesNothingAndServesAgainOnceHealed() throws Exception {
    String net = "127." + ThreadLocalRandom.current().nextInt(1, 250) + "." + ThreadLocalRandom.current().nextInt(1, 250)
        + ".";
    List<String> hosts = List.of(net + "1", net + "2", net + "3");
    String stream = "HERALD_TEST_" + UUID.randomUUID().toString().substring(0, 8);
    HeraldOptions options = TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL).setNatsJetstream(true).setNatsStream(stream)
            .setNatsDurable("durable-" + UUID.randomUUID().toString().substring(0, 8)).setNatsAckWaitSecs(5))
        .cluster(cluster -> cluster.setCluster(true).setClusterMinMembers(2));
    String subject = options.ingress().getNatsSubject();
    String channelPrefix = options.ingress().getRedisChannelPrefix();

    PartitionProxy proxy = new PartitionProxy();
    List<TestNode> nodes = new ArrayList<>();
    List<FailoverClient> clients = new ArrayList<>();
    Vertx clientVertx = Vertx.vertx();
    Redis redis = Redis.createClient(clientVertx, TestNode.REDIS_URL);
    Connection nats = Nats.connect(TestNode.NATS_URL);
    try {
      nodes.addAll(startFleet(options, hosts, proxy));
      TestNode a = nodes.get(0);
      Map<TestNode, String> names = Map.of(nodes.get(0), "A", nodes.get(1), "B", nodes.get(2), "C");

      // Publish times, by id: each client's latency is measured against them.
      Map<String, Long> sentAt = new ConcurrentHashMap<>();
      for (int i = 0; i < USERS; i++) {
        List<TestNode> order = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
          order.add(nodes.get((i + k) % 3));
        }
        clients.add(new FailoverClient("part-user-" + i, order,
            id -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt.getOrDefault(id, System.nanoTime())),
            names::get).start());
      }
      Await.until(() -> {
        clients.forEach(FailoverClient::assertRunning);
        return clients.stream().allMatch(c -> c.connectedTo() != null);
      }, WAIT, "every client connected");

      // The steady publisher: JetStream and Redis pub/sub in turn, users in turn.
      JetStream js = nats.jetStream();
      List<String> published = new ArrayList<>();
      AtomicBoolean publishing = new AtomicBoolean(true);
      CompletableFuture<Void> publisher = CompletableFuture.runAsync(() -> {
        for (int i = 0; publishing.get(); i++) {
          String user = "part-user-" + (i % USERS);
          String id = "part-" + i;
          JsonObject body = new JsonObject().put("user_id", user).put("id", id).put("message", "m" + i);
          sentAt.put(id, System.nanoTime());
          if (i % 2 == 0) {
            publishToJetStream(js, subject, id, body);
          } else {
            Await.result(redis.send(Request.cmd(Command.PUBLISH).arg(channelPrefix + ":user:" + user)
                .arg(new JsonObject().put("id", id).put("userId", user).put("type", "SYSTEM")
                    .put("payload", new JsonObject().put("message", "m" + i)).encode())), WAIT, "Redis PUBLISH");
          }
          synchronized (published) {
            published.add(id);
          }
          LockSupport.parkNanos(PACE.toNanos());
        }
      });
      Await.until(() -> sizeOf(published) >= 100, WAIT, "100 published before the partition");

      // The partition: A can reach no member and no member reaches A.
      long cutAt = System.nanoTime();
      proxy.isolate(hosts.get(0));
      Await.until(a.node().info()::isIsolated, WAIT, "A isolated");
      long detectedMs = msSince(cutAt);
      List<FailoverClient> ofA = clients.stream().filter(c -> "A".equals(preferred(c)))
          .collect(Collectors.toList());
      Await.until(() -> ofA.stream().allMatch(c -> c.connectedTo() != null && !"A".equals(c.connectedTo())), WAIT,
          "A's clients reconnected to B or C");
      long clientsMovedMs = msSince(cutAt);
      for (FailoverClient c : ofA) {
        assertEquals(List.of((int) CloseCode.ISOLATED.code()), c.closeCodes(), c.user() + " closed once, with 4012");
      }
      TestNode.HttpResult health = a.get("/health");
      assertEquals(503, health.status(), health.body());
      assertEquals("isolated", health.json().getString("status"), health.body());
      assertEquals(1, health.json().getJsonObject("cluster").getInteger("members"), health.body());
      TestNode.HttpResult ingress = a.post("/api/v1/notifications",
          new JsonObject().put("user_id", "part-user-0").put("message", "refused").encode(), TestNode.API_KEY);
      assertEquals(503, ingress.status(), "HTTP ingress of an isolated node: " + ingress.body());
      assertEquals(503, WsClient.upgradeStatus(a.vertx(), new io.vertx.core.http.WebSocketConnectOptions()
          .setHost("127.0.0.1").setPort(a.port()).setURI("/ws")), "upgrade on an isolated node");
      assertEquals(200, nodes.get(1).get("/health").status(), "B keeps its quorum");

      // Held for the partition's length (the fault itself: time as behaviour), then healed.
      LockSupport.parkNanos(Math.max(0, PARTITION.toNanos() - (System.nanoTime() - cutAt)));
      long healedAt = System.nanoTime();
      proxy.heal(hosts.get(0));
      Await.until(() -> !a.node().info().isIsolated() && nodes.stream().allMatch(n -> members(n) == 3), WAIT,
          "A merged back into the fleet");
      long recoveredMs = msSince(healedAt);
      assertEquals(200, a.get("/health").status(), "A serves again");

      // After the merge the event bus routes both ways: a user on A gets what enters through B, and the reverse.
      try (WsClient onA = a.connect("part-after-a"); WsClient onB = nodes.get(1).connect("part-after-b")) {
        nodes.get(1).publish(new JsonObject().put("user_id", "part-after-a").put("id", "after-b-to-a").put("message", "x"));
        assertEquals("after-b-to-a", onA.awaitType("Notification", Duration.ofSeconds(10)).getString("id"));
        a.publish(new JsonObject().put("user_id", "part-after-b").put("id", "after-a-to-b").put("message", "y"));
        assertEquals("after-a-to-b", onB.awaitType("Notification", Duration.ofSeconds(10)).getString("id"));
      }
      long publishedAtHeal = sizeOf(published);
      Await.until(() -> sizeOf(published) >= publishedAtHeal + 120, WAIT, "3 s more published after the merge");
      publishing.set(false);
      publisher.get(30, TimeUnit.SECONDS);

      // Every client gets every notification of its user, once.
      for (FailoverClient c : clients) {
        List<String> expected = idsOf(published, c.user());
        Await.until(() -> expected.stream().allMatch(c.counts()::containsKey), WAIT,
            c.user() + " received every notification of its user");
      }
      List<String> lost = new ArrayList<>();
      List<String> twice = new ArrayList<>();
      for (FailoverClient c : clients) {
        c.close();
        for (String id : idsOf(published, c.user())) {
          int n = c.counts().getOrDefault(id, 0);
          if (n == 0) {
            lost.add(c.user() + ":" + id);
          } else if (n > 1) {
            twice.add(c.user() + ":" + id);
          }
        }
        assertEquals(List.of(), c.notRecovered(), c.user() + ": every resume recovered");
      }
      List<Long> unaffected = clients.stream().filter(c -> c.closeCodes().isEmpty())
          .flatMap(c -> c.receipts().stream()).map(FailoverClient.Receipt::latencyMs).sorted()
          .collect(Collectors.toList());
      System.out.printf("[PartitionIT] %d published (JetStream and Redis), %d users; A isolated %d ms after the cut, "
              + "its clients on B/C %d ms after; healed after %d s, A back in its fleet %d ms after the heal; "
              + "lost %d, twice %d; unaffected clients (%d receipts) p50 %d ms, p99 %d ms, max %d ms%n",
          sizeOf(published), USERS, detectedMs, clientsMovedMs, PARTITION.toSeconds(), recoveredMs, lost.size(),
          twice.size(), unaffected.size(), percentile(unaffected, 50), percentile(unaffected, 99),
          unaffected.isEmpty() ? 0 : unaffected.get(unaffected.size() - 1));
      assertEquals(List.of(), lost, "lost");
      assertEquals(List.of(), twice, "shown twice");
      assertTrue(unaffected.size() > 100, "the clients of B and C stayed connected and received: " + unaffected.size());
    } finally {
      clients.forEach(c -> {
        try {
          c.close();
        } catch (AssertionError e) {
          // reported by the test's own assertions when it got there
        }
      });
      proxy.heal(hosts.get(0));
      nats.close();
      redis.close();
      clientVertx.close().await(20, TimeUnit.SECONDS);
      for (TestNode n : nodes) {
        n.close();
      }
      proxy.close();
      deleteStream(stream);
    }
  }

  /**
   * Starts three clustered nodes, node i binding {@code hosts[i]} and reached by the others at its proxy listener;
   * Hazelcast binds the node's outgoing sockets to its own address too, so that the proxy can tell who connects.
   */
  private static List<TestNode> startFleet(HeraldOptions options, List<String> hosts, PartitionProxy proxy)
      throws Exception {
    Path dir = Files.createDirectories(Path.of("target", "partition-" + UUID.randomUUID().toString().substring(0, 8)));
    Path clusterXml = dir.resolve("cluster.xml");
    String xml = Files.readString(Path.of("conf", "cluster.xml"), StandardCharsets.UTF_8);
    String marker = "<property name=\"hazelcast.shutdownhook.enabled\">false</property>";
    assertTrue(xml.contains(marker), "conf/cluster.xml has the shutdown-hook property this test extends");
    Files.writeString(clusterXml, xml.replace(marker,
        marker + "\n    <property name=\"hazelcast.socket.client.bind.any\">false</property>"
            // Hazelcast's interface matching knows only the addresses the system lists (127.0.0.1 of lo's /8): the
            // member's own loopback address is given as its local address instead.
            + "\n    <property name=\"hazelcast.local.localAddress\">${herald.cluster.host}</property>"),
        StandardCharsets.UTF_8);
    List<Integer> ports = new ArrayList<>();
    List<String> publicAddresses = new ArrayList<>();
    for (String host : hosts) {
      int port = freePort(host);
      ports.add(port);
      publicAddresses.add(host + ":" + proxy.forward(host, port));
    }
    String name = "herald-partition-" + UUID.randomUUID();
    String members = String.join(",", publicAddresses);
    List<Future<Vertx>> starting = new ArrayList<>();
    for (int i = 0; i < hosts.size(); i++) {
      starting.add(new ClusterSettings(name, members, hosts.get(i), ports.get(i), clusterXml, 0, null,
          publicAddresses.get(i)).startVertx(new VertxOptions()));
    }
    Future.all(starting).await(60, TimeUnit.SECONDS);
    Await.until(() -> starting.stream().allMatch(f -> ((VertxInternal) f.result()).clusterManager().getNodes().size()
        == hosts.size()), WAIT, "3 members seen by every node");
    List<TestNode> nodes = new ArrayList<>();
    String[] ids = {"A", "B", "C"};
    for (int i = 0; i < hosts.size(); i++) {
      HeraldOptions nodeOptions = new HeraldOptions(options);
      nodeOptions.server().setNodeId(ids[i]);
      nodes.add(TestNode.start(nodeOptions, starting.get(i).result()));
    }
    return nodes;
  }

  private static void publishToJetStream(JetStream js, String subject, String id, JsonObject body) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      try {
        js.publish(subject, body.encode().getBytes(StandardCharsets.UTF_8),
            PublishOptions.builder().messageId(id).build());
        return;
      } catch (Exception refused) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("JetStream publish of " + id + " refused for " + WAIT.toSeconds() + " s", refused);
        }
        LockSupport.parkNanos(Duration.ofMillis(100).toNanos()); // the publisher's retry backoff
      }
    }
  }

  private static String preferred(FailoverClient client) {
    int i = Integer.parseInt(client.user().substring("part-user-".length()));
    return List.of("A", "B", "C").get(i % 3);
  }

  private static int members(TestNode node) {
    return ((VertxInternal) node.vertx()).clusterManager().getNodes().size();
  }

  private static List<String> idsOf(List<String> published, String user) {
    int u = Integer.parseInt(user.substring("part-user-".length()));
    synchronized (published) {
      return published.stream().filter(id -> Integer.parseInt(id.substring("part-".length())) % USERS == u)
          .collect(Collectors.toList());
    }
  }

  private static int sizeOf(List<String> published) {
    synchronized (published) {
      return published.size();
    }
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return socket.getLocalPort();
    }
  }

  private static long msSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  private static long percentile(List<Long> sorted, int p) {
    return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }

  private static void deleteStream(String stream) throws Exception {
    try (Connection nats = Nats.connect(TestNode.NATS_URL)) {
      nats.jetStreamManagement().deleteStream(stream);
    } catch (JetStreamApiException gone) {
      // never created
    }
  }
}
