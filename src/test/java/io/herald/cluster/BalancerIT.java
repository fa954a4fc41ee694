package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.herald.testkit.Await;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The balancer's rules, {@code conf/haproxy.cfg} as {@code scripts/fleet} expands it, with a real HAProxy in front of
 * one real node: only the public routes pass, whatever spelling of a private path a client tries (the node's router
 * normalises paths; HAProxy matches the raw one), and HAProxy's log never holds a query string. The node carries
 * every key, so a request that reached it with the right key would be obeyed: only the balancer refuses it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BalancerIT {

  private static final String ADMIN_KEY = "balancer-admin-key-" + UUID.randomUUID();
  private static final String METRICS_KEY = "balancer-metrics-key-" + UUID.randomUUID();
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path DIR = ROOT.resolve("target/balancer-test-" + UUID.randomUUID().toString().substring(0, 8));
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static TestNode node;
  private static Process haproxy;
  private static int lbPort;

  @BeforeAll
  static void start() throws Exception {
    String binary = haproxyBinary();
    node = TestNode.start(TestNode.options().api(api -> api.setAdminKey(ADMIN_KEY).setMetricsKey(METRICS_KEY)));
    Files.createDirectories(DIR);
    lbPort = freePort();
    Path cfg = DIR.resolve("haproxy.cfg");
    Files.writeString(cfg, expand(Files.readString(ROOT.resolve("conf/haproxy.cfg")), lbPort, node.port()));
    Process check = new ProcessBuilder(binary, "-c", "-q", "-f", cfg.toString()).redirectErrorStream(true).start();
    assertTrue(check.waitFor(30, TimeUnit.SECONDS), "haproxy -c did not finish");
    assertEquals(0, check.exitValue(), "invalid HAProxy configuration: " + new String(check.getInputStream().readAllBytes()));
    haproxy = new ProcessBuilder(binary, "-db", "-f", cfg.toString()).redirectErrorStream(true)
        .redirectOutput(log().toFile()).start();
    Await.until(BalancerIT::forwardsHealth, WAIT, "HAProxy forwarding /health");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (haproxy != null) {
        haproxy.destroy();
        if (!haproxy.waitFor(10, TimeUnit.SECONDS)) {
          haproxy.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    } finally {
      if (node != null) {
        node.close();
      }
    }
  }

  // ---------------------------------------------------------------- private routes

  @Order(1)
  @ParameterizedTest(name = "POST {0}")
  @ValueSource(strings = {
      "/admin/drain", "//admin/drain", "/%61dmin/drain", "/%2561dmin/drain", "/./admin/drain", "/admin/./drain",
      "/admin/../admin/drain", "/../admin/drain", "/admin//drain", "/admin/drain/", "/admin/%64rain", "/ADMIN/drain",
      "/api/v1/../../admin/drain", "/api/v1/%2e%2e/%2e%2e/admin/drain", "/api/v1/%2E%2E/%2E%2E/admin/drain",
      "/eventbus/../admin/drain", "/ws/../admin/drain", "/vendor/..%2f..%2fadmin/drain", "/admin\\drain",
      "/admin/drain?x=1", "/admin/drain;x", "http://127.0.0.1//admin/drain", "http://127.0.0.1/admin/drain"})
  void everySpellingOfTheDrainRouteIsRefusedAtTheBalancer(String target) {
    for (String key : List.of(TestNode.API_KEY, ADMIN_KEY)) {
      assertRefusedByHaproxy(request("POST", target, key), "POST " + target);
      assertNodeUp("POST " + target);
    }
  }

  @Order(2)
  @ParameterizedTest(name = "GET {0}")
  @ValueSource(strings = {
      "/metrics", "//metrics", "/%6detrics", "/%6Detrics", "/./metrics", "/health/../metrics",
      "/api/v1/../../metrics", "/metrics/", "/dev/session", "//dev/session", "/anything-else"})
  void metricsAndEveryOtherPrivatePathAreRefusedAtTheBalancer(String target) {
    Http response = request("GET", target, METRICS_KEY);
    assertRefusedByHaproxy(response, "GET " + target);
    assertFalse(response.body().contains("herald_"), "metrics leaked through the balancer: " + response.body());
  }

  // ---------------------------------------------------------------- public routes

  @Test
  @Order(3)
  void thePublicRoutesPass() {
    for (String path : List.of("/", "/index.html", "/herald-client.js", "/notification-center.js",
        "/notification-center.css", "/vendor/vertx-eventbus.js", "/vendor/sockjs-client/sockjs.min.js", "/health",
        "/eventbus/info", "/?token=x")) {
      assertEquals(200, request("GET", path, null).status(), "GET " + path + " through the balancer");
    }
    Http published = request("POST", "/api/v1/notifications", TestNode.API_KEY,
        new JsonObject().put("user_id", "balancer-user").put("message", "through HAProxy").encode());
    assertEquals(202, published.status(), published.body());
    WebSocketConnectOptions ws = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(lbPort).setURI("/ws");
    try (WsClient client = WsClient.connect(node.vertx(), ws, null)) {
      client.send(new JsonObject().put("type", "Authenticate").put("token", node.token("balancer-user")));
      assertEquals("balancer-user", client.awaitType("Authenticated", WsClient.DEFAULT_TIMEOUT).getString("user_id"));
    }
  }

  // ---------------------------------------------------------------- the log

  @Test
  @Order(4)
  void theBalancerLogsPathsWithoutQueryStrings() throws IOException {
    String secret = "SECRET" + UUID.randomUUID().toString().replace("-", "");
    long from = Files.size(log());
    assertEquals(200, request("GET", "/?token=" + secret, null).status());
    assertEquals(200, request("GET", "/eventbus/info?token=" + secret + "&t=1", null).status());
    assertRefusedByHaproxy(request("GET", "/metrics?token=" + secret, null), "GET /metrics?token=");
    assertRefusedByHaproxy(request("GET", "//health?token=" + secret, null), "GET //health?token=");
    WebSocketConnectOptions ws = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(lbPort)
        .setURI("/ws?token=" + node.token("log-user") + "&marker=" + secret);
    try (WsClient client = WsClient.connect(node.vertx(), ws, null)) {
      assertEquals("log-user", client.awaitType("Authenticated", WsClient.DEFAULT_TIMEOUT).getString("user_id"));
    }
    // HAProxy writes a line when a request ends (for the WebSocket: when its tunnel closes), after the frontend name.
    String[] tail = {""};
    Await.until(() -> {
      tail[0] = readFrom(log(), from);
      return tail[0].lines().filter(l -> l.contains("] herald ")).count() >= 5;
    }, WAIT, "HAProxy's log lines of the 5 requests");
    String whole = Files.readString(log());
    assertFalse(whole.contains(secret), "a query string in HAProxy's log:\n" + tail[0]);
    assertFalse(whole.contains("?"), "a query string in HAProxy's log:\n" + tail[0]);
    for (String line : List.of("\"GET / HTTP/1.1\"", "\"GET /eventbus/info HTTP/1.1\"", "\"GET /metrics HTTP/1.1\"",
        "\"GET //health HTTP/1.1\"", "\"GET /ws HTTP/1.1\"")) {
      assertTrue(tail[0].contains(line), "the path of each request is logged: no " + line + " in\n" + tail[0]);
    }
  }

  // ---------------------------------------------------------------- the node itself

  @Test
  @Order(5)
  void theNodesOwnPortObeysTheAdminKeyOnly() {
    assertEquals(401, node.post("/admin/drain", "", TestNode.API_KEY).status(), "the publishers' key drains nothing");
    assertNodeUp("POST /admin/drain with api_key");
    assertEquals(202, node.post("/admin/drain", "", ADMIN_KEY).status(), "the refusals above are the balancer's");
    assertEquals("draining", node.get("/health").json().getString("status"));
  }

  // ---------------------------------------------------------------- helpers

  /** HAProxy's own refusal: 400 (a path not in normal form) or 403 (not public), with its HTML error page. */
  private static void assertRefusedByHaproxy(Http response, String what) {
    assertTrue(response.status() == 400 || response.status() == 403,
        what + " passed the balancer: " + response.status() + " " + response.body());
    assertTrue(response.body().startsWith("<html><body><h1>" + response.status()),
        what + " was not answered by HAProxy: " + response.body());
  }

  private static boolean forwardsHealth() {
    try {
      return request("GET", "/health", null).status() == 200;
    } catch (AssertionError notListeningYet) {
      return false;
    }
  }

  private static void assertNodeUp(String after) {
    TestNode.HttpResult health = node.get("/health");
    assertEquals("up", health.json().getString("status"), "the node after " + after + ": " + health.body());
  }

  private record Http(int status, String body) {
  }

  private static Http request(String method, String target, String key) {
    return request(method, target, key, null);
  }

  /** One HTTP/1.1 request written byte for byte (the target exactly as given: no client-side normalisation). */
  private static Http request(String method, String target, String key, String body) {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(lbPort).append("\r\n")
        .append("Content-Length: ").append(content.length).append("\r\n")
        .append("Connection: close\r\n");
    if (key != null) {
      head.append("Authorization: Bearer ").append(key).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Type: application/json\r\n");
    }
    head.append("\r\n");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), lbPort), 5000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(content);
      out.flush();
      String response = new String(readAll(socket.getInputStream()), StandardCharsets.UTF_8);
      int headEnd = response.indexOf("\r\n\r\n");
      if (!response.startsWith("HTTP/1.") || headEnd < 0) {
        return fail("no HTTP response to " + method + " " + target + ": " + response);
      }
      String responseBody = response.substring(headEnd + 4);
      if (response.substring(0, headEnd).toLowerCase().contains("transfer-encoding: chunked")) {
        responseBody = dechunk(responseBody);
      }
      return new Http(Integer.parseInt(response.substring(9, 12)), responseBody);
    } catch (IOException e) {
      throw new AssertionError(method + " " + target + " through the balancer failed", e);
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    in.transferTo(bytes);
    return bytes.toByteArray();
  }

  private static String dechunk(String chunked) {
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (true) {
      int lineEnd = chunked.indexOf("\r\n", at);
      int size = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
      if (size == 0) {
        return out.toString();
      }
      out.append(chunked, lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
  }

  /** conf/haproxy.cfg with its placeholders filled as scripts/fleet fills them, for one node. */
  static String expand(String template, int bindPort, int nodePort) {
    List<String> lines = new ArrayList<>();
    for (String line : template.split("\n", -1)) {
      String trimmed = line.stripLeading();
      if (trimmed.startsWith("#@SERVERS@")) {
        String indent = line.substring(0, line.length() - trimmed.length());
        String options = trimmed.substring("#@SERVERS@".length()).trim().replace("@NAME@", "herald-1");
        lines.add(indent + "server herald-1 127.0.0.1:" + nodePort + (options.isEmpty() ? "" : " " + options));
      } else {
        lines.add(line.replace("@BIND@", "127.0.0.1:" + bindPort)
            .replace("@STATS_BIND@", "unix@" + DIR.resolve("haproxy-stats.sock")));
      }
    }
    return String.join("\n", lines);
  }

  private static Path log() {
    return DIR.resolve("haproxy.log");
  }

  private static String readFrom(Path file, long offset) {
    try {
      byte[] all = Files.readAllBytes(file);
      return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file, e);
    }
  }

  private static String haproxyBinary() {
    for (String candidate : List.of("/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return candidate;
      }
    }
    return fail("HAProxy is not installed: run apt-get install -y haproxy (scripts/test installs it)");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
