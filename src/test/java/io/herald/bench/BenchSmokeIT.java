package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.IntPredicate;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;

/**
 * A short run of each scenario against a real node (20 connections, about a second each, a few seconds for
 * recover): nothing lost, nothing duplicated; and the command's options, charts and server figures end to end.
 */
class BenchSmokeIT {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static BenchConfig config(TestNode target, BenchConfig.Scenario scenario) {
    BenchConfig c = TinyRun.config(target.port(), scenario);
    c.apiKey = TestNode.API_KEY;
    c.clientThreads = 2;
    c.httpConnections = 2;
    return c;
  }

  private static void assertClean(BenchResult r) {
    JsonObject j = r.json();
    assertEquals(20, j.getJsonObject("connect").getInteger("connected"), j.encode());
    assertTrue(j.getLong("sent") > 0, j.encode());
    assertEquals(0L, j.getLong("lost"), j.encode());
    assertEquals(0L, j.getLong("duplicated"), j.encode());
    assertEquals(0L, j.getLong("misdelivered"), j.encode());
    assertEquals(0L, j.getLong("publish_errors"), j.encode());
    assertEquals(j.getLong("expected"), j.getLong("delivered"), j.encode());
    assertTrue(j.getJsonObject("latency_ms").getDouble("p50") > 0, j.encode());
  }

  @ParameterizedTest
  @EnumSource(value = BenchConfig.Scenario.class, names = {"USER", "TOPIC", "BROADCAST", "MIXED"})
  void eachScenarioOverHttpLosesNothing(BenchConfig.Scenario scenario) throws Exception {
    BenchResult r = new BenchRunner(config(node, scenario), s -> { }).run();
    assertClean(r);
    assertEquals(0L, r.json().getLong("unexpected_closes"), r.json().encode());
  }

  @Test
  void connectScenarioReportsTheConnectionRateAndTheServerFigures() throws Exception {
    BenchConfig c = config(node, BenchConfig.Scenario.CONNECT);
    c.hold = Duration.ofMillis(200);
    c.sourceAddresses = "2";
    // The node runs in this JVM: its /proc figures are this process's, enough to check they are read. Given
    // twice, it stands for a two-node fleet: every figure is per process and summed.
    long self = ProcessHandle.current().pid();
    c.serverPids = List.of(self, self);
    BenchResult r = new BenchRunner(c, s -> { }).run();
    JsonObject j = r.json();
    assertEquals(20, j.getJsonObject("connect").getInteger("connected"), j.encode());
    assertTrue(j.getJsonObject("connect").getDouble("per_sec") > 0, j.encode());
    JsonObject server = j.getJsonObject("server");
    assertEquals(List.of(self, self), server.getJsonArray("pids").getList(), j.encode());
    JsonArray processes = server.getJsonArray("processes");
    assertEquals(2, processes.size(), j.encode());
    long idle0 = processes.getJsonObject(0).getLong("rss_idle_kib");
    long idle1 = processes.getJsonObject(1).getLong("rss_idle_kib");
    assertTrue(idle0 > 0 && idle1 > 0, j.encode());
    assertEquals(idle0 + idle1, server.getLong("rss_idle_kib"), j.encode());
    assertTrue(r.table().contains("summed over pids " + self + ", " + self), r.table());
    // The live heap after a full collection, through jcmd, summed over the (two) processes.
    assertTrue(server.getLong("live_heap_idle_kib") > 0, j.encode());
    assertTrue(server.containsKey("live_heap_per_connection_kib"), j.encode());
    assertTrue(r.table().contains("after a full GC"), r.table());
    assertTrue(SvgPlot.render("t", r.series()).startsWith("<svg"));
    assertTrue(r.table().contains("connected"));
  }

