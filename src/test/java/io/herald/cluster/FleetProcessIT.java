package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.herald.auth.JwtIssuer;
import io.herald.testkit.Await;
import io.herald.testkit.BridgeConnection;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.SockJsXhrClient;
import io.herald.testkit.WsClient;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * End to end through {@code scripts/fleet} with real processes: three clustered nodes (the real jar, each in
 * its own JVM) behind a real HAProxy, real Redis and NATS. A client connected through HAProxy gets every
 * notification of each ingress exactly once; after {@code scripts/fleet kill} of its node it reconnects through
 * HAProxy to a survivor and keeps receiving. Then, while Redis messages keep being published, another node is
 * killed with -9: every node being subscribed, a client on a survivor gets each of them once, none lost.
 * The fleet is always stopped in {@link #stopFleet()}, and no process of it may remain.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetProcessIT {

  private static final int NODES = 3;
  private static final int PER_INGRESS = 30;
  private static final int PER_INGRESS_AFTER_KILL = 10;
  private static final String SECRET = "fleet-test-secret-" + UUID.randomUUID();
  private static final String API_KEY = "fleet-test-key-" + UUID.randomUUID().toString().replace("-", "");
  private static final String REDIS_URL = "redis://127.0.0.1:6379";
  private static final String NATS_URL = "nats://127.0.0.1:4222";
  private static final Duration WAIT = Duration.ofSeconds(5);

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path SCRIPT = ROOT.resolve("scripts/fleet");
  private static final String UNIQUE = UUID.randomUUID().toString().substring(0, 8);
  /** A fleet directory of its own, so that a developer's fleet in target/fleet/ is never touched. */
  private static final Path FLEET_DIR = ROOT.resolve("target/fleet-test-" + UNIQUE);
  private static final String CLUSTER_NAME = "fleet-test-" + UNIQUE;
  private static final String SUBJECT = "test.fleet." + UNIQUE;
  private static final String PREFIX = "test-fleet-" + UNIQUE;

  private static int lbPort;
  private static Map<Integer, Long> nodePids = Map.of();
  private static Long haproxyPid;
  private static Vertx vertx;
  private static HttpClient http;
  private static Redis redis;
  private static Connection nats;
  private static JwtIssuer issuer;
  private static Thread stopOnExit;
  private static volatile boolean stopped;
  /** The admin key scripts/fleet generated for the fleet (the test gives none), read from the fleet's env file. */
  private static String adminKey;

  // ---------------------------------------------------------------- lifecycle

  @BeforeAll
  @Timeout(value = 240, unit = TimeUnit.SECONDS) // the script may have to build the jar and install HAProxy first
  static void startFleet() throws Exception {
    vertx = Vertx.vertx();
    // A fresh connection per request, as a publisher behind a balancer would do; no pooled connection to reuse
    // after a node died.
    http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setConnectTimeout(5000));
    redis = Redis.createClient(vertx, REDIS_URL);
    nats = Nats.connect(NATS_URL);
    issuer = new JwtIssuer(vertx, SECRET);
    lbPort = freePortRange();
    // The fleet takes 15-30 s to start; a concurrent build in the same tree may rewrite target/test-classes
    // meanwhile. Load now the classes the tests need later.
    for (Class<?> used : List.of(Await.class, WsClient.class, CloseInfo.class, Connected.class, Http.class,
        SockJsXhrClient.class, BridgeConnection.class)) {
      Class.forName(used.getName(), true, FleetProcessIT.class.getClassLoader());
    }
    // Should the JVM be stopped before @AfterAll (e.g. Ctrl-C), the fleet still goes.
    stopOnExit = new Thread(() -> {
      if (!stopped) {
        fleet(Duration.ofSeconds(60), "stop");
      }
    }, "fleet-stop-on-exit");
    Runtime.getRuntime().addShutdownHook(stopOnExit);

    long t0 = System.nanoTime();
    Run start = fleet(Duration.ofSeconds(200), "start", Integer.toString(NODES), "--port", Integer.toString(lbPort));
    readPids();
    assertEquals(0, start.exit(), "scripts/fleet start failed:\n" + start);
    log("fleet of %d nodes up behind HAProxy on %d in %d ms", NODES, lbPort, ms(t0));
    assertEquals(NODES, nodePids.size(), "pids recorded: " + nodePids + "\n" + start);
    assertNotNull(haproxyPid, "HAProxy pid recorded\n" + start);
    assertFalse(start.out().contains(SECRET) || start.out().contains(API_KEY),
        "secrets given by the caller are not printed:\n" + start);
    adminKey = Files.readAllLines(FLEET_DIR.resolve("env")).stream().filter(l -> l.startsWith("HERALD_ADMIN_KEY="))
        .map(l -> l.substring("HERALD_ADMIN_KEY=".length())).findFirst()
        .orElseThrow(() -> new AssertionError("no generated HERALD_ADMIN_KEY in " + FLEET_DIR.resolve("env")));
    assertFalse(start.out().contains(adminKey), "a generated secret is not printed either:\n" + start);
    assertTrue(start.out().contains("HERALD_ADMIN_KEY"), "the generated secrets are named:\n" + start);
  }

  @AfterAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  static void stopFleet() throws Exception {
    try {
      if (nats != null) {
        nats.close();
      }
      if (vertx != null) {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      readPids(); // whatever start managed to record, even when it failed half-way
      Run stop = fleet(Duration.ofSeconds(90), "stop");
      stopped = true;
      if (stopOnExit != null) {
        try {
          Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running or has run
        }
      }
      assertEquals(0, stop.exit(), "scripts/fleet stop failed:\n" + stop);
      List<Long> all = new ArrayList<>(nodePids.values());
      if (haproxyPid != null) {
        all.add(haproxyPid);
      }
      for (long pid : all) {
        assertTrue(gone(pid), "process " + pid + " of the fleet still running after stop:\n" + stop);
      }
      String marker = "-Dherald.fleet.dir=" + FLEET_DIR;
      List<String> leftovers = ProcessHandle.allProcesses()
          .filter(p -> p.info().commandLine().map(c -> c.contains(marker) || c.contains(FLEET_DIR + "/haproxy.cfg"))
              .orElse(false))
          .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
          .collect(Collectors.toList());
      assertTrue(leftovers.isEmpty(), "fleet processes left after stop: " + leftovers);
      if (lbPort > 0) {
        for (int port = lbPort; port <= lbPort + NODES; port++) {
          assertFalse(listening(port), "something still listens on " + port + " after stop");
        }
      }
      // stop is idempotent
      Run again = fleet(Duration.ofSeconds(30), "stop");
      assertEquals(0, again.exit(), "a second scripts/fleet stop must succeed:\n" + again);
    }
  }

  // ---------------------------------------------------------------- tests

  @Test
  @Order(1)
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void statusShowsEveryNodeHealthyAndHaproxyRoutesHealthButNotAdmin() {
    Run status = fleet(Duration.ofSeconds(30), "status");
    assertEquals(0, status.exit(), status.toString());
    for (int k = 1; k <= NODES; k++) {
      int node = k;
      String row = status.lines().stream().filter(l -> l.matches("node\\s+herald-" + node + "\\s.*")).findFirst()
          .orElseThrow(() -> new AssertionError("no row for herald-" + node + " in\n" + status));
      String[] cols = row.trim().split("\\s+");
      assertEquals(Long.toString(nodePids.get(k)), cols[2], row);
      assertEquals(Integer.toString(lbPort + k), cols[3], row);
      assertEquals("yes", cols[4], row);
      assertEquals("200", cols[5], row);
      assertEquals("UP", cols[6], "HAProxy's view of herald-" + k + ": " + row);
    }
    assertTrue(status.lines().stream().anyMatch(l -> l.matches("haproxy\\s+-\\s+" + haproxyPid + "\\s+" + lbPort + "\\s+yes\\s+200.*")),
        status.toString());

    Http health = request(HttpMethod.GET, lbPort, "/health", null, null);
    assertEquals(200, health.status(), health.body());
    assertTrue(health.json().getString("node_id").matches("herald-[1-" + NODES + "]"), health.body());
    // /eventbus/ (the SockJS bridge) is sticky: HAProxy names the node in a cookie.
    Http eventbus = request(HttpMethod.GET, lbPort, "/eventbus/info", null, null);
    assertNotNull(eventbus.setCookie(), "HAProxy sets its stickiness cookie on /eventbus/");
    assertTrue(eventbus.setCookie().matches("HERALD_NODE=herald-[1-" + NODES + "];.*"), eventbus.setCookie());
    assertEquals(null, request(HttpMethod.GET, lbPort, "/health", null, null).setCookie(), "no cookie outside /eventbus/");
    // Drain acts on one node: never through the balancer, whatever the spelling or the key; nor /metrics.
    for (String path : List.of("/admin/drain", "//admin/drain", "/%61dmin/drain", "/./admin/drain",
        "/api/v1/../../admin/drain")) {
      for (String key : List.of(API_KEY, adminKey)) {
        Http drain = request(HttpMethod.POST, lbPort, path, "", key);
        assertTrue(drain.status() == 400 || drain.status() == 403, path + ": " + drain.status() + " " + drain.body());
      }
    }
    assertEquals(403, request(HttpMethod.GET, lbPort, "/metrics", null, null).status());
    // On a node's own port the publishers' key drains nothing either.
    assertEquals(401, request(HttpMethod.POST, lbPort + 1, "/admin/drain", "", API_KEY).status());
    for (int k = 1; k <= NODES; k++) {
      assertEquals(200, request(HttpMethod.GET, lbPort + k, "/health", null, null).status(), "herald-" + k + " still up");
    }
  }

  @Test
  @Order(3)
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void everyIngressDeliversExactlyOnceThroughHaproxyAndTheClientFailsOverWhenItsNodeIsKilled() {
    String user = "fleet-user-" + UNIQUE;
    List<Integer> alive = new ArrayList<>();
    for (int k = 1; k <= NODES; k++) {
      alive.add(k);
    }

    // 1. Through HAProxy, authenticated with a JWT signed by the test's secret.
    Connected first = connectThroughHaproxy(user, Duration.ofSeconds(10));
    WsClient client = first.client();
    try {
      client.send(new JsonObject().put("type", "GetStatus"));
      JsonObject status = client.awaitType("Status", WAIT);
      assertEquals(first.nodeId(), status.getString("node_id"), status.encode());
      assertEquals(user, status.getString("user_id"));
      int holder = nodeNumber(status.getString("node_id"));
      log("client connected through HAProxy to %s", status.getString("node_id"));

      // Every node must know the client's consumer before the real traffic: probe through each node directly.
      warmUp(client, user, alive);
      Map<String, Integer> counts = publishThroughEachIngress(client, user, "before", PER_INGRESS);
      assertExactlyOnce(counts, "before", PER_INGRESS);

      client.send(new JsonObject().put("type", "GetStatus"));
      JsonObject after = client.awaitType("Status", WAIT);
      assertEquals(first.nodeId(), after.getString("node_id"), "the connection stayed on its node");
      assertTrue(after.getLong("messages_sent") >= 3L * PER_INGRESS, after.encode());

      // 2. kill -9 the node holding the connection.
      long killedAt = System.nanoTime();
      Run kill = fleet(Duration.ofSeconds(30), "kill", Integer.toString(holder));
      assertEquals(0, kill.exit(), kill.toString());
      awaitGone(holder);
      CloseInfo close = client.awaitClose(Duration.ofSeconds(10));
      long droppedMs = ms(killedAt);
      // A killed node sends no close frame: the drop (TCP close by HAProxy) shows as 1006.
      assertEquals(1006, close.codeOr1006(), "no close frame from a killed node: " + close);
      client.close();
      alive.remove(Integer.valueOf(holder));

      // 3. Reconnect through HAProxy: it stops routing to the dead node (failed checks, or redispatch after a
      //    refused connection), so the client lands on a survivor.
      Connected second = connectThroughHaproxy(user, Duration.ofSeconds(20));
      client = second.client();
      long reconnectedMs = ms(killedAt);
      int newHolder = nodeNumber(second.nodeId());
      assertNotEquals(holder, newHolder, "landed on the killed node");
      assertTrue(alive.contains(newHolder), second.nodeId());
      log("herald-%d killed; drop seen after %d ms, reconnected to %s after %d ms", holder, droppedMs,
          second.nodeId(), reconnectedMs);

      // 4. New notifications arrive, through each ingress, exactly once.
      //    First through HAProxy, as a publisher would, until one arrives: the new consumer's registration
      //    reaches the other nodes asynchronously, so an early one may find no consumer and be dropped.
      long firstDeliveryMs = firstDeliveryThroughHaproxy(client, user, killedAt);
      warmUp(client, user, alive);
      long routedMs = ms(killedAt);
      Map<String, Integer> afterKill = publishThroughEachIngress(client, user, "after", PER_INGRESS_AFTER_KILL);
      assertExactlyOnce(afterKill, "after", PER_INGRESS_AFTER_KILL);
      log("kill -> first notification on the new connection: %d ms; every survivor routes to it after %d ms; "
          + "all %d ingress notifications after %d ms", firstDeliveryMs, routedMs, 3 * PER_INGRESS_AFTER_KILL,
          ms(killedAt));

      client.send(new JsonObject().put("type", "GetStatus"));
      assertEquals(second.nodeId(), client.awaitType("Status", WAIT).getString("node_id"));
      Run degraded = fleet(Duration.ofSeconds(30), "status");
      assertEquals(3, degraded.exit(), "status reports the dead node:\n" + degraded);
      assertTrue(degraded.lines().stream().anyMatch(l -> l.matches("node\\s+herald-" + holder + "\\s+\\d+\\s+\\d+\\s+no\\s.*")),
          degraded.toString());
    } finally {
      client.close();
    }
  }

  @Test
  @Order(4)
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aNodeKilledHardLosesNoRedisMessageForTheOthers() {
    List<Integer> alive = new ArrayList<>();
    for (int k = 1; k <= NODES; k++) {
      if (!gone(nodePids.get(k))) {
        alive.add(k);
      }
    }
    assertTrue(alive.size() >= 2, "two live nodes needed, alive: " + alive);
    awaitRedisSubscribers(alive);
    String user = "fleet-redis-user-" + UNIQUE;
    String channel = PREFIX + ":user:" + user;
    int victim = alive.get(0);
    List<Integer> survivors = new ArrayList<>(alive);
    survivors.remove(Integer.valueOf(victim));

    Connected connected = connectToSurvivor(user, survivors);
    WsClient client = connected.client();
    try {
      int clientNode = nodeNumber(connected.nodeId());
      warmUp(client, user, alive);
      // Every node is subscribed and records and publishes each message; the client's connection drops the copies.
      assertEquals(alive.size(), redisPublish(channel, redisBody("before-kill", user)), "every node subscribed");
      assertTrue(receive(client, "before-kill", Duration.ofSeconds(5)), "a Redis message before the kill");
      client.assertNoFrame(Duration.ofMillis(500));

      // Messages keep coming from before the kill -9 until after it: none may be lost or shown twice.
      List<String> expected = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> {
        for (int i = 0; !stop.get(); i++) {
          String id = "around-kill-redis-" + i;
          assertTrue(redisPublish(channel, redisBody(id, user)) >= 1, "a subscribed node for " + id);
          expected.add(id);
          pause(5);
        }
      });
      long killedAt;
      try {
        Await.until(() -> expected.size() >= 30, WAIT, "30 Redis messages before the kill");
        killedAt = System.nanoTime();
        Run kill = fleet(Duration.ofSeconds(30), "kill", Integer.toString(victim));
        assertEquals(0, kill.exit(), kill.toString());
        awaitGone(victim);
        int atKill = expected.size();
        Await.until(() -> expected.size() >= atKill + 30, WAIT, "30 Redis messages after the kill");
      } finally {
        stop.set(true);
        stream.join();
      }
      Map<String, Integer> counts = new LinkedHashMap<>();
      awaitIds(client, counts, expected, Duration.ofSeconds(10));
      client.assertNoFrame(Duration.ofMillis(700));
      assertEquals(expected.size(), counts.size(), "distinct notifications received: " + counts.keySet());
      for (String id : expected) {
        assertEquals(1, counts.getOrDefault(id, 0), id + " received exactly once");
      }
      assertFalse(client.isClosed(), "the client's node survived: its connection stays open");
      log("herald-%d killed -9 while %d Redis messages were published around it: each reached the client on "
          + "herald-%d once (%d ms after the kill)", victim, expected.size(), clientNode, ms(killedAt));
    } finally {
      client.close();
    }
  }

  @Test
  @Order(5)
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void aSurvivorDrainsOnItsOwnPortWithTheGeneratedAdminKey() {
    int survivor = nodePids.keySet().stream().filter(k -> !gone(nodePids.get(k))).findFirst()
        .orElseThrow(() -> new AssertionError("no node left alive"));
    Http drain = request(HttpMethod.POST, lbPort + survivor, "/admin/drain", "", adminKey);
    assertEquals(202, drain.status(), drain.body());
    Http health = request(HttpMethod.GET, lbPort + survivor, "/health", null, null);
    assertEquals(503, health.status(), health.body());
    assertEquals("draining", health.json().getString("status"));
  }

  /**
   * A SockJS XHR-streaming session through HAProxy spreads over several HTTP requests: the streaming response and one
   * POST per message. Two client source addresses that HAProxy's source hash sends to two different nodes show the
   * cookie doing the work: the session opened from the first address keeps answering sends made from the second one
   * with the cookie, while the same send without the cookie reaches the other node, which does not know the session.
   */
  @Test
  @Order(2)
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aSockJsXhrStreamingSessionStaysOnItsNodeThroughHaproxyByCookie() {
    Map<String, String> sourceToNode = new LinkedHashMap<>();
    for (int i = 1; i <= 30 && new HashSet<>(sourceToNode.values()).size() < 2; i++) {
      String source = "127.0.0." + i;
      HttpClient from = vertx.createHttpClient(new HttpClientOptions().setLocalAddress(source).setKeepAlive(false));
      try {
        String setCookie = Await.result(from.request(HttpMethod.GET, lbPort, "127.0.0.1", "/eventbus/info")
            .compose(r -> r.send()).compose(r -> r.body().map(b -> r.getHeader("set-cookie"))), WAIT, "info from " + source);
        assertNotNull(setCookie, "HAProxy names the node in a cookie");
        sourceToNode.put(source, setCookie.replaceAll("^HERALD_NODE=([^;]+);.*$", "$1"));
      } finally {
        from.close();
      }
    }
    List<String> sources = new ArrayList<>(sourceToNode.keySet());
    String streamFrom = sources.get(0);
    String sendFrom = sources.stream().filter(s -> !sourceToNode.get(s).equals(sourceToNode.get(streamFrom)))
        .findFirst().orElseThrow(() -> new AssertionError("every source hashed to one node: " + sourceToNode));
    String node = sourceToNode.get(streamFrom);
    log("SockJS through HAProxy: %s hashes to %s, %s to %s", streamFrom, node, sendFrom, sourceToNode.get(sendFrom));

    String user = "fleet-bridge-user-" + UNIQUE;
    String token = issuer.issue(user, Duration.ofHours(1), null, List.of());
    try (SockJsXhrClient client = SockJsXhrClient.open(vertx, "127.0.0.1", lbPort, streamFrom, sendFrom,
        "?token=" + token, Map.of())) {
      assertEquals("HERALD_NODE=" + node, client.cookie());
      String address = "herald.user.default." + user;
      client.register(address);
      JsonObject status = client.call("herald.client.status", new JsonObject());
      assertEquals(node, status.getString("node_id"), "sends from " + sendFrom + " reached the session's node");
      assertEquals(user, status.getString("user_id"));
      // A notification published through HAProxy (to any node) reaches the session on its node.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      boolean delivered = false;
      for (int attempt = 0; !delivered && System.nanoTime() < deadline; attempt++) {
        String id = "bridge-probe-" + attempt;
        assertEquals(202, publishHttp(id, user, "through the bridge").status());
        try {
          // The first message on the user address is the pushed InitialState; a probe is recognised by its id.
          client.await(m -> "rec".equals(m.getString("type")) && address.equals(m.getString("address"))
              && id.equals(m.getJsonObject("body").getString("id")), Duration.ofMillis(500), "probe " + id);
          delivered = true;
        } catch (AssertionError notYet) {
          // the registration may still be reaching the node that took the publish
        }
      }
      assertTrue(delivered, "a notification published through HAProxy reached the SockJS session");

      HttpClient withoutCookie = vertx.createHttpClient(new HttpClientOptions().setLocalAddress(sendFrom).setKeepAlive(false));
      try {
        String body = new JsonArray().add(new JsonObject().put("type", "ping").encode()).encode();
        int status404 = Await.result(withoutCookie.request(HttpMethod.POST, lbPort, "127.0.0.1", client.sessionPath() + "/xhr_send")
            .compose(r -> r.send(Buffer.buffer(body))).compose(r -> r.body().map(b -> r.statusCode())), WAIT, "xhr_send without cookie");
        assertEquals(404, status404, "without the cookie the send reaches " + sourceToNode.get(sendFrom) + ", which has no such session");
      } finally {
        withoutCookie.close();
      }
    }
  }

  // ---------------------------------------------------------------- delivery helpers

  private record Connected(WsClient client, String nodeId) {
  }

  /** Connects to /ws through HAProxy and authenticates, retrying refused or dropped attempts until {@code within}. */
  private static Connected connectThroughHaproxy(String user, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    AssertionError last = null;
    int attempts = 0;
    while (System.nanoTime() < deadline) {
      attempts++;
      WsClient client = null;
      try {
        client = WsClient.connect(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(lbPort).setURI("/ws"),
            null);
        client.send(new JsonObject().put("type", "Authenticate").put("device", "Dashboard")
            .put("token", issuer.issue(user, Duration.ofHours(1), null, List.of())));
        JsonObject reply = client.next(WAIT);
        if ("Authenticated".equals(reply.getString("type"))) {
          return new Connected(client, reply.getString("node_id"));
        }
        last = new AssertionError("expected Authenticated, got " + reply.encode());
      } catch (AssertionError e) {
        last = e;
      }
      if (client != null) {
        client.close();
      }
      pause(200);
    }
    throw new AssertionError("no authenticated connection through HAProxy within " + within.toMillis() + " ms ("
        + attempts + " attempts)", last);
  }

  /**
   * Event-bus registrations reach the other nodes asynchronously: posts probes straight to each node until the
   * client receives one from every node, so that every node is known to route the user's notifications.
   */
  private static void warmUp(WsClient client, String user, List<Integer> nodes) {
    List<String> attempts = new ArrayList<>();
    for (int k : nodes) {
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      boolean received = false;
      int attempt = 0;
      for (; !received && System.nanoTime() < deadline; attempt++) {
        String id = "probe-" + k + "-" + attempt;
        Http r = request(HttpMethod.POST, lbPort + k, "/api/v1/notifications",
            new JsonObject().put("id", id).put("user_id", user).put("message", "probe").encode(), API_KEY);
        assertEquals(202, r.status(), "probe through herald-" + k + ": " + r.body());
        received = receive(client, id, Duration.ofMillis(1000));
      }
      assertTrue(received, "no probe posted to herald-" + k + " reached the client within 15 s");
      attempts.add("herald-" + k + ": " + attempt);
    }
    log("probes needed per node: %s", attempts);
    client.drain(); // probes are no part of the counts
  }

  /** POSTs through HAProxy until one notification reaches the client (15 s); ms from {@code since} to then. */
  private static long firstDeliveryThroughHaproxy(WsClient client, String user, long since) {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    for (int attempt = 0; System.nanoTime() < deadline; attempt++) {
      String id = "first-after-kill-" + attempt;
      Http r = publishHttp(id, user, "first after kill");
      assertEquals(202, r.status(), "POST through HAProxy after the kill: " + r.body());
      if (receive(client, id, Duration.ofMillis(500))) {
        long elapsed = ms(since);
        log("first notification after the kill: attempt %d", attempt);
        return elapsed;
      }
    }
    throw new AssertionError("no notification posted through HAProxy reached the reconnected client within 15 s");
  }

  /** Waits for a Notification with this id; other frames are dropped. */
  private static boolean receive(WsClient client, String id, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonObject f : client.drain()) {
        if ("Notification".equals(f.getString("type")) && id.equals(f.getString("id"))) {
          return true;
        }
      }
      pause(10);
    }
    return false;
  }

  /** Publishes {@code n} notifications through NATS, Redis and HTTP (through HAProxy); returns the counts by id. */
  private static Map<String, Integer> publishThroughEachIngress(WsClient client, String user, String phase, int n) {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = phase + "-nats-" + i;
      expected.add(id);
      natsPublish(new JsonObject().put("id", id).put("user_id", user).put("message", "nats " + i).put("priority", "High"));
    }
    flushNats();
    for (int i = 0; i < n; i++) {
      String id = phase + "-redis-" + i;
      expected.add(id);
      long receivers = redisPublish(PREFIX + ":user:" + user, new JsonObject().put("id", id).put("userId", user)
          .put("type", "SYSTEM").put("payload", new JsonObject().put("message", "redis " + i)).encode());
      assertTrue(receivers >= 1, "a node of the fleet subscribed to Redis (" + id + ")");
    }
    for (int i = 0; i < n; i++) {
      String id = phase + "-http-" + i;
      expected.add(id);
      Http r = publishHttp(id, user, "http " + i);
      assertEquals(202, r.status(), "POST through HAProxy: " + r.body());
      assertEquals(id, r.json().getJsonArray("ids").getString(0));
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    awaitIds(client, counts, expected, Duration.ofSeconds(20));
    // A duplicate would come right behind its first copy.
    client.assertNoFrame(Duration.ofMillis(700));
    return counts;
  }

  private static void awaitIds(WsClient client, Map<String, Integer> counts, List<String> expected, Duration timeout) {
    try {
      Await.until(() -> {
        for (JsonObject f : client.drain()) {
          if ("Notification".equals(f.getString("type"))) {
            counts.merge(f.getString("id"), 1, Integer::sum);
          }
        }
        return counts.keySet().containsAll(expected);
      }, timeout, expected.size() + " notifications");
    } catch (AssertionError e) {
      List<String> missing = expected.stream().filter(id -> !counts.containsKey(id)).collect(Collectors.toList());
      throw new AssertionError("missing " + missing.size() + " of " + expected.size() + ": " + missing
          + (client.isClosed() ? " (socket closed: " + client.awaitClose(WAIT) + ")" : ""), e);
    }
  }

  private static void assertExactlyOnce(Map<String, Integer> counts, String phase, int perIngress) {
    assertEquals(3 * perIngress, counts.size(), "distinct notifications received: " + counts.keySet());
    for (String ingress : List.of("nats", "redis", "http")) {
      for (int i = 0; i < perIngress; i++) {
        String id = phase + "-" + ingress + "-" + i;
        assertEquals(1, counts.getOrDefault(id, 0), id + " received exactly once");
      }
    }
  }

  private static Http publishHttp(String id, String user, String message) {
    return request(HttpMethod.POST, lbPort, "/api/v1/notifications",
        new JsonObject().put("id", id).put("user_id", user).put("message", message).encode(), API_KEY);
  }

  private static void natsPublish(JsonObject message) {
    nats.publish(SUBJECT, message.encode().getBytes(StandardCharsets.UTF_8));
  }

  private static void flushNats() {
    try {
      nats.flush(WAIT);
    } catch (Exception e) {
      throw new AssertionError("NATS flush failed", e);
    }
  }

  private static long redisPublish(String channel, String body) {
    return Await.result(redis.send(Request.cmd(Command.PUBLISH).arg(channel).arg(body)), WAIT, "PUBLISH " + channel)
        .toLong();
  }

  // ---------------------------------------------------------------- Redis subscription

  /** The node's own view of its Redis ingress: GET /health on its own port, dependencies.redis. */
  private static JsonObject redisDependency(int k) {
    Http health = request(HttpMethod.GET, lbPort + k, "/health", null, null);
    JsonObject body;
    try {
      body = health.json();
    } catch (DecodeException notJson) {
      throw new IllegalStateException("herald-" + k + " /health answered " + health.status() + " with a body that is not"
          + " JSON: '" + health.body() + "'", notJson);
    }
    JsonObject redisDep = body.getJsonObject("dependencies").getJsonObject("redis");
    assertNotNull(redisDep, "herald-" + k + " /health has no dependencies.redis: " + health.body());
    return redisDep;
  }

  /** Waits until each of the nodes reports its Redis subscription done (GET /health on its own port). */
  private static void awaitRedisSubscribers(List<Integer> nodes) {
    Map<Integer, String> last = new LinkedHashMap<>();
    Await.until(() -> {
      boolean all = true;
      for (int k : nodes) {
        JsonObject dep = redisDependency(k);
        last.put(k, dep.encode());
        all &= "subscriber".equals(dep.getString("role")) && dep.getBoolean("subscribed", false);
      }
      return all;
    }, Duration.ofSeconds(10), "herald-" + nodes + " all subscribed to Redis (last: " + last + ")");
  }

  /** Connects through HAProxy until the connection lands on one of {@code nodes} (leastconn moves the next one). */
  private static Connected connectToSurvivor(String user, List<Integer> nodes) {
    List<WsClient> elsewhere = new ArrayList<>();
    try {
      for (int attempt = 0; attempt < 2 * NODES; attempt++) {
        Connected c = connectThroughHaproxy(user, Duration.ofSeconds(10));
        if (nodes.contains(nodeNumber(c.nodeId()))) {
          return c;
        }
        elsewhere.add(c.client()); // kept open meanwhile, so that leastconn picks another node next
      }
      throw new AssertionError("no connection through HAProxy landed on herald-" + nodes);
    } finally {
      elsewhere.forEach(WsClient::close);
    }
  }

  private static String redisBody(String id, String user) {
    return new JsonObject().put("id", id).put("userId", user).put("type", "SYSTEM")
        .put("payload", new JsonObject().put("message", "redis " + id)).encode();
  }

  // ---------------------------------------------------------------- HTTP

  private record Http(int status, String body, String setCookie) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private static Http request(HttpMethod method, int port, String path, String body, String apiKey) {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path)
        .setConnectTimeout(WAIT.toMillis()).setIdleTimeout(WAIT.toMillis());
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    if (apiKey != null) {
      options.putHeader("Authorization", "Bearer " + apiKey);
    }
    return Await.result(http.request(options)
        .compose(r -> body == null ? r.send() : r.send(Buffer.buffer(body)))
        .compose(r -> r.body().map(b -> new Http(r.statusCode(), b.toString(), r.getHeader("set-cookie")))),
        Duration.ofSeconds(10),
        method + " " + port + path);
  }

  // ---------------------------------------------------------------- the script

  private record Run(int exit, String out) {
    List<String> lines() {
      return out.lines().collect(Collectors.toList());
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n" + out;
    }
  }

  /** Runs {@code scripts/fleet args...} with the fleet's environment; output (stdout + stderr) captured. */
  private static Run fleet(Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add(SCRIPT.toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    for (String inherited : List.of("HERALD_CONF", "API_KEY", "JWT_PUBLIC_KEY", "HERALD_ADMIN_KEY", "HERALD_METRICS_KEY",
        "NODE_ID", "HERALD_CLUSTER_MEMBERS",
        "HERALD_CLUSTER_PORT", "HERALD_CLUSTER_CONFIG", "FLEET_KEEP_ON_FAILURE")) {
      env.remove(inherited);
    }
    env.put("FLEET_DIR", FLEET_DIR.toString());
    env.put("FLEET_START_TIMEOUT", "90");
    env.put("FLEET_STOP_TIMEOUT", "20");
    env.put("HERALD_CLUSTER_NAME", CLUSTER_NAME);
    env.put("HERALD_CLUSTER_HOST", "127.0.0.1");
    env.put("JWT_SECRET", SECRET);
    env.put("HERALD_API_KEY", API_KEY);
    env.put("REDIS_URL", REDIS_URL);
    env.put("NATS_URL", NATS_URL);
    env.put("NATS_SUBJECT", SUBJECT);
    env.put("NATS_QUEUE_GROUP", "herald-" + UNIQUE);
    env.put("REDIS_CHANNEL_PREFIX", PREFIX);
    env.put("LOG_LEVEL", "INFO");
    try {
      Files.createDirectories(ROOT.resolve("target"));
      Path out = Files.createTempFile(ROOT.resolve("target"), "fleet-" + args[0] + "-", ".out");
      try {
        Process process = pb.redirectOutput(out.toFile()).start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
          return new Run(-1, "scripts/fleet " + String.join(" ", args) + " timed out after " + timeout.toSeconds()
              + " s\n" + Files.readString(out));
        }
        return new Run(process.exitValue(), Files.readString(out));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted running " + command, e);
    }
  }

  /** Reads target/fleet-test-.../pids: "node K PID PORT NODE_ID" and "haproxy 0 PID PORT haproxy". */
  private static void readPids() throws IOException {
    Path file = FLEET_DIR.resolve("pids");
    if (!Files.isRegularFile(file)) {
      return;
    }
    Map<Integer, Long> nodes = new LinkedHashMap<>();
    for (String line : Files.readAllLines(file)) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 3 && f[0].equals("node")) {
        nodes.put(Integer.parseInt(f[1]), Long.parseLong(f[2]));
      } else if (f.length >= 3 && f[0].equals("haproxy")) {
        haproxyPid = Long.parseLong(f[2]);
      }
    }
    nodePids = nodes;
  }

  /**
   * Whether the process has ended. A process that exited but is not reaped yet (a zombie: the fleet's processes
   * are orphans, reaped by init in its own time) counts as ended: it runs no code and holds no port.
   */
  private static boolean gone(long pid) {
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
      } catch (IOException | RuntimeException vanished) {
        return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
      }
    }
    return true;
  }

  /**
   * Waits (5 s at most) until killed node K has ended. {@code scripts/fleet kill} returns once the process no
   * longer shows its command line, which the kernel empties while it tears the process down, a little before the
   * process turns zombie.
   */
  private static void awaitGone(int k) {
    Await.until(() -> gone(nodePids.get(k)), Duration.ofSeconds(5), "herald-" + k + " is dead");
  }

  private static int nodeNumber(String nodeId) {
    assertNotNull(nodeId);
    assertTrue(nodeId.matches("herald-[1-9][0-9]*"), nodeId);
    return Integer.parseInt(nodeId.substring("herald-".length()));
  }

  // ---------------------------------------------------------------- ports, time

  /** A port P with P..P+NODES (HAProxy, nodes) and P+100..P+100+NODES-1 (Hazelcast) all free. */
  private static int freePortRange() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20000, 40000);
      boolean free = true;
      for (int p = base; p <= base + NODES && free; p++) {
        free = bindable(p);
      }
      for (int p = base + 100; p < base + 100 + NODES && free; p++) {
        free = bindable(p);
      }
      if (free) {
        return base;
      }
    }
    return fail("no free port range found");
  }

  private static boolean bindable(int port) {
    try {
      new ServerSocket(port, 1, InetAddress.getLoopbackAddress()).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static long ms(long sinceNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
  }

  /** Short fixed pause between retries of something that has no event to wait on (a refused connect). */
  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static void log(String format, Object... args) {
    System.out.println("[FleetProcessIT] " + String.format(format, args));
  }
}
