package io.herald.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code herald run} in a child JVM, as {@code scripts/run} starts it: with nothing configured it generates both
 * secrets, turns dev_mode on and prints the page's address, and the page's development session works; with a
 * configured API key it never hands the key out.
 */
class RunDevModeTest {

  private static final Duration START = Duration.ofSeconds(60);
  private static final Pattern PAGE_LINE = Pattern.compile("Notification center: http://localhost:(\\d+)/");
  /** Configuration a developer's environment may carry; the child runs without it unless a test sets it. */
  private static final List<String> CLEARED_ENV = List.of("JWT_SECRET", "JWT_PUBLIC_KEY", "HERALD_API_KEY", "API_KEY",
      "HERALD_CONF", "DEV_MODE", "REDIS_URL", "NATS_URL", "WEBSOCKET_PORT", "CLUSTER");

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void withNothingConfiguredThePageConnectsAsTheDemoUser() throws Exception {
    try (RunningNode run = RunningNode.start(Map.of())) {
      assertTrue(run.pageLine.contains("development mode"), run.pageLine);
      HttpResponse<String> session = get(run.port, "/dev/session");
      assertEquals(200, session.statusCode(), session.body());
      JsonObject body = new JsonObject(session.body());
      assertEquals("demo", body.getString("user_id"));
      assertEquals(200, get(run.port, "/").statusCode());

      Vertx vertx = Vertx.vertx();
      try (WsClient client = WsClient.connect(vertx, run.port, "/ws")) {
        client.send(new JsonObject().put("type", "Authenticate").put("token", body.getString("token")));
        assertEquals("demo", client.awaitType("Authenticated", WsClient.DEFAULT_TIMEOUT).getString("user_id"));
        // herald run queued a welcome for the demo user: the first page to connect shows a notification at once.
        JsonObject welcome = client.awaitType("Notification", WsClient.DEFAULT_TIMEOUT);
        assertEquals("Welcome to Herald", welcome.getString("alert_name"), welcome.encode());
        // The handed-out key is the node's API key: the page's publish form reaches the demo user.
        HttpResponse<String> published = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + run.port
                + "/api/v1/notifications"))
            .header("Authorization", "Bearer " + body.getString("api_key")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"user_id\":\"demo\",\"message\":\"from the page\"}"))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, published.statusCode(), published.body());
        assertEquals("from the page", client.awaitType("Notification", WsClient.DEFAULT_TIMEOUT).getString("message"));
      } finally {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void withAConfiguredApiKeyThereIsNoDevSession() throws Exception {
    try (RunningNode run = RunningNode.start(Map.of("HERALD_API_KEY", TestNode.API_KEY))) {
      // The token goes in the fragment, which no browser sends to a server.
      assertTrue(run.pageLine.endsWith("/#token=<token>"), run.pageLine);
      HttpResponse<String> session = get(run.port, "/dev/session");
      assertEquals(404, session.statusCode());
      assertFalse(session.body().contains(TestNode.API_KEY));
      assertEquals(200, get(run.port, "/").statusCode(), "the page itself is served without dev_mode");
    }
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A {@code herald run --port 0} child JVM on loopback, stopped with SIGTERM (then killed if it lingers). */
  private static final class RunningNode implements AutoCloseable {
    final Process process;
    final int port;
    final String pageLine;

    private RunningNode(Process process, int port, String pageLine) {
      this.process = process;
      this.port = port;
      this.pageLine = pageLine;
    }

    static RunningNode start(Map<String, String> env) throws IOException, InterruptedException {
      ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), "io.herald.Main", "run", "--port", "0", "--instances", "1")
          .redirectErrorStream(true);
      CLEARED_ENV.forEach(builder.environment()::remove);
      builder.environment().put("WEBSOCKET_HOST", "127.0.0.1");
      builder.environment().putAll(env);
      Process process = builder.start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = out.readLine()) != null) {
            lines.add(line);
          }
        } catch (IOException e) {
          lines.add("output unreadable: " + e.getMessage());
        }
      }, "herald-run-output");
      reader.setDaemon(true);
      reader.start();
      long deadline = System.nanoTime() + START.toNanos();
      StringBuilder seen = new StringBuilder();
      while (System.nanoTime() < deadline) {
        String line = lines.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        if (line == null) {
          break;
        }
        seen.append(line).append('\n');
        Matcher page = PAGE_LINE.matcher(line);
        if (page.find()) {
          return new RunningNode(process, Integer.parseInt(page.group(1)), line.trim());
        }
      }
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      fail("herald run printed no page address within " + START.toSeconds() + " s:\n" + seen);
      return null;
    }

    @Override
    public void close() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("herald run did not stop on SIGTERM within 30 s");
      }
    }
  }
}
