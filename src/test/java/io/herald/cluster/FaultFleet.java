package io.herald.cluster;

import io.herald.auth.JwtIssuer;
import io.herald.testkit.Await;
import io.herald.testkit.DeliveryLedger;
import io.herald.testkit.FleetScript;
import io.herald.testkit.PrivateNats;
import io.herald.testkit.PrivateRedis;
import io.herald.testkit.ResumingClient;
import io.herald.testkit.SteadyPublisher;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the fault-under-load tests share: a 3-node fleet of real processes behind HAProxy ({@code scripts/fleet}),
 * a nats-server with JetStream and a redis-server of the fleet's own (so restarting them harms no other test), the
 * nodes on Redis state reading a JetStream stream and subscribed to Redis pub/sub; clients through HAProxy that
 * resume after every close; a steady publisher through either ingress; the counting.
 */
final class FaultFleet implements AutoCloseable {

  static final int NODES = 3;
  /** Seconds before JetStream delivers again a message a node took and did not ack (a killed node's). */
  static final int ACK_WAIT_SECS = 3;
  /** Seconds a client may keep its write queue full before 4010 (default 10: shorter keeps the test short). */
  static final int SLOW_CLIENT_GRACE_SECS = 2;

  private static final String SECRET = "faults-secret-" + UUID.randomUUID();
  private static final String API_KEY = "faults-key-" + UUID.randomUUID().toString().replace("-", "");

  final String unique = UUID.randomUUID().toString().substring(0, 8);
  final String subject = "test.faults." + unique;
  final String channelPrefix = "test-faults-" + unique;
  final Vertx vertx = Vertx.vertx();
  final int natsPort;
  final int redisPort;
  final Path natsStore;
  Process nats;
  Process redis;
  final FleetScript fleet;
  final Connection natsClient;
  final JetStream jetStream;
  final Redis redisClient;
  final JwtIssuer issuer;
  private final HttpClient http = HttpClient.newHttpClient();
  private final WebSocketClient wsClient;
  /** Clients bound to other loopback source addresses (the connect storm), kept referenced while in use. */
  private final List<WebSocketClient> sourceClients = new ArrayList<>();
  private final List<ResumingClient> clients = new ArrayList<>();

