package io.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.HeraldOptions;
import io.herald.testkit.TestNode;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A short run of each scenario against a real node (20 connections, about a second each): nothing lost, nothing duplicated. */
class BenchSmokeTest {

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
    BenchConfig c = new BenchConfig();
    c.scenario = scenario;
    c.port = target.port();
    c.connections = 20;
    c.devices = 2;
    c.topics = 4;
    c.topicsPerConnection = 2;
    c.rate = 300;
    c.duration = Duration.ofMillis(600);
    c.drain = Duration.ofSeconds(5);
    c.settle = Duration.ZERO;
    c.jwtSecret = TestNode.JWT_SECRET;
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
    c.sourceAddresses = BenchConfig.loopbackSources(2);
    // The node runs in this JVM: its /proc figures are this process's, enough to check they are read.
    c.serverPid = ProcessHandle.current().pid();
    BenchResult r = new BenchRunner(c, s -> { }).run();
    JsonObject j = r.json();
    assertEquals(20, j.getJsonObject("connect").getInteger("connected"), j.encode());
    assertTrue(j.getJsonObject("connect").getDouble("per_sec") > 0, j.encode());
    assertTrue(j.getJsonObject("server").getLong("rss_idle_kib") > 0, j.encode());
    assertTrue(SvgPlot.render("t", r.series()).startsWith("<svg"));
    assertTrue(r.table().contains("connected"));
  }

  @Test
  void natsAndRedisIngressLoseNothing() throws Exception {
    HeraldOptions options = TestNode.options().setNatsUrl(TestNode.NATS_URL).setRedisUrl(TestNode.REDIS_URL);
    try (TestNode brokered = TestNode.start(options)) {
      BenchConfig nats = config(brokered, BenchConfig.Scenario.MIXED);
      nats.ingress = BenchConfig.Ingress.NATS;
      nats.natsUrl = TestNode.NATS_URL;
      nats.natsSubject = options.getNatsSubject();
      assertClean(new BenchRunner(nats, s -> { }).run());
      BenchConfig redis = config(brokered, BenchConfig.Scenario.MIXED);
      redis.ingress = BenchConfig.Ingress.REDIS;
      redis.redisUrl = TestNode.REDIS_URL;
      redis.redisChannelPrefix = options.getRedisChannelPrefix();
      assertClean(new BenchRunner(redis, s -> { }).run());
    }
  }

  @Test
  void commandParsesItsOptions() {
    assertEquals(0, BenchCommand.parseRate("max", "--rate"));
    assertEquals(Duration.ofMillis(1500), BenchCommand.parseDuration("1.5s", "--duration"));
    assertEquals(Duration.ofMinutes(2), BenchCommand.parseDuration("2m", "--duration"));
    assertEquals(List.of("127.0.0.2", "127.0.0.3", "127.0.0.4"), BenchCommand.parseSources(null, 50_000));
    assertEquals(List.of(), BenchCommand.parseSources(null, 2000));
    assertEquals(List.of("127.0.0.9"), BenchCommand.parseSources("127.0.0.9", 10));
  }
}
