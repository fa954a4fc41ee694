package io.herald.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.herald.config.HeraldOptions;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code herald run} in a child JVM. With {@code --dev}, as {@code scripts/run} starts it, it generates both secrets,
 * turns development mode on and prints the page's address, and the page's development session works; {@code --dev}
 * is refused with a configuration file, Redis, NATS, a cluster or configured secrets. Without {@code --dev} it never
 * generates, prints or hands out a secret, and refuses to start without the secrets it needs.
 */
class RunDevModeIT {

  private static final Duration START = Duration.ofSeconds(60);
  private static final Pattern PAGE_LINE = Pattern.compile("Notification center: http://localhost:(\\d+)/");
  /** Configuration a developer's environment may carry; the child runs without it unless a test sets it. */
  private static final List<String> CLEARED_ENV = List.of("JWT_SECRET", "JWT_PUBLIC_KEY", "HERALD_API_KEY", "API_KEY",
      "HERALD_ADMIN_KEY", "HERALD_METRICS_KEY", "HERALD_CONF", "DEV_MODE", "REDIS_URL", "NATS_URL", "WEBSOCKET_PORT",
      "CLUSTER");

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void withDevThePageConnectsAsTheDemoUser() throws Exception {
    try (RunningNode run = RunningNode.start(Map.of(), "--dev")) {
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
  void withoutDevAConfiguredNodeHandsOutAndPrintsNoSecret() throws Exception {
    // DEV_MODE is no longer read: only --dev turns development mode on.
    try (RunningNode run = RunningNode.start(Map.of("HERALD_API_KEY", TestNode.API_KEY, "JWT_SECRET", TestNode.JWT_SECRET,
        "DEV_MODE", "true"))) {
      // The token goes in the fragment, which no browser sends to a server.
      assertTrue(run.pageLine.endsWith("/#token=<token>"), run.pageLine);
      HttpResponse<String> session = get(run.port, "/dev/session");
      assertEquals(404, session.statusCode());
      assertFalse(session.body().contains(TestNode.API_KEY));
      assertEquals(200, get(run.port, "/").statusCode(), "the page itself is served without development mode");
      String printed = run.output();
      assertFalse(printed.contains(TestNode.API_KEY) || printed.contains(TestNode.JWT_SECRET), printed);
      assertFalse(printed.contains("Development"), printed);
      assertTrue(printed.contains("admin_key"), "says the operator routes are off: " + printed);
    }
  }

  @Test
  void withoutDevAndWithoutSecretsTheNodeRefusesToStartNamingThem() throws Exception {
    Exited run = RunningNode.exit(Map.of());
    assertEquals(ConfigOption.INVALID_CONFIGURATION_EXIT, run.code(), run.output());
    for (String named : List.of("jwt_secret", "JWT_SECRET", "jwt_public_key", "api_key", "HERALD_API_KEY", "--dev")) {
      assertTrue(run.output().contains(named), named + " not named in:\n" + run.output());
    }
    assertFalse(run.output().contains("is up"), run.output());
    // One secret is not enough either.
    Exited jwtOnly = RunningNode.exit(Map.of("JWT_SECRET", TestNode.JWT_SECRET));
    assertEquals(ConfigOption.INVALID_CONFIGURATION_EXIT, jwtOnly.code(), jwtOnly.output());
    assertTrue(jwtOnly.output().contains("api_key") && !jwtOnly.output().contains("jwt_public_key"), jwtOnly.output());
    assertFalse(jwtOnly.output().contains(TestNode.JWT_SECRET), jwtOnly.output());
  }

  @Test
  void devIsRefusedUnderAProductionConfiguration() throws Exception {
    for (Map<String, String> env : List.of(Map.of("HERALD_CONF", "conf/herald.json"), Map.of("REDIS_URL", TestNode.REDIS_URL),
        Map.of("HERALD_API_KEY", TestNode.API_KEY))) {
      Exited run = RunningNode.exit(env, "--dev");
      assertEquals(ConfigOption.INVALID_CONFIGURATION_EXIT, run.code(), env + ":\n" + run.output());
      assertTrue(run.output().contains("herald run --dev: development mode"), env + ":\n" + run.output());
      assertFalse(run.output().contains("is up") || run.output().contains(TestNode.API_KEY), run.output());
    }
  }

  @Test
  void devRefusalNamesEveryReason() {
    assertNull(RunCommand.devRefusal(new HeraldOptions(), null));
    String all = RunCommand.devRefusal(new HeraldOptions()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL))
        .cluster(cluster -> cluster.setCluster(true))
        .auth(auth -> auth.setJwtPublicKey("-----BEGIN PUBLIC KEY-----"))
        .api(api -> api.setApiKey(TestNode.API_KEY)), Path.of("prod.json"));
    for (String reason : List.of("prod.json", "REDIS_URL", "NATS_URL", "CLUSTER", "JWT_PUBLIC_KEY", "HERALD_API_KEY")) {
      assertTrue(all.contains(reason), reason + " not in: " + all);
    }
    assertFalse(all.contains(TestNode.API_KEY), all);
  }