  /** @param extraEnv node settings of this fleet over the defaults above */
  FaultFleet(String name, Map<String, String> extraEnv) throws Exception {
    natsPort = PrivateRedis.freePort();
    redisPort = PrivateRedis.freePort();
    natsStore = Files.createDirectories(Path.of("target", name + "-nats-" + unique));
    nats = PrivateNats.start(natsPort, natsStore);
    redis = PrivateRedis.start(redisPort);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("HERALD_CLUSTER_NAME", name + "-" + unique);
    env.put("HERALD_CLUSTER_HOST", "127.0.0.1");
    env.put("JWT_SECRET", SECRET);
    env.put("HERALD_API_KEY", API_KEY);
    env.put("REDIS_URL", redisUrl());
    env.put("NATS_URL", "nats://127.0.0.1:" + natsPort);
    env.put("NATS_SUBJECT", subject);
    env.put("NATS_JETSTREAM", "true");
    env.put("NATS_ACK_WAIT_SECS", Integer.toString(ACK_WAIT_SECS));
    env.put("REDIS_CHANNEL_PREFIX", channelPrefix);
    env.put("INITIAL_STATE", "false");
    env.put("SLOW_CLIENT_GRACE_SECS", Integer.toString(SLOW_CLIENT_GRACE_SECS));
    env.put("LOG_LEVEL", "INFO");
    env.putAll(extraEnv);
    FleetScript started = null;
    try {
      started = FleetScript.start(name + "-" + unique, NODES, env);
    } finally {
      if (started == null) {
        PrivateNats.stop(nats);
        PrivateRedis.kill(redis);
      }
    }
    fleet = started;
    natsClient = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + natsPort).maxReconnects(-1)
        .reconnectWait(Duration.ofMillis(100)).build());
    jetStream = natsClient.jetStream();
    redisClient = Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl()).setMaxPoolSize(8)
        .setMaxPoolWaiting(10_000));
    issuer = new JwtIssuer(vertx, SECRET);
    wsClient = vertx.createWebSocketClient(new WebSocketClientOptions().setConnectTimeout(5000)
        .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 20));
  }

  String redisUrl() {
    return "redis://127.0.0.1:" + redisPort;
  }

  /** {@code n} users {@code prefix-i}, each with one resuming client through HAProxy, all authenticated. */
  List<ResumingClient> connectUsers(String prefix, int n, DeliveryLedger ledger) {
    List<ResumingClient> started = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String user = prefix + "-" + i;
      started.add(new ResumingClient(vertx, wsClient, fleet.lbPort(), user, token(user), ledger).start());
    }
    clients.addAll(started);
    Await.until(() -> started.stream().allMatch(c -> c.authentications() > 0), Duration.ofSeconds(60),
        n + " clients authenticated through HAProxy");
    return started;
  }

  /**
   * Starts one resuming client per user from the loopback source address {@code localAddress} (127.0.0.x: HAProxy
   * forwards it, so the nodes' per-address limits see many clients), without waiting for them.
   */
  List<ResumingClient> startFrom(String localAddress, List<String> users, DeliveryLedger ledger) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setConnectTimeout(10_000)
        .setLocalAddress(localAddress).setMaxConnections(users.size() + 1));
    sourceClients.add(client);
    List<ResumingClient> started = new ArrayList<>();
    for (String user : users) {
      started.add(new ResumingClient(vertx, client, fleet.lbPort(), user, token(user), ledger).start());
    }
    clients.addAll(started);
    return started;
  }

  /**
   * A client that will stop reading, on node {@code node}'s own port (HAProxy's socket buffers, autotuned up to 32 MB
   * here, would take tens of MB before the node saw a full queue), with a receive buffer of 8 KiB so that its socket
   * fills soon; authenticated when this returns.
   */
  ResumingClient connectSlowReader(int node, String user, DeliveryLedger ledger) {
    WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions().setConnectTimeout(5000)
        .setReceiveBufferSize(8192));
    sourceClients.add(client);
    ResumingClient slow = new ResumingClient(vertx, client, fleet.nodePort(node), user, token(user), ledger).start();
    clients.add(slow);
    Await.until(() -> slow.authentications() > 0, Duration.ofSeconds(30), "slow client authenticated");
    return slow;
  }

  /** The sum over the fleet's nodes of {@code herald_server_closes_total} for a close code (their /metrics). */
  double serverCloses(int code) {
    double sum = 0;
    for (int k = 1; k <= NODES; k++) {
      try {
        HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + fleet.nodePort(k) + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
        for (String line : metrics.body().split("\n")) {
          if (line.startsWith("herald_server_closes_total{") && line.contains("code=\"" + code + "\"")) {
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
          }
        }
      } catch (IOException down) {
        // a node being restarted has nothing to count
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
    return sum;
  }

  String token(String user) {
    return issuer.issue(user, Duration.ofHours(1), null, List.of());
  }

  /** Through JetStream: acked by the stream, with its id as Nats-Msg-Id (a retry is stored once). */
  SteadyPublisher.Send jetStreamSend(int messageBytes) {
    String padding = "x".repeat(messageBytes);
    return (index, id, user) -> {
      byte[] data = new JsonObject().put("id", id).put("user_id", user).put("message", padding).encode()
          .getBytes(StandardCharsets.UTF_8);
      Headers headers = new Headers().put("Nats-Msg-Id", id);
      CompletableFuture<PublishAck> ack = jetStream.publishAsync(NatsMessage.builder().subject(subject)
          .headers(headers).data(data).build());
      return ack.orTimeout(5, TimeUnit.SECONDS);
    };
  }

  /** Through Redis pub/sub: accepted once PUBLISH answers that at least one node is subscribed. */
  SteadyPublisher.Send redisSend() {
    return (index, id, user) -> {
      String body = new JsonObject().put("id", id).put("userId", user).put("type", "SYSTEM")
          .put("payload", new JsonObject().put("message", "m")).encode();
      CompletionStage<?> answered = redisClient.send(Request.cmd(Command.PUBLISH)
          .arg(channelPrefix + ":user:" + user).arg(body)).map(r -> {
            if (r.toLong() < 1) {
              throw new IllegalStateException("no node subscribed");
            }
            return r;
          }).toCompletionStage();
      return answered;
    };
  }

  /** Users whose connection was closed at least once (their deliveries are not "unaffected"). */
  static Set<String> affected(List<ResumingClient> clients) {
    return clients.stream().filter(c -> !c.closeCodes().isEmpty()).map(ResumingClient::user)
        .collect(Collectors.toSet());
  }

  /** Waits (bounded) until every accepted notification has been received, then a quiet second for late copies. */
  static void awaitDelivered(DeliveryLedger ledger, Duration timeout) {
    try {
      Await.until(ledger::allReceived, timeout, "every accepted notification received");
    } catch (AssertionError notAll) {
      // The report names what is missing.
    }
    pause(Duration.ofSeconds(1));
  }

  /** A fixed pause where time itself is the behaviour under test (an outage's length, a quiet period). */
  static void pause(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  static void log(String test, String format, Object... args) {
    System.out.println("[" + test + "] " + String.format(format, args));
  }

  /** Stops every client of this fleet (no reconnects), waiting for none. */
  void stopClients() {
    clients.forEach(ResumingClient::stop);
    clients.clear();
  }

  @Override
  public void close() throws Exception {
    try {
      stopClients();
      natsClient.close();
      vertx.close().await(10, TimeUnit.SECONDS);
    } finally {
      try {
        fleet.close();
      } finally {
        PrivateNats.stop(nats);
        PrivateRedis.kill(redis);
        deleteTree(natsStore);
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
