package io.herald.testkit;

import io.herald.cluster.ClusterSettings;
import io.herald.cluster.EventBusTls;
import io.herald.config.HeraldOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** An in-JVM clustered fleet of test nodes on real Hazelcast over loopback, with a random cluster name. */
public final class ClusterFleet {

  private ClusterFleet() {
  }

  /**
   * Starts one clustered Vert.x per node id in parallel (random cluster name, Hazelcast ports base..base+n-1,
   * every node listing all of them), then deploys a node with a copy of the options into each.
   */
  public static List<TestNode> start(HeraldOptions options, String... ids) throws Exception {
    return start(options, i -> null, ids);
  }

  /** As {@link #start(HeraldOptions, String...)}, node i with event-bus TLS {@code tls.apply(i)} (null: plaintext). */
  public static List<TestNode> start(HeraldOptions options, IntFunction<EventBusTls> tls, String... ids)
      throws Exception {
    String name = "herald-test-" + UUID.randomUUID();
    int port = freePortRange(ids.length);
    String members = IntStream.range(0, ids.length)
        .mapToObj(i -> "127.0.0.1:" + (port + i)).collect(Collectors.joining(","));
    long t0 = System.nanoTime();
    List<Future<Vertx>> starting = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      starting.add(new ClusterSettings(name, members, "127.0.0.1", port + i, null, 0, tls.apply(i))
          .startVertx(new VertxOptions()));
    }
    try {
      Future.all(starting).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      for (Future<Vertx> f : starting) {
        if (f.succeeded()) {
          f.result().close().await(20, TimeUnit.SECONDS);
        }
      }
      throw new AssertionError("the fleet did not form: " + e, e);
    }
    // A node started in parallel may finish joining before the last one has: wait until all see all.
    Await.until(() -> starting.stream().allMatch(f -> ((VertxInternal) f.result()).clusterManager().getNodes().size()
        == ids.length), Duration.ofSeconds(30), ids.length + " members seen by every node of the fleet");
    long clustered = ms(t0);
    List<TestNode> nodes = new ArrayList<>();
    try {
      for (int i = 0; i < ids.length; i++) {
        HeraldOptions nodeOptions = new HeraldOptions(options);
        nodeOptions.server().setNodeId(ids[i]);
        nodes.add(TestNode.start(nodeOptions, starting.get(i).result()));
      }
    } catch (RuntimeException | Error e) {
      closeOneByOne(nodes);
      for (int i = nodes.size() + 1; i < ids.length; i++) {
        starting.get(i).result().close().await(20, TimeUnit.SECONDS);
      }
      throw e;
    }
    System.out.printf("[ClusterFleet] fleet %s: Hazelcast cluster formed in %d ms, nodes deployed in %d ms more%n",
        String.join(",", ids), clustered, ms(t0) - clustered);
    return nodes;
  }

  /** Closes the nodes one at a time (closing clustered nodes all at once is slow and noisy). */
  public static void closeOneByOne(List<TestNode> nodes) {
    AssertionError first = null;
    for (TestNode n : List.copyOf(nodes)) {
      try {
        n.close();
      } catch (AssertionError e) {
        first = first == null ? e : first;
      }
      nodes.remove(n);
    }
    if (first != null) {
      throw first;
    }
  }

  /** A base port with n consecutive free ports on the loopback, in 20000-40000. */
  public static int freePortRange(int n) {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(20_000, 40_000 - n);
      boolean free = true;
      for (int i = 0; i < n && free; i++) {
        try (ServerSocket s = new ServerSocket(port + i, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException taken) {
          free = false;
        }
      }
      if (free) {
        return port;
      }
    }
    throw new AssertionError("no free port range found");
  }


  private static long ms(long since) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
  }
}
