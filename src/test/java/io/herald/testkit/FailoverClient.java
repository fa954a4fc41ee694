package io.herald.testkit;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A {@code /ws} client of one user as an application runs it, on a thread of its own: it keeps the epoch and highest
 * offset of its user stream, and when its connection closes it reconnects — to its preferred node first, else the
 * next one that accepts the upgrade, as a load balancer skipping nodes whose {@code /health} fails would — and resumes
 * from that position. Counts each notification id it receives, the close codes it got, and the latency of each
 * notification ({@code latencyOf}, e.g. from the publisher's clock) with the node it arrived through.
 */
public final class FailoverClient implements AutoCloseable {

  /** A notification received: its id, latency in ms, and the node whose connection wrote it. */
  public record Receipt(String id, long latencyMs, String node) {
  }

  private final String user;
  private final List<TestNode> nodes;
  private final ToLongFunction<String> latencyOf;
  private final Function<TestNode, String> nameOf;
  private final Map<String, Integer> counts = new ConcurrentHashMap<>();
  private final List<Receipt> receipts = new CopyOnWriteArrayList<>();
  private final List<Integer> closeCodes = new CopyOnWriteArrayList<>();
  private final List<String> notRecovered = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final Thread thread;
  private volatile boolean stopping;
  private volatile String connectedTo;
  private volatile Throwable failure;
  private String epoch;
  private long lastOffset;

  /**
   * @param nodes     the nodes in the order this client tries them (its preferred node first)
   * @param latencyOf the latency in ms of a notification by id, when it arrives
   * @param nameOf    a node's name in the receipts
   */
  public FailoverClient(String user, List<TestNode> nodes, ToLongFunction<String> latencyOf,
                        Function<TestNode, String> nameOf) {
    this.user = user;
    this.nodes = List.copyOf(nodes);
    this.latencyOf = latencyOf;
    this.nameOf = nameOf;
    this.thread = new Thread(this::run, "failover-client-" + user);
    this.thread.setDaemon(true);
  }

  /** Starts the client's thread; {@link #connectedTo()} is set once it is authenticated. */
  public FailoverClient start() {
    thread.start();
    return this;
  }

  private void run() {
    try {
      while (!stopping) {
        WsClient client = connect();
        if (client == null) {
          return;
        }
        try (client) {
          read(client);
        }
      }
    } catch (RuntimeException | AssertionError e) {
      failure = e;
    }
  }

  /** Throws what ended the client's thread, if anything did: the client no longer connects nor counts. */
  public void assertRunning() {
    if (failure != null) {
      throw new AssertionError(user + ": the client's thread failed", failure);
    }
  }

  /** Connects and authenticates with the position kept, trying the nodes in order; null once stopping. */
  private WsClient connect() {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!stopping) {
      for (TestNode node : nodes) {
        WsClient client;
        try {
          client = node.open();
        } catch (AssertionError refused) {
          continue; // 503 while isolated or draining: the balancer would not route here
        }
        JsonObject authenticate = new JsonObject().put("type", "Authenticate").put("token", node.token(user))
            .put("device", "Dashboard");
        if (epoch != null) {
          authenticate.put("epoch", epoch).put("last_offset", lastOffset);
        }
        client.send(authenticate);
        JsonObject reply = client.poll(Duration.ofSeconds(10));
        if (reply == null || !"Authenticated".equals(reply.getString("type"))) {
          client.close();
          continue;
        }
        if (epoch != null && !Boolean.TRUE.equals(reply.getBoolean("recovered"))) {
          notRecovered.add(reply.encode());
        }
        if (epoch == null) {
          epoch = reply.getString("epoch");
          lastOffset = reply.getLong("offset", 0L);
        }
        connections.incrementAndGet();
        connectedTo = nameOf.apply(node);
        return client;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(user + ": no node accepted a connection for 60 s");
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos()); // a reconnecting client's backoff
    }
    return null;
  }

  private void read(WsClient client) {
    String node = connectedTo;
    while (!stopping) {
      JsonObject frame = client.poll(Duration.ofMillis(100));
      if (frame == null) {
        if (client.isClosed()) {
          CloseInfo close = client.awaitClose(Duration.ofSeconds(1));
          closeCodes.add(close.codeOr1006());
          connectedTo = null;
          return;
        }
        continue;
      }
      if (!"Notification".equals(frame.getString("type"))) {
        continue;
      }
      String id = frame.getString("id");
      counts.merge(id, 1, Integer::sum);
      receipts.add(new Receipt(id, latencyOf.applyAsLong(id), node));
      Long offset = frame.getLong("offset");
      if (offset != null && frame.getString("epoch") != null) {
        epoch = frame.getString("epoch");
        lastOffset = Math.max(lastOffset, offset);
      }
    }
  }

  public String user() {
    return user;
  }

  /** The node this client is authenticated on now; null while it reconnects. */
  public String connectedTo() {
    return connectedTo;
  }

  /** How many times each notification id arrived. */
  public Map<String, Integer> counts() {
    return counts;
  }

  public List<Receipt> receipts() {
    return new ArrayList<>(receipts);
  }

  /** The close codes of the connections that ended (1006 for none). */
  public List<Integer> closeCodes() {
    return List.copyOf(closeCodes);
  }

  /** The Authenticated answers of resumes that were not {@code recovered}. */
  public List<String> notRecovered() {
    return List.copyOf(notRecovered);
  }

  /** Connections authenticated so far. */
  public int connections() {
    return connections.get();
  }

  /** Stops the thread and closes the connection; rethrows what failed in the thread. */
  @Override
  public void close() {
    stopping = true;
    try {
      thread.join(Duration.ofSeconds(15).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    assertRunning();
  }
}