  @Test
  void connectRunSpreadOverGeneratorProcessesMergesTheirFigures() throws Exception {
    // Server pings every second; one connection per user: two processes opening the same users would be refused.
    HeraldOptions options = TestNode.options()
        .limits(limits -> limits.setHeartbeatIntervalSecs(1).setMaxConnectionsPerUser(1));
    try (TestNode pinging = TestNode.start(options)) {
      BenchConfig c = config(pinging, BenchConfig.Scenario.CONNECT);
      c.devices = 1;
      c.generatorProcesses = 2;
      c.hold = Duration.ofMillis(2500);
      c.duration = c.hold;
      c.pingEvery = Duration.ofMillis(300);
      c.serverPids = List.of(ProcessHandle.current().pid());
      BenchResult r = new GeneratorProcesses(c, s -> { }).run();
      JsonObject j = r.json();
      assertEquals(20, j.getJsonObject("connect").getInteger("connected"), j.encode());
      assertEquals(0L, j.getJsonObject("connect").getLong("failed"), j.encode());
      assertTrue(j.getJsonObject("connect").getDouble("handshake_p99_ms") > 0, j.encode());
      JsonArray generators = j.getJsonObject("generator").getJsonArray("processes");
      assertEquals(2, generators.size(), j.encode());
      assertEquals(10, generators.getJsonObject(0).getInteger("connected"), j.encode());
      assertEquals(10, generators.getJsonObject(1).getInteger("connected"), j.encode());
      assertEquals(10, generators.getJsonObject(1).getInteger("first_connection"), j.encode());
      assertEquals(List.of("127.0.0.2"), generators.getJsonObject(0).getJsonArray("source_addresses").getList(), j.encode());
      assertEquals(List.of("127.0.0.3"), generators.getJsonObject(1).getJsonArray("source_addresses").getList(), j.encode());
      assertTrue(generators.getJsonObject(0).getLong("pid") != generators.getJsonObject(1).getLong("pid"), j.encode());
      // Two seconds and a half of 1 s server pings: each connection got at least one and answered it (the node closes
      // a connection silent for its timeout; none was closed); its own Pings every 300 ms were answered.
      JsonObject heartbeats = j.getJsonObject("heartbeats");
      assertTrue(heartbeats.getLong("server_pings") >= 20, j.encode());
      assertTrue(heartbeats.getLong("pongs") > 20 && heartbeats.getLong("pongs") <= heartbeats.getLong("client_pings"), j.encode());
      assertEquals(heartbeats.getLong("server_pings"), generators.getJsonObject(0).getJsonObject("heartbeats").getLong("server_pings")
          + generators.getJsonObject(1).getJsonObject("heartbeats").getLong("server_pings"), j.encode());
      assertEquals(0L, j.getLong("unexpected_closes"), j.encode());
      JsonObject server = j.getJsonObject("server");
      assertTrue(server.containsKey("live_heap_per_connection_kib"), j.encode());
      assertTrue(server.getDouble("hold_cpu_cores") > 0, j.encode());
      assertTrue(j.getDouble("phase_seconds") >= 2.5, j.encode());
      assertTrue(r.table().contains("generator 1"), r.table());
      assertTrue(r.table().contains("server pings answered"), r.table());
    }
  }

  @Test
  void natsAndRedisIngressLoseNothing() throws Exception {
    HeraldOptions options = TestNode.options()
        .ingress(ingress -> ingress.setNatsUrl(TestNode.NATS_URL))
        .state(state -> state.setRedisUrl(TestNode.REDIS_URL));
    try (TestNode brokered = TestNode.start(options)) {
      BenchConfig nats = config(brokered, BenchConfig.Scenario.MIXED);
      nats.ingress = BenchConfig.Ingress.NATS;
      nats.natsUrl = TestNode.NATS_URL;
      nats.natsSubject = options.ingress().getNatsSubject();
      assertClean(new BenchRunner(nats, s -> { }).run());
      BenchConfig redis = config(brokered, BenchConfig.Scenario.MIXED);
      redis.ingress = BenchConfig.Ingress.REDIS;
      redis.redisUrl = TestNode.REDIS_URL;
      redis.redisChannelPrefix = options.ingress().getRedisChannelPrefix();
      assertClean(new BenchRunner(redis, s -> { }).run());
    }
  }

  @Test
  void recoverDropsAndResumesClientsWithoutLosingOrDuplicating() throws Exception {
    BenchConfig c = config(node, BenchConfig.Scenario.RECOVER);
    // 20 users at 1000/s: each gets 50/s, so a resume some 20 ms long usually has notifications to replay. One
    // device per user: with several, the live fan-out to a user's other devices can skip a notification while one
    // device's close is under way (a node bug reported with the harness; the recover runs of scripts/bench, with two
    // devices per user, show it as lost).
    c.devices = 1;
    c.rate = 1000;
    c.duration = Duration.ofSeconds(3);
    c.recoverShare = 0.2;
    c.recoverEvery = Duration.ofMillis(250);
    BenchResult r = new BenchRunner(c, s -> { }).run();
    assertClean(r);
    JsonObject j = r.json();
    JsonObject recover = j.getJsonObject("recover");
    assertEquals(4, recover.getInteger("per_period"), j.encode());
    assertTrue(recover.getLong("reconnects") >= 1, j.encode());
    assertEquals(0L, recover.getLong("reconnect_failures"), j.encode());
    assertEquals(0L, recover.getLong("resumes_not_recovered"), j.encode());
    assertTrue(recover.getLong("recovered") >= 1, j.encode());
    assertEquals(recover.getLong("recovered"), j.getLong("recovered"), j.encode());
    assertTrue(recover.getJsonObject("reconnect_ms").getDouble("p50") > 0, j.encode());
    // The client closed those connections itself: none of them is an unexpected close.
    assertEquals(0L, j.getLong("unexpected_closes"), j.encode());
    assertTrue(r.table().contains("recovered by replay"), r.table());
  }

