package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.herald.testkit.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The raw forwarder baseline of scripts/bench (src/test/forwarder, Node.js) driven by the bench's own client: a
 * tiny run of each scenario it serves through NATS loses nothing, its PID gives the server figures, and a token not
 * signed with its JWT_SECRET is refused. Fails (never skips) when Node.js or the forwarder's packages are missing:
 * scripts/test installs them.
 */
class ForwarderBaselineIT {

  private static final Path DIR = Path.of("src/test/forwarder");
  private static final Pattern LISTENING = Pattern.compile("forwarder listening on (\\d+)");
  private static final String SUBJECT = "bench.forwarder-it." + UUID.randomUUID();

  private static Process forwarder;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    for (String module : List.of("ws", "nats")) {
      if (!Files.isDirectory(DIR.resolve("node_modules").resolve(module))) {
        fail(module + " is not installed in " + DIR + ": run scripts/test, or (cd " + DIR + " && npm ci)");
      }
    }
    Path log = Path.of("target/forwarder-it.log");
    Files.createDirectories(log.getParent());
    ProcessBuilder builder = new ProcessBuilder("node", "forwarder.mjs").directory(DIR.toFile()).redirectError(log.toFile());
    builder.environment().put("WEBSOCKET_HOST", "127.0.0.1");
    builder.environment().put("WEBSOCKET_PORT", "0");
    builder.environment().put("NATS_URL", TestNode.NATS_URL);
    builder.environment().put("NATS_SUBJECT", SUBJECT);
    builder.environment().put("JWT_SECRET", TestNode.JWT_SECRET);
    try {
      forwarder = builder.start();
    } catch (IOException e) {
      fail("Node.js is missing: run scripts/test (it installs nodejs and npm)");
    }
    CompletableFuture<Integer> listening = new CompletableFuture<>();
    Thread reader = new Thread(() -> readPort(listening), "forwarder-stdout");
    reader.setDaemon(true);
    reader.start();
    port = listening.get(30, TimeUnit.SECONDS);
  }

  private static void readPort(CompletableFuture<Integer> listening) {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(forwarder.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          listening.complete(Integer.parseInt(m.group(1)));
        }
      }
    } catch (IOException e) {
      listening.completeExceptionally(e);
    }
    listening.completeExceptionally(new IllegalStateException("the forwarder exited; see target/forwarder-it.log"));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (forwarder != null) {
      forwarder.destroy();
      if (!forwarder.waitFor(5, TimeUnit.SECONDS)) {
        forwarder.destroyForcibly();
      }
    }
  }

  private static BenchConfig config(BenchConfig.Scenario scenario) {
    BenchConfig c = TinyRun.config(port, scenario);
    c.ingress = BenchConfig.Ingress.NATS;
    c.natsUrl = TestNode.NATS_URL;
    c.natsSubject = SUBJECT;
    c.serverPids = List.of(forwarder.pid());
    return c;
  }

  @ParameterizedTest
  @EnumSource(value = BenchConfig.Scenario.class, names = {"USER", "BROADCAST", "TOPIC"})
  void eachScenarioThroughTheForwarderLosesNothing(BenchConfig.Scenario scenario) throws Exception {
    JsonObject j = new BenchRunner(config(scenario), s -> { }).run().json();
    assertEquals(20, j.getJsonObject("connect").getInteger("connected"), j.encode());
    assertTrue(j.getLong("sent") > 0, j.encode());
    assertEquals(j.getLong("expected"), j.getLong("delivered"), j.encode());
    assertEquals(0L, j.getLong("lost"), j.encode());
    assertEquals(0L, j.getLong("duplicated"), j.encode());
    assertEquals(0L, j.getLong("misdelivered"), j.encode());
    assertEquals(0L, j.getLong("unexpected_closes"), j.encode());
    // The forwarder's own CPU, read from /proc as for a node.
    assertTrue(j.getJsonObject("server").containsKey("cpu_us_per_delivery"), j.encode());
  }

  @Test
  void aTokenNotSignedWithItsSecretIsRefused() throws Exception {
    BenchConfig c = config(BenchConfig.Scenario.CONNECT);
    c.jwtSecret = "another-secret-0123456789-another-secret";
    c.serverPids = List.of(); // a connect run reads a JVM's live heap (jcmd): none here
    JsonObject j = new BenchRunner(c, s -> { }).run().json();
    assertEquals(0, j.getJsonObject("connect").getInteger("connected"), j.encode());
    assertEquals(20L, j.getJsonObject("connect").getLong("failed"), j.encode());
  }
}
