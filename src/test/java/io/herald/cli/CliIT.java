package io.herald.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.Main;
import io.herald.testkit.TestCertificates;
import io.herald.testkit.TestCertificates.Authority;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The {@code herald} command line, in-process through picocli (never {@code Main.main}, which may exit the JVM). */
class CliIT {

  private static final Duration WAIT = Duration.ofSeconds(5);

  /** A node with Redis and NATS, the test JWT secret and API key. */
  private static TestNode node;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestNode.options()
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL))
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL)));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  /** What one {@code herald} invocation printed and returned. */
  record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
  }

  /** Runs {@code herald args...} in-process, capturing System.out/err and picocli's writers, then restores them. */
  private static synchronized Run herald(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream capturedOut = new PrintStream(out, true, StandardCharsets.UTF_8);
    PrintStream capturedErr = new PrintStream(err, true, StandardCharsets.UTF_8);
    System.setOut(capturedOut);
    System.setErr(capturedErr);
    try {
      CommandLine cli = new CommandLine(new Main());
      cli.setOut(new PrintWriter(new OutputStreamWriter(capturedOut, StandardCharsets.UTF_8), true));
      cli.setErr(new PrintWriter(new OutputStreamWriter(capturedErr, StandardCharsets.UTF_8), true));
      int exit = cli.execute(args);
      cli.getOut().flush();
      cli.getErr().flush();
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  private Path conf(String name, JsonObject json) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, json.encodePrettily(), StandardCharsets.UTF_8);
    return file;
  }

  // ---------------------------------------------------------------- help

  @ParameterizedTest(name = "herald {0}")
  @CsvSource({
      "--help,           Usage: herald,         publish",
      "run --help,       Usage: herald run,     --conf",
      "token --help,     Usage: herald token,   --ttl",
      "publish --help,   Usage: herald publish, --message",
  })
  void helpPrintsUsageAndExitsZero(String args, String usage, String option) {
    Run run = herald(args.trim().split(" "));
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.out().contains(usage), run.toString());
    assertTrue(run.out().contains(option), run.toString());
  }

  @Test
  void topLevelHelpListsEverySubcommand() {
    Run run = herald("--help");
    assertEquals(0, run.exit(), run.toString());
    for (String command : new String[] {"run", "token", "publish"}) {
      assertTrue(run.out().matches("(?s).*\\n\\s+" + command + "\\s.*"), "no " + command + " in " + run);
    }
  }

  // ---------------------------------------------------------------- token

  @Test
  void tokenPrintsAJwtTheNodeAccepts() throws IOException {
    Path conf = conf("token.json", new JsonObject().put("jwt_secret", TestNode.JWT_SECRET));
    long now = Instant.now().getEpochSecond();
    Run run = herald("token", "--user", "alice", "--ttl", "2h", "--conf", conf.toString());
    assertEquals(0, run.exit(), run.toString());
    String token = run.out().trim();
    assertEquals(3, token.split("\\.", -1).length, "not a JWT: " + run);

    JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8));
    assertEquals("alice", claims.getString("sub"), claims.encode());
    long exp = claims.getLong("exp");
    assertTrue(Math.abs(exp - (now + 7200)) <= 60, "exp " + exp + " is not ~2 h after " + now);

    try (WsClient client = node.connectWithToken(token, "Dashboard")) {
      client.send(new JsonObject().put("type", "get_status"));
      assertEquals("alice", client.awaitType("Status", WAIT).getString("user_id"));
    }
  }

  @Test
  void tokenWithoutASecretFailsNamingJwtSecret() throws Exception {
    Path conf = conf("empty.json", new JsonObject());
    // A child JVM whose environment has no JWT_SECRET, whatever the environment of the test run.
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.herald.Main", "token", "--user", "alice",
        "--conf", conf.toString());
    builder.environment().remove("JWT_SECRET");
    builder.environment().remove("HERALD_CONF");
    Process process = builder.start();
    assertTrue(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "herald token did not exit");
    String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertNotEquals(0, process.exitValue(), out + err);
    assertTrue(err.contains("jwt_secret"), err);
    assertFalse(out.contains("."), "printed something token-like: " + out);
  }

  // ---------------------------------------------------------------- publish

  @Test
  void publishViaHttpReachesTheUsersClient() throws IOException {
    Path conf = conf("http.json", new JsonObject().put("api_key", TestNode.API_KEY));
    try (WsClient bob = node.connect("cli-bob"); WsClient other = node.connect("cli-other")) {
      Run run = herald("publish", "--user", "cli-bob", "--message", "hi", "--priority", "High", "--via", "http",
          "--url", "http://127.0.0.1:" + node.port(), "--conf", conf.toString());
      assertEquals(0, run.exit(), run.toString());
      JsonObject frame = bob.awaitType("Notification", WAIT);
      assertEquals("hi", frame.getString("message"));
      assertEquals("High", frame.getString("priority"));
      other.assertNoFrame(Duration.ofMillis(200));
    }
  }

  @Test
  void publishViaHttpWithAWrongKeyFails() throws IOException {
    Path conf = conf("wrong-key.json", new JsonObject().put("api_key", "not-the-right-key-0123456789"));
    try (WsClient bob = node.connect("cli-bob-2")) {
      Run run = herald("publish", "--user", "cli-bob-2", "--message", "nope", "--via", "http",
          "--url", "http://127.0.0.1:" + node.port(), "--conf", conf.toString());
      assertNotEquals(0, run.exit(), run.toString());
      assertTrue(run.out().contains("401"), run.toString());
      bob.assertNoFrame(Duration.ofMillis(300));
    }
  }

  @Test
  void publishViaNatsReachesTheUsersClient() throws IOException {
    Path conf = conf("nats.json", new JsonObject()
        .put("nats_url", TestNode.NATS_URL)
        .put("nats_subject", node.nodeOptions().ingress().getNatsSubject()));
    try (WsClient carol = node.connect("cli-carol")) {
      Run run = herald("publish", "--user", "cli-carol", "--message", "via nats", "--priority", "Critical",
          "--via", "nats", "--conf", conf.toString());
      assertEquals(0, run.exit(), run.toString());
      JsonObject frame = carol.awaitType("Notification", WAIT);
      assertEquals("via nats", frame.getString("message"));
      assertEquals("Critical", frame.getString("priority"));
    }
  }

  // ---------------------------------------------------------------- run

  @Test
  void runWithAnInvalidValueExitsTwoNamingTheKey() throws IOException {
    Path conf = conf("bad.json", new JsonObject().put("max_connections", 0));
    Run run = herald("run", "--conf", conf.toString());
    assertEquals(2, run.exit(), run.toString());
    assertTrue(run.err().contains("max_connections"), run.toString());
    assertFalse(run.out().contains("is up"), run.toString());
    assertFalse(RunCommand.isRunning(), "a node was started");
  }

  @Test
  void runDevIsRefusedWithAConfigurationFileOrInACluster() throws IOException {
    Path conf = conf("dev.json", new JsonObject().put("websocket_port", 0));
    for (String[] args : List.of(new String[] {"run", "--dev", "--conf", conf.toString()},
        new String[] {"run", "--dev", "--cluster"})) {
      Run run = herald(args);
      assertEquals(2, run.exit(), run.toString());
      assertTrue(run.err().contains("herald run --dev: development mode runs on embedded defaults"), run.toString());
      assertTrue(run.err().contains(args[2].equals("--conf") ? "dev.json" : "--cluster"), run.toString());
      assertFalse(run.out().contains("is up"), run.toString());
      assertFalse(RunCommand.isRunning(), "a node was started");
    }
    assertTrue(herald("run", "--help").out().contains("--dev"));
  }

  @Test
  void runInAClusterWithAnUnreadableTlsKeyStoreExitsTwoNamingTheVariableNotThePassword() throws Exception {
    Authority ca = TestCertificates.authority("cli-ca");
    Path caFile = ca.writeCertificate(dir.resolve("ca.pem"));
    Path keyStore = ca.issue("cli-node").writePkcs12(dir.resolve("node.p12"), "the-right-password");
    String wrongPassword = "wrong-password-7c1f";
    // A child JVM: the cluster settings come from the environment only.
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.herald.Main", "run", "--cluster", "--port", "0",
        "--conf", conf("cluster.json", new JsonObject().put("websocket_host", "127.0.0.1")).toString());
    builder.environment().keySet().removeIf(k -> k.startsWith("HERALD_CLUSTER_"));
    // Should the check fail to stop it, the node joins nobody else's cluster.
    builder.environment().put("HERALD_CLUSTER_NAME", "herald-cli-test-" + System.nanoTime());
    // Secrets configured: only the key store may stop it.
    builder.environment().put("JWT_SECRET", TestNode.JWT_SECRET);
    builder.environment().put("HERALD_API_KEY", TestNode.API_KEY);
    builder.environment().put("HERALD_CLUSTER_TLS_KEYSTORE", keyStore.toString());
    builder.environment().put("HERALD_CLUSTER_TLS_KEYSTORE_PASSWORD", wrongPassword);
    builder.environment().put("HERALD_CLUSTER_TLS_CA", caFile.toString());
    builder.redirectOutput(dir.resolve("run.out").toFile()).redirectError(dir.resolve("run.err").toFile());
    Process process = builder.start();
    try {
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "herald run did not exit: it started with a bad key store");
    } finally {
      process.destroyForcibly();
    }
    String out = Files.readString(dir.resolve("run.out"));
    String err = Files.readString(dir.resolve("run.err"));
    assertEquals(2, process.exitValue(), out + err);
    assertTrue(err.contains("invalid configuration: HERALD_CLUSTER_TLS_KEYSTORE: " + keyStore), err);
    assertFalse((out + err).contains(wrongPassword), "the password was printed: " + out + err);
  }
}