  @Test
  void commandReadsItsOptionsIntoTheConfiguration() {
    BenchCommand command = new BenchCommand();
    new CommandLine(command).parseArgs("--scenario", "RECOVER", "--rate", "max", "--duration", "1.5s", "--hold", "2m",
        "--recover-share", "25%", "--recover-every", "500ms", "--ports", "18201,18202", "--ports", "18203",
        "--server-pid", "11,12", "--server-pid", "13", "--plot", "a.svg", "--plot", "a.png");
    BenchConfig c = command.config;
    assertEquals(BenchConfig.Scenario.RECOVER, c.scenario);
    assertTrue(c.maxRate());
    assertEquals(Duration.ofMillis(1500), c.duration);
    assertEquals(Duration.ofMinutes(2), c.hold);
    assertEquals(0.25, c.recoverShare);
    assertEquals(Duration.ofMillis(500), c.recoverEvery);
    assertEquals(List.of(18201, 18202, 18203), c.targetPorts());
    assertEquals(List.of(11L, 12L, 13L), c.serverPids);
    assertEquals(List.of(Path.of("a.svg"), Path.of("a.png")), command.plots);
    // Defaults are the options' own.
    BenchConfig d = BenchConfig.defaults();
    assertEquals(BenchConfig.Scenario.USER, d.scenario);
    assertEquals(1000, d.rate);
    assertEquals(Duration.ofSeconds(10), d.duration);
    assertEquals(0.10, d.recoverShare);
    assertEquals(Duration.ofSeconds(1), d.recoverEvery);
    assertEquals(List.of(8080), d.targetPorts());
    assertEquals(List.of(), d.serverPids);
    d.connections = 50_000;
    assertEquals(List.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), d.sources());
    d.connections = 2000;
    assertEquals(List.of(), d.sources());
    d.sourceAddresses = "127.0.0.9";
    assertEquals(List.of("127.0.0.9"), d.sources());
    assertThrows(CommandLine.ParameterException.class,
        () -> new CommandLine(new BenchCommand()).parseArgs("--duration", "soon"));
    assertThrows(IllegalArgumentException.class, () -> BenchCommand.chartFormat(Path.of("chart.jpg")));
  }

  @Test
  void plotOptionWritesTheChartAsPngAndSvg(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("run.png");
    Path svg = dir.resolve("run.svg");
    int exit = new CommandLine(new BenchCommand()).execute("--scenario", "user", "--port", String.valueOf(node.port()),
        "--connections", "4", "--rate", "200", "--duration", "1200ms", "--settle", "0s", "--drain", "5s",
        "--jwt-secret", TestNode.JWT_SECRET, "--api-key", TestNode.API_KEY, "--plot", png.toString(), "--plot", svg.toString());
    assertEquals(0, exit);
    BufferedImage image = ImageIO.read(png.toFile());
    assertNotNull(image, "not a decodable image: " + png);
    assertEquals(BenchChart.WIDTH, image.getWidth());
    assertEquals(BenchChart.HEIGHT, image.getHeight());
    // The chart was drawn on the white background: the title's ink in its first rows, the series' colours below.
    assertTrue(hasPixel(image, 0, 40, rgb -> rgb != 0xffffff), "no title drawn");
    assertTrue(hasPixel(image, 40, image.getHeight(), rgb -> rgb == 0xd62728), "no p99 colour drawn");
    assertTrue(hasPixel(image, 40, image.getHeight(), rgb -> rgb == 0xff7f0e), "no delivered colour drawn");
    assertTrue(Files.readString(svg).startsWith("<svg"));
  }

  private static boolean hasPixel(BufferedImage image, int fromY, int toY, IntPredicate test) {
    for (int y = fromY; y < toY; y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if (test.test(image.getRGB(x, y) & 0xffffff)) {
          return true;
        }
      }
    }
    return false;
  }
}
