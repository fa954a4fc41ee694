package io.herald.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The page, the client and its vendor scripts as served by a real node, and the development session. */
class WebRoutesIT {

  /** Every path the web routes serve, as the browser asks for them. */
  private static final List<String> SERVED = List.of("/", "/index.html", "/herald-client.js",
      "/notification-center.js", "/notification-center.css", "/vendor/vertx-eventbus.js",
      "/vendor/sockjs-client/sockjs.min.js");

  /** A node without dev_mode (the test secrets are configured, as in production). */
  private static TestNode node;
  /** A node with dev_mode on. */
  private static TestNode devNode;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    devNode = TestNode.start(TestNode.options().server(server -> server.setDevMode(true)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (devNode != null) {
      devNode.close();
    }
  }

  @ParameterizedTest(name = "GET {0}")
  @CsvSource({
      "/,                                    text/html,       notification-center.js",
      "/index.html,                          text/html,       id=\"unread-count\"",
      "/herald-client.js,                    text/javascript, export class Herald",
      "/notification-center.js,              text/javascript, from './herald-client.js'",
      "/notification-center.css,             text/css,        data-state=\"reconnecting\"",
      "/vendor/vertx-eventbus.js,            text/javascript, Apache License v2.0",
      "/vendor/sockjs-client/sockjs.min.js,  text/javascript, SockJS",
  })
  void servesThePageTheClientAndTheVendorScripts(String path, String type, String content) {
    TestNode.HttpResult result = node.get(path);
    assertEquals(200, result.status(), path);
    assertTrue(result.headers().get("content-type").startsWith(type), result.headers().get("content-type"));
    assertTrue(result.body().contains(content), path + " lacks " + content);
  }

  @Test
  void thePageSendsNoReferer() {
    // A page opened with a token in its address must not pass that address on in a Referer (also in index.html).
    for (String path : List.of("/", "/index.html", "/notification-center.js", "/notification-center.css")) {
      assertEquals("no-referrer", node.get(path).headers().get("referrer-policy"), path);
    }
    assertTrue(node.get("/").body().contains("<meta name=\"referrer\" content=\"no-referrer\">"));
  }

  @Test
  void servesNothingElseFromTheClasspath() {
    // Only the listed files: no directory listing, no other resource under webroot or in the WebJar.
    assertEquals(404, node.get("/webroot/index.html").status());
    assertEquals(404, node.get("/vendor/").status());
    assertNotEquals(200, node.get("/vendor/sockjs-client/").status());
    assertEquals(404, node.get("/vendor/sockjs-client/../../logback.xml").status());
    assertEquals(404, node.get("/logback.xml").status());
  }

  @Test
  void withoutDevModeThereIsNoSessionAndNoSecretInAnyServedFile() {
    assertEquals(404, node.get("/dev/session").status());
    for (String path : SERVED) {
      String body = node.get(path).body();
      assertFalse(body.contains(TestNode.API_KEY), path + " contains the API key");
      assertFalse(body.contains(TestNode.JWT_SECRET), path + " contains the JWT secret");
    }
  }

  @Test
  void devSessionHandsOutATokenForTheDemoUserAndTheApiKey() {
    TestNode.HttpResult result = devNode.get("/dev/session");
    assertEquals(200, result.status());
    assertEquals("no-store", result.headers().get("cache-control"));
    JsonObject session = result.json();
    assertEquals("demo", session.getString("user_id"));
    assertEquals(TestNode.API_KEY, session.getString("api_key"));
    assertTrue(Instant.parse(session.getString("expires_at")).isAfter(Instant.now().plus(DevSession.TOKEN_TTL).minusSeconds(60)));

    // The token authenticates as the demo user, and every call gives a token that works.
    try (WsClient client = devNode.connectWithToken(session.getString("token"), "Dashboard")) {
      JsonObject subscribed = TestNode.subscribe(client, new JsonObject().put("topics", new JsonArray().add("any.topic")));
      assertEquals(new JsonArray().add("any.topic"), subscribed.getJsonArray("topics"), "the dev token grants every topic");
      // The page's publish form posts with the handed-out key; the notification reaches the demo user.
      JsonObject accepted = devNode.publish(new JsonObject().put("user_id", "demo").put("message", "from the form"));
      JsonObject notification = client.awaitType("Notification", WsClient.DEFAULT_TIMEOUT);
      assertEquals(accepted.getJsonArray("ids").getString(0), notification.getString("id"));
    }
    assertEquals(401, devNode.post("/api/v1/notifications", "{}", "not-the-key-0123456789").status());
  }

  @ParameterizedTest(name = "[{index}] {0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "Host: localhost:PORT                                   | 200",
      "Host: LOCALHOST:PORT                                   | 200",
      "Host: 127.0.0.1:PORT                                   | 200",
      "Host: [::1]:PORT                                       | 200",
      "Host: localhost                                        | 200",
      "Host: 127.0.0.1                                        | 200",
      // DNS rebinding: another site's name resolved to 127.0.0.1 by the browser; its Host is that name.
      "Host: rebind.attacker.example:PORT                     | 403",
      "Host: localhost.attacker.example:PORT                  | 403",
      "Host: 127.0.0.2:PORT                                   | 403",
      "Host: localhost:1                                      | 403",
      "Host: localhost:                                       | 403",
      // Malformed or missing Host: Vert.x refuses these before any route.
      "Host: ::1                                              | 400",
      "''                                                     | 400",
      // A proxy on the same machine: every client looks like loopback, the proxy tells who it really is.
      "Host: localhost:PORT\\r\\nX-Forwarded-For: 203.0.113.9   | 403",
      "Host: localhost:PORT\\r\\nX-Forwarded-Host: example.com  | 403",
      "Host: localhost:PORT\\r\\nForwarded: for=203.0.113.9     | 403",
      "Host: localhost:PORT\\r\\nX-Real-IP: 203.0.113.9         | 403",
  })
  void theDevSessionIsForTheDevelopersOwnBrowserOnly(String headers, int status) throws IOException {
    String response = rawGet(devNode.port(), "/dev/session", headers.replace("PORT", Integer.toString(devNode.port()))
        .replace("\\r\\n", "\r\n"));
    assertTrue(response.startsWith("HTTP/1.1 " + status + " "), headers + " -> " + response);
    assertEquals(status == 200, response.contains(TestNode.API_KEY), headers + " -> " + response);
  }

  @Test
  void theDevSessionIsForLoopbackClientsOnly() {
    assertTrue(DevSession.isLoopback(SocketAddress.inetSocketAddress(5000, "127.0.0.1")));
    assertTrue(DevSession.isLoopback(SocketAddress.inetSocketAddress(5000, "127.3.2.1")));
    assertTrue(DevSession.isLoopback(SocketAddress.inetSocketAddress(5000, "::1")));
    assertFalse(DevSession.isLoopback(SocketAddress.inetSocketAddress(5000, "192.0.2.10")));
    assertFalse(DevSession.isLoopback(SocketAddress.inetSocketAddress(5000, "2001:db8::1")));
    assertFalse(DevSession.isLoopback(SocketAddress.domainSocketAddress("/tmp/herald.sock")));
    assertFalse(DevSession.isLoopback(null));
  }

  /** A GET written byte for byte with exactly the given header lines (no Host unless given), read to the end. */
  private static String rawGet(int port, String path, String headerLines) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      String request = "GET " + path + " HTTP/1.1\r\n" + (headerLines.isEmpty() ? "" : headerLines + "\r\n")
          + "Connection: close\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