  @Test
  void missingSecretsAllowKnoxOnlyNodesAndOptionalOperatorKeys() {
    assertNull(RunCommand.missingSecrets(new HeraldOptions()
        .auth(auth -> auth.setJwtSecret(TestNode.JWT_SECRET))
        .api(api -> api.setApiKey(TestNode.API_KEY))));
    assertNull(RunCommand.missingSecrets(new HeraldOptions()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .api(api -> api.setApiKey(TestNode.API_KEY))),
        "Knox tokens in Redis authenticate without a JWT key");
    String missing = RunCommand.missingSecrets(new HeraldOptions()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL)));
    assertTrue(missing.contains("api_key") && !missing.contains("jwt_secret"), missing);
  }

  private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** How a {@code herald run} that was expected to refuse ended: its exit code and everything it printed. */
  private record Exited(int code, String output) {
  }

  /** A {@code herald run --port 0} child JVM on loopback, stopped with SIGTERM (then killed if it lingers). */
  private static final class RunningNode implements AutoCloseable {
    final Process process;
    final int port;
    final String pageLine;
    private final BlockingQueue<String> lines;
    private final StringBuilder seen;

    private RunningNode(Process process, int port, String pageLine, BlockingQueue<String> lines, StringBuilder seen) {
      this.process = process;
      this.port = port;
      this.pageLine = pageLine;
      this.lines = lines;
      this.seen = seen;
    }

    /** Everything printed so far: the lines up to the page address and those that followed it. */
    String output() {
      List<String> rest = new ArrayList<>();
      lines.drainTo(rest);
      rest.forEach(line -> seen.append(line).append('\n'));
      return seen.toString();
    }

    private static Process launch(Map<String, String> env, String... args) throws IOException {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), "io.herald.Main", "run", "--port", "0", "--instances", "1"));
      command.addAll(List.of(args));
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      CLEARED_ENV.forEach(builder.environment()::remove);
      builder.environment().put("WEBSOCKET_HOST", "127.0.0.1");
      builder.environment().putAll(env);
      return builder.start();
    }

    /** Runs {@code herald run} to its end (it must exit by itself, within the start bound). */
    static Exited exit(Map<String, String> env, String... args) throws IOException, InterruptedException {
      Process process = launch(env, args);
      // Read concurrently: a full pipe would block the child before it exits.
      CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
        try {
          return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          return "output unreadable: " + e.getMessage();
        }
      });
      if (!process.waitFor(START.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("herald run " + String.join(" ", args) + " did not exit within " + START.toSeconds() + " s");
      }
      return new Exited(process.exitValue(), output.join());
    }

    static RunningNode start(Map<String, String> env, String... args) throws IOException, InterruptedException {
      Process process = launch(env, args);
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
          return new RunningNode(process, Integer.parseInt(page.group(1)), line.trim(), lines, seen);
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
