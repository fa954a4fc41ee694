package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.Await;
import io.herald.testkit.CloseInfo;
import io.herald.testkit.RawWsClient;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Limits of a node's WebSocket front door, end to end over real sockets: connections per user and per node,
 * the per-connection rate limit, frame and message size, malformed input, allowed origins, permessage-deflate,
 * heartbeats and idle timeout, slow clients. Each group of tests runs on its own node with the options it needs
 * (started on first use, closed after the class).
 */
@Timeout(60)
class LimitsIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final Map<String, TestNode> NODES = new LinkedHashMap<>();

  /** The node of a test group, started with {@code customise} applied to {@link TestNode#options()} on first use. */
  private static synchronized TestNode node(String group, UnaryOperator<HeraldOptions> customise) {
    TestNode existing = NODES.get(group);
    if (existing != null) {
      return existing;
    }
    TestNode started = TestNode.start(customise.apply(TestNode.options()));
    NODES.put(group, started);
    return started;
  }

  @AfterAll
  static void stopNodes() {
    List<TestNode> nodes = new ArrayList<>(NODES.values());
    NODES.clear();
    AssertionError first = null;
    for (TestNode n : nodes) {
      try {
        n.close();
      } catch (AssertionError e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  // ---------------------------------------------------------------- helpers

  private static JsonObject authenticate(String token) {
    return new JsonObject().put("type", "Authenticate").put("token", token).put("device", "Dashboard");
  }

  private static JsonObject ping() {
    return new JsonObject().put("type", "Ping");
  }

  /** Opens a socket with the token in the query string and waits for Authenticated. */
  private static WsClient connectWithQueryToken(TestNode node, String user) {
    WsClient client = WsClient.connect(node.vertx(), node.port(), "/ws?token=" + node.token(user));
    try {
      assertEquals(user, client.awaitType("Authenticated", T).getString("user_id"));
      return client;
    } catch (AssertionError e) {
      client.close();
      throw e;
    }
  }

  /** Opens a raw socket with the token in the query string and waits for Authenticated. */
  private static RawWsClient rawWithQueryToken(TestNode node, String user) {
    RawWsClient raw = RawWsClient.connect(node.vertx(), node.port(), "/ws?token=" + node.token(user), Map.of());
    try {
      JsonObject first = raw.nextText(T);
      assertEquals("Authenticated", first.getString("type"), first.encode());
      return raw;
    } catch (AssertionError e) {
      raw.close();
      throw e;
    }
  }

  /** Sends Ping and asserts that the next frame is the Pong. */
  private static void assertAnswersPing(WsClient client, String after) {
    client.send(ping());
    JsonObject reply = client.next();
    assertEquals("Pong", reply.getString("type"), "no Pong after " + after + ": " + reply.encode());
  }

  /** Asserts that the next frame is an Error with {@code code}, and returns it. */
  private static JsonObject assertError(WsClient client, String code, String after) {
    JsonObject frame = client.next();
    assertEquals("Error", frame.getString("type"), "after " + after + ": " + frame.encode());
    assertEquals(code, frame.getString("code"), "after " + after + ": " + frame.encode());
    assertNotNull(frame.getString("message"), "Error without message after " + after);
    return frame;
  }

  /** Tries to connect and authenticate once; null (socket closed) when the node refuses. */
  private static WsClient tryConnect(TestNode node, String user) {
    WsClient client = node.open();
    client.send(authenticate(node.token(user)));
    JsonObject reply = client.next();
    if ("Authenticated".equals(reply.getString("type"))) {
      return client;
    }
    client.close();
    return null;
  }

  /** Opens an unauthenticated socket, authenticates, and asserts the refusal: Error connection_limit then 4029. */
  private static void assertConnectionRefused(TestNode node, String user) {
    try (WsClient refused = node.open()) {
      refused.send(authenticate(node.token(user)));
      JsonObject error = refused.next();
      assertEquals("Error", error.getString("type"), error.encode());
      assertEquals("connection_limit", error.getString("code"), error.encode());
      CloseInfo close = refused.awaitClose(T);
      assertEquals(4029, close.codeOr1006(), "close of the refused connection: " + close);
    }
  }

  /*
   * HTTP through the JDK client rather than TestNode.publish/get: those compose r.send() and r.body() from the
   * test thread, and when the response's callback is dispatched after its body has already arrived, body()
   * never completes (a 10 s hang, seen here about once in three runs after a slow-client close).
   */
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(T).build();

  private static HttpResponse<String> http(TestNode node, HttpRequest.Builder request) {
    try {
      return HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("HTTP request to the node failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static URI uri(TestNode node, String path) {
    return URI.create("http://127.0.0.1:" + node.port() + path);
  }

  private static String get(TestNode node, String path) {
    HttpResponse<String> response = http(node, HttpRequest.newBuilder(uri(node, path)).GET());
    assertEquals(200, response.statusCode(), "GET " + path + ": " + response.body());
    return response.body();
  }

  /** POSTs a notification or an array of them to the HTTP ingress; asserts 202. */
  private static void publish(TestNode node, Object notificationOrArray) {
    HttpResponse<String> response = http(node, HttpRequest.newBuilder(uri(node, "/api/v1/notifications"))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + TestNode.API_KEY)
        .POST(HttpRequest.BodyPublishers.ofString(Json.encode(notificationOrArray))));
    assertEquals(202, response.statusCode(), "publish: " + response.body());
  }

  private static void publishTo(TestNode node, String user, String message) {
    publish(node, new JsonObject().put("user_id", user).put("message", message));
  }

  private static void assertReceives(WsClient client, String message) {
    assertEquals(message, client.awaitType("Notification", T).getString("message"));
  }

  private static String pad(int length) {
    return "x".repeat(length);
  }

  /** A text message (a Ping with padding) of exactly {@code bytes} bytes. */
  private static String pingOfSize(int bytes) {
    String prefix = "{\"type\":\"Ping\",\"pad\":\"";
    String suffix = "\"}";
    String text = prefix + pad(bytes - prefix.length() - suffix.length()) + suffix;
    assertEquals(bytes, text.getBytes(StandardCharsets.UTF_8).length);
    return text;
  }

  private static long metric(TestNode node, String name, String label) {
    String body = get(node, "/metrics");
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})?\\s+([0-9.eE+-]+)$").matcher(body);
    while (m.find()) {
      if (String.valueOf(m.group(1)).contains(label)) {
        return (long) Double.parseDouble(m.group(2));
      }
    }
    throw new AssertionError("no " + name + " with " + label + " in /metrics:\n" + body);
  }

  // ---------------------------------------------------------------- connection limits

  @Test
  void thirdConnectionOfAUserIsRefusedAndAFreedSlotIsReused() {
    TestNode node = node("perUser", o -> o.limits(limits -> limits.setMaxConnectionsPerUser(2)));
    WsClient first = node.connect("ann");
    WsClient second = node.connect("ann");
    WsClient third = null;
    try (WsClient otherUser = node.connect("ben")) {
      assertConnectionRefused(node, "ann");

      // the two admitted connections are untouched
      publishTo(node, "ann", "still here");
      assertReceives(first, "still here");
      assertReceives(second, "still here");
      assertAnswersPing(first, "a refused third connection");
      // the limit is per user: another user was admitted on the same node
      assertAnswersPing(otherUser, "another user's refusal");

      // once one closes and the registry counted the release, a new connection is admitted
      first.close();
      AtomicReference<WsClient> admitted = new AtomicReference<>();
      Await.until(() -> {
        admitted.set(tryConnect(node, "ann"));
        return admitted.get() != null;
      }, Duration.ofSeconds(5), "a new connection of ann admitted after one closed");
      third = admitted.get();
      publishTo(node, "ann", "after release");
      assertReceives(second, "after release");
      assertReceives(third, "after release");
      // and the limit still holds with two open again
      assertConnectionRefused(node, "ann");
    } finally {
      first.close();
      second.close();
      if (third != null) {
        third.close();
      }
    }
  }

  @Test
  void fourthAuthenticatedConnectionOnTheNodeIsRefused() {
    TestNode node = node("perNode", o -> o.limits(limits -> limits.setMaxConnections(3)));
    try (WsClient a = node.connect("u1"); WsClient b = node.connect("u2"); WsClient c = node.connect("u3")) {
      assertConnectionRefused(node, "u4");
      for (String user : List.of("u1", "u2", "u3")) {
        publishTo(node, user, "to " + user);
      }
      assertReceives(a, "to u1");
      assertReceives(b, "to u2");
      assertReceives(c, "to u3");
      for (WsClient client : List.of(a, b, c)) {
        assertAnswersPing(client, "the refusal of a fourth connection");
        assertFalse(client.isClosed());
      }
    }
  }

  // ---------------------------------------------------------------- rate limit

  private static TestNode rateNode() {
    return node("rate", o -> o.limits(limits -> limits.setRateLimitPerSec(5).setRateLimitBurst(5)));
  }

  @Test
  void burstAboveTheRateLimitIsRefusedButTheConnectionStaysOpen() throws InterruptedException {
    TestNode node = rateNode();
    // token in the query string: no client message is spent on authentication, the bucket is full
    try (WsClient client = connectWithQueryToken(node, "rita")) {
      for (int i = 0; i < 10; i++) {
        client.send(ping());
      }
      int pongs = 0;
      int limited = 0;
      for (int i = 0; i < 10; i++) {
        JsonObject frame = client.next();
        if ("Pong".equals(frame.getString("type"))) {
          pongs++;
        } else {
          assertEquals("Error", frame.getString("type"), frame.encode());
          assertEquals("rate_limited", frame.getString("code"), frame.encode());
          limited++;
        }
      }
      assertTrue(limited >= 1, "no rate_limited Error for 10 Pings at once (burst 5)");
      assertTrue(pongs >= 5, "the burst of 5 was not served: " + pongs + " Pongs");
      client.assertNoFrame(Duration.ofMillis(200));
      assertFalse(client.isClosed(), "closed by a single burst");

      // the bucket refills at 5/s: after 1.2 s a Ping is served again (no event to await: a refill is time)
      Thread.sleep(1200);
      assertAnswersPing(client, "a pause of 1.2 s");
      assertTrue(metric(node, "herald_rate_limited_total", "") >= limited);
    }
  }

  @Test
  void persistentRateLimitExcessClosesWith4029() {
    TestNode node = rateNode();
    try (WsClient client = connectWithQueryToken(node, "rex")) {
      String text = ping().encode();
      // written without waiting for each write: the server closes part-way through
      for (int i = 0; i < 40; i++) {
        client.socket().writeTextMessage(text);
      }
      CloseInfo close = client.awaitClose(T);
      assertEquals(4029, close.codeOr1006(), "close after persistent excess: " + close);
      List<JsonObject> frames = client.drain();
      assertTrue(frames.stream().anyMatch(f -> "rate_limited".equals(f.getString("code"))),
          "no rate_limited Error before the close: " + frames);
      long pongs = frames.stream().filter(f -> "Pong".equals(f.getString("type"))).count();
      assertTrue(pongs <= 6, "more Pongs than the burst allows: " + pongs);
    }
  }

  // ---------------------------------------------------------------- frame size

  private static TestNode framesNode() {
    return node("frames", o -> o.server(server -> server.setMaxFrameBytes(1024)));
  }

  @Test
  void singleFrameAboveMaxFrameBytesClosesWith1009() {
    TestNode node = framesNode();
    try (RawWsClient raw = rawWithQueryToken(node, "olga")) {
      raw.sendText(pingOfSize(2000));
      CloseInfo close = raw.awaitClose(T);
      assertEquals(1009, close.codeOr1006(), "close after a 2000-byte frame: " + close);
      // Netty rejects the frame and Vert.x drops TCP right after the exception handler: the product's Error
      // and close frame are written in that handler, so they do get out
      List<JsonObject> frames = raw.drain();
      assertEquals(1, frames.size(), "expected one Error before the close: " + frames);
      assertEquals("Error", frames.get(0).getString("type"), frames.toString());
      assertEquals("too_large", frames.get(0).getString("code"), frames.toString());
      raw.awaitTcpClosed(T);
    }
  }

  @Test
  void fragmentedMessageAboveMaxFrameBytesClosesWith1009() {
    TestNode node = framesNode();
    try (RawWsClient raw = rawWithQueryToken(node, "otto")) {
      byte[] whole = pingOfSize(1500).getBytes(StandardCharsets.UTF_8);
      // three fragments of 500 bytes: each under the limit, together over it
      raw.sendFrame(RawWsClient.OP_TEXT, Arrays.copyOfRange(whole, 0, 500), false);
      raw.sendFrame(RawWsClient.OP_CONTINUATION, Arrays.copyOfRange(whole, 500, 1000), false);
      raw.sendFrame(RawWsClient.OP_CONTINUATION, Arrays.copyOfRange(whole, 1000, 1500), true);
      CloseInfo close = raw.awaitClose(T);
      assertEquals(1009, close.codeOr1006(), "close after a 1500-byte fragmented message: " + close);
      List<JsonObject> frames = raw.drain();
      assertTrue(frames.stream().anyMatch(f -> "too_large".equals(f.getString("code"))), "no too_large Error: " + frames);
      assertTrue(frames.stream().noneMatch(f -> "Pong".equals(f.getString("type"))), "oversized Ping answered: " + frames);
    }
  }

  @Test
  void messagesUnderMaxFrameBytesAreAccepted() {
    TestNode node = framesNode();
    try (RawWsClient raw = rawWithQueryToken(node, "nina")) {
      raw.sendText(pingOfSize(900));
      assertEquals("Pong", raw.nextText(T).getString("type"));
      // fragmented too: 3 x 300 bytes
      byte[] whole = pingOfSize(900).getBytes(StandardCharsets.UTF_8);
      raw.sendFrame(RawWsClient.OP_TEXT, Arrays.copyOfRange(whole, 0, 300), false);
      raw.sendFrame(RawWsClient.OP_CONTINUATION, Arrays.copyOfRange(whole, 300, 600), false);
      raw.sendFrame(RawWsClient.OP_CONTINUATION, Arrays.copyOfRange(whole, 600, 900), true);
      assertEquals("Pong", raw.nextText(T).getString("type"));
      assertFalse(raw.tcpClosed());
      assertTrue(raw.protocolErrors().isEmpty(), raw.protocolErrors().toString());
    }
  }

  // ---------------------------------------------------------------- malformed input

  @Test
  void malformedInputGetsErrorFramesAndKeepsTheConnection() {
    TestNode node = framesNode();
    try (WsClient client = node.connect("mal")) {
      client.sendText("{not json");
      assertError(client, "malformed", "invalid JSON");
      assertAnswersPing(client, "invalid JSON");

      client.sendText("[1,2,3]");
      assertError(client, "malformed", "a JSON array");
      assertAnswersPing(client, "a JSON array");

      client.sendBinary(Buffer.buffer(new byte[] {1, 2, 3}));
      assertError(client, "unsupported", "a binary frame");
      assertAnswersPing(client, "a binary frame");

      client.send(new JsonObject().put("type", "Teleport"));
      assertError(client, "unknown_type", "an unknown type");
      assertAnswersPing(client, "an unknown type");

      client.send(new JsonObject().put("type", 42));
      assertError(client, "malformed", "a numeric type");
      assertAnswersPing(client, "a numeric type");

      client.send(new JsonObject().put("type", "Subscribe").put("topics", "alerts"));
      assertError(client, "invalid", "topics as a string");
      assertAnswersPing(client, "topics as a string");

      client.send(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray().add(7)));
      assertError(client, "invalid", "a numeric topic");
      assertAnswersPing(client, "a numeric topic");

      client.send(new JsonObject().put("type", "Subscribe").put("filters", "high"));
      assertError(client, "invalid", "filters as a string");
      assertAnswersPing(client, "filters as a string");

      client.send(new JsonObject().put("type", "Refresh").put("token", 12345));
      assertError(client, "invalid", "a numeric Refresh token");
      assertAnswersPing(client, "a numeric Refresh token");

      assertFalse(client.isClosed());
      // and still a working subscriber
      publishTo(node, "mal", "after the garbage");
      assertReceives(client, "after the garbage");
    }
  }

  // ---------------------------------------------------------------- origins

  private static WebSocketConnectOptions upgradeWithOrigin(TestNode node, String origin) {
    return new WebSocketConnectOptions().setHost("localhost").setPort(node.port())
        .setURI("/ws?token=" + node.token("orla")).addHeader("Origin", origin);
  }

  @Test
  void upgradeFromAnOriginNotAllowedIsRefusedWith403() {
    TestNode node = node("origins", o -> o.access(access -> access.setAllowedOrigins(List.of("https://app.example.com"))));
    assertEquals(403, WsClient.upgradeStatus(node.vertx(), upgradeWithOrigin(node, "https://evil.example.com")));
    try (WsClient allowed = WsClient.connect(node.vertx(), upgradeWithOrigin(node, "https://app.example.com"), null)) {
      assertEquals("Authenticated", allowed.next().getString("type"));
      assertAnswersPing(allowed, "an allowed origin");
    }
  }

  @Test
  void anyOriginIsAcceptedWhenTheListIsEmpty() {
    TestNode node = framesNode();
    assertTrue(node.nodeOptions().access().getAllowedOrigins().isEmpty());
    try (WsClient evil = WsClient.connect(node.vertx(), upgradeWithOrigin(node, "https://evil.example.com"), null)) {
      assertEquals("Authenticated", evil.next().getString("type"));
    }
  }

  // ---------------------------------------------------------------- permessage-deflate

  private static WsClient connectOfferingDeflate(TestNode node, String user) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("localhost").setPort(node.port())
        .setURI("/ws?token=" + node.token(user));
    WebSocketClientOptions deflate = WsClient.defaultClientOptions().setTryUsePerMessageCompression(true);
    WsClient client = WsClient.connect(node.vertx(), options, deflate);
    assertEquals("Authenticated", client.next().getString("type"));
    return client;
  }

  @Test
  void permessageDeflateIsNegotiatedAndNotificationsArriveIntact() {
    TestNode node = framesNode();
    assertTrue(node.nodeOptions().server().isCompression());
    try (WsClient client = connectOfferingDeflate(node, "zip")) {
      String extensions = client.handshakeHeaders().get("sec-websocket-extensions");
      assertNotNull(extensions, "no sec-websocket-extensions in " + client.handshakeHeaders());
      assertTrue(extensions.contains("permessage-deflate"), extensions);
      JsonObject details = new JsonObject().put("blob", "abc".repeat(3000)).put("n", 42);
      publish(node, new JsonObject().put("user_id", "zip").put("message", "compressed").put("details", details));
      JsonObject frame = client.awaitType("Notification", T);
      assertEquals("compressed", frame.getString("message"));
      assertEquals(details, frame.getJsonObject("details"));
      assertAnswersPing(client, "a compressed notification");
    }
  }

  @Test
  void permessageDeflateIsNotNegotiatedWhenCompressionIsOff() {
    TestNode node = node("plain", o -> o.server(server -> server.setCompression(false)));
    try (WsClient client = connectOfferingDeflate(node, "raw")) {
      String extensions = client.handshakeHeaders().get("sec-websocket-extensions");
      assertTrue(extensions == null || !extensions.contains("permessage-deflate"), "negotiated anyway: " + extensions);
      publishTo(node, "raw", "uncompressed");
      assertReceives(client, "uncompressed");
    }
  }

  // ---------------------------------------------------------------- heartbeats

  @Test
  void silentClientsAreClosedWith4011WhileActiveOnesStayOpen() throws InterruptedException {
    TestNode node = node("heartbeat", o -> o.limits(limits -> limits.setHeartbeatIntervalSecs(1).setConnectionTimeoutSecs(2)));
    long start = System.nanoTime();
    try (RawWsClient silent = rawWithQueryToken(node, "sid");
         RawWsClient pinger = rawWithQueryToken(node, "pia");
         WsClient normal = connectWithQueryToken(node, "norm")) {
      // the pinger never answers pings either, but sends an application Ping every 500 ms
      CloseInfo silentClose = null;
      int pongs = 0;
      while (System.nanoTime() - start < Duration.ofMillis(4500).toNanos()) {
        pinger.sendText(ping().encode());
        JsonObject reply = pinger.nextText(T);
        assertEquals("Pong", reply.getString("type"), reply.encode());
        pongs++;
        // The client's own cadence: an application Ping every 500 ms is the behaviour under test.
        Thread.sleep(500);
        if (silentClose == null && silent.tcpClosed()) {
          silentClose = silent.awaitClose(T);
        }
      }
      if (silentClose == null) {
        silentClose = silent.awaitClose(Duration.ofSeconds(1));
      }
      assertTrue(silent.pingsReceived() >= 1, "the silent client got no ping");
      assertFalse(silentClose.abnormal(), "the silent client was dropped without a close frame");
      assertEquals(4011, silentClose.codeOr1006(), "close of the silent client: " + silentClose);
      assertTrue(pongs >= 6, "pinger got " + pongs + " Pongs");

      // more than 4 s in (twice the timeout): the others are still open and served
      assertTrue(System.nanoTime() - start >= Duration.ofSeconds(4).toNanos());
      assertTrue(pinger.pingsReceived() >= 2, "the pinger got " + pinger.pingsReceived() + " pings");
      assertFalse(pinger.tcpClosed(), "the pinger was closed");
      assertFalse(normal.isClosed(), "the auto-pong client was closed: " + (normal.isClosed() ? normal.awaitClose(T) : ""));
      publishTo(node, "norm", "alive");
      assertReceives(normal, "alive");
      publishTo(node, "pia", "alive too");
      JsonObject frame = pinger.nextText(T);
      assertEquals("alive too", frame.getString("message"), frame.encode());
      assertTrue(metric(node, "herald_server_closes_total", "code=\"4011\"") >= 1);
    }
  }

  // ---------------------------------------------------------------- slow client

  @Test
  void slowClientIsClosedWith4010WithoutDelayingOthers() {
    TestNode node = node("slow", o -> o.limits(limits -> limits.setWriteQueueMaxBytes(1024).setSlowClientGraceSecs(1).setSlowClientMaxPending(50)));
    try (WsClient slow = node.connect("slowpoke"); WsClient other = node.connect("quick")) {
      slow.pause();
      JsonObject details = new JsonObject().put("blob", pad(20_000));
      // 30 notifications of ~20 KB a batch, about 300 in all; a few more batches only if the kernel's socket
      // buffers swallowed all of that (the limit is what the server can no longer hand to the socket)
      int perBatch = 30;
      int published = 0;
      for (int b = 0; b < 20 && (b < 10 || metric(node, "herald_server_closes_total", "code=\"4010\"") == 0); b++) {
        JsonArray batch = new JsonArray();
        for (int i = 0; i < perBatch; i++) {
          batch.add(new JsonObject().put("user_id", "slowpoke").put("message", "bulk " + b + "." + i).put("details", details));
        }
        publish(node, batch);
        published += perBatch;
        if (b == 5) {
          // while the slow client's backlog piles up, another user's notification still goes out at once
          long sent = System.nanoTime();
          publishTo(node, "quick", "not blocked");
          assertReceives(other, "not blocked");
          long tookMs = Duration.ofNanos(System.nanoTime() - sent).toMillis();
          assertTrue(tookMs < 2000, "the other user's notification took " + tookMs + " ms");
        }
      }
      publishTo(node, "quick", "still not blocked");
      assertReceives(other, "still not blocked");

      Await.until(() -> metric(node, "herald_server_closes_total", "code=\"4010\"") >= 1, T,
          "a 4010 close counted in /metrics");
      slow.resume();
      CloseInfo close = slow.awaitClose(Duration.ofSeconds(10));
      assertEquals(4010, close.codeOr1006(), "close of the slow client: " + close);
      int received = (int) slow.drain().stream().filter(f -> "Notification".equals(f.getString("type"))).count();
      assertTrue(received < published, "the slow client got all " + received + " notifications");
      assertAnswersPing(other, "the slow client's close");
    }
  }
}
