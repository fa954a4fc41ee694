package io.herald.cluster;

import static io.herald.cluster.FaultFleet.log;
import static io.herald.cluster.FaultFleet.pause;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.Await;
import io.herald.testkit.DeliveryLedger;
import io.herald.testkit.PrivateNats;
import io.herald.testkit.PrivateRedis;
import io.herald.testkit.ResumingClient;
import io.herald.testkit.SteadyPublisher;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Faults of the fleet's own processes under a steady load (issue 13): a node killed with -9, the NATS server
 * restarted, the Redis server restarted, each while a publisher keeps {@link #RATE} unicast notifications a second
 * flowing to {@link #USERS} clients connected through HAProxy that resume after every close. Each test counts
 * exactly (lost 0, duplicated 0) and logs the p99 of the clients whose connection stayed up and the time to
 * recover (see {@link DeliveryLedger#report}). The figures are in the README, Guarantees, "Faults under load".
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsUnderLoadIT {

  /** Notifications a second, fleet-wide: what this 2-core machine sustains with 3 nodes, NATS, Redis and HAProxy. */
  static final int RATE = 300;
  static final int USERS = 30;
  /** Length of each run; the fault comes after {@link #BEFORE_FAULT}. */
  static final Duration RUN = Duration.ofSeconds(15);
  static final Duration BEFORE_FAULT = Duration.ofSeconds(5);
  /** How long every accepted notification may take to arrive once the run is over. */
  static final Duration DELIVERY_BOUND = Duration.ofSeconds(60);

  private static FaultFleet f;

  @BeforeAll
  @Timeout(240)
  static void startFleet() throws Exception {
    f = new FaultFleet("faults", Map.of());
  }

  @AfterAll
  @Timeout(180)
  static void stopFleet() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  @Test
  @Order(1)
  @Timeout(240)
  void killNineOfANodeUnderJetStreamLoadLosesNothingAndShowsNothingTwice() {
    Measured m = underLoad("kill-js", f.jetStreamSend(64), () -> f.fleet.kill(1));
    f.fleet.restart(1);
    m.assertExact();
    assertTrue(m.affected > 0, "some clients were on the killed node: " + m);
  }

  @Test
  @Order(2)
  @Timeout(240)
  void killNineOfANodeUnderRedisPubSubLoadLosesNothingAndShowsNothingTwice() {
    Measured m = underLoad("kill-redis", f.redisSend(), () -> f.fleet.kill(2));
    f.fleet.restart(2);
    m.assertExact();
    assertTrue(m.affected > 0, "some clients were on the killed node: " + m);
  }

  @Test
  @Order(3)
  @Timeout(240)
  void aNatsServerRestartUnderJetStreamLoadLosesNothingAndShowsNothingTwice() {
    Measured m = underLoad("nats-restart", f.jetStreamSend(64), () -> {
      PrivateNats.stop(f.nats);
      pause(Duration.ofSeconds(2)); // the outage itself
      try {
        f.nats = PrivateNats.start(f.natsPort, f.natsStore);
      } catch (IOException e) {
        throw new AssertionError("nats-server did not start again", e);
      }
    });
    m.assertExact();
  }

  @Test
  @Order(4)
  @Timeout(240)
  void aRedisRestartUnderJetStreamLoadLosesNothingAndShowsNothingTwice() {
    Measured m = underLoad("redis-restart", f.jetStreamSend(64), () -> {
      PrivateRedis.stop(f.redis);
      pause(Duration.ofSeconds(2)); // the outage itself
      try {
        f.redis = PrivateRedis.start(f.redisPort);
      } catch (IOException e) {
        throw new AssertionError("redis-server did not start again", e);
      }
    });
    m.assertExact();
  }

  /** Logs, for the first lost notifications, their recorded position and where their client resumed from. */
  private static void explainLost(DeliveryLedger.Report report, List<ResumingClient> clients) {
    for (String id : report.lostIds().subList(0, Math.min(6, report.lostIds().size()))) {
      int index = Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
      String user = clients.get(index % USERS).user();
      String score = String.valueOf(Await.result(f.redisClient.send(Request.cmd(Command.ZSCORE)
          .arg("websocket:history-ids:" + user).arg(id)), Duration.ofSeconds(5), "ZSCORE"));
      ResumingClient c = clients.get(index % USERS);
      log("FaultsUnderLoadIT", "lost %s of %s: recorded at offset %s; client closes %s, resumed from %s", id, user,
          score, c.closeCodes(), c.resumedFrom());
    }
  }

  /** What one run counted. */
  record Measured(String name, DeliveryLedger.Report report, int affected, double rate, int refused) {
    void assertExact() {
      assertEquals(0, report.lost(), name + ": lost " + report.lostIds() + " — " + this);
      assertEquals(0, report.duplicated(), name + ": shown twice " + report.duplicatedIds() + " — " + this);
      assertTrue(report.accepted() > 0, name + ": nothing accepted");
    }
  }

  /**
   * Connects {@link #USERS} fresh users, publishes at {@link #RATE} for {@link #RUN} through {@code send}, runs
   * {@code fault} after {@link #BEFORE_FAULT}, waits until everything accepted has arrived (bounded), and reports.
   */
  static Measured underLoad(String name, SteadyPublisher.Send send, Runnable fault) {
    DeliveryLedger ledger = new DeliveryLedger(name + "-" + f.unique, RATE * (int) RUN.toSeconds() + 1000);
    List<ResumingClient> clients = f.connectUsers(name + "-" + f.unique, USERS, ledger);
    List<String> users = clients.stream().map(ResumingClient::user).collect(Collectors.toList());
    SteadyPublisher publisher = new SteadyPublisher(ledger, users, send, RATE, 2000, RUN);
    long start = System.nanoTime();
    publisher.start();
    pause(BEFORE_FAULT);
    long faultAt = System.nanoTime();
    fault.run();
    long faultDoneMs = (System.nanoTime() - faultAt) / 1_000_000;
    publisher.await(RUN.plus(Duration.ofSeconds(90)));
    FaultFleet.awaitDelivered(ledger, DELIVERY_BOUND);
    Set<String> affected = FaultFleet.affected(clients);
    DeliveryLedger.Report report = ledger.report(faultAt, affected);
    Measured m = new Measured(name, report, affected.size(), publisher.published() / (double) RUN.toSeconds(),
        publisher.refused());
    log("FaultsUnderLoadIT", "%s: %s; %d of %d clients reconnected; %.0f/s published (%d sends retried); "
        + "fault took %d ms; closes %s", name, report, affected.size(), USERS, m.rate(), m.refused(), faultDoneMs,
        clients.stream().flatMap(c -> c.closeCodes().stream()).distinct().collect(Collectors.toList()));
    log("FaultsUnderLoadIT", "%s: latency p50/max ms by second of publish: %s", name, ledger.timeline(start));
    if (report.lost() > 0) {
      explainLost(report, clients);
    }
    f.stopClients();
    return m;
  }
}
