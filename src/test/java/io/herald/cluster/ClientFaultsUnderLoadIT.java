package io.herald.cluster;

import static io.herald.cluster.FaultFleet.log;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.Await;
import io.herald.testkit.DeliveryLedger;
import io.herald.testkit.ResumingClient;
import io.herald.testkit.SteadyPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Faults that clients cause, under a steady JetStream load on the 3-node fleet of {@link FaultFleet} (issue 13): a
 * storm of {@link #STORM} connects right after a node restart, and one client that stops reading among fast ones.
 * Counted as in {@link FaultsUnderLoadIT}; the figures are in the README, Guarantees, "Faults under load".
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClientFaultsUnderLoadIT {

  static final int RATE = FaultsUnderLoadIT.RATE;
  static final int USERS = 20;
  static final int STORM = 5000;
  /** Loopback source addresses of the storm (127.0.0.2 and up): 40 clients each, within the per-address limits. */
  static final int STORM_ADDRESSES = 125;
  static final Duration STORM_BOUND = Duration.ofSeconds(240);
  /**
   * Notifications/s to the client that stops reading, each with a message of {@link #SLOW_MESSAGE_BYTES} (the ingress
   * takes up to 4,096 characters): about 0.4 MB/s, so that the node's write queue and the kernel's socket buffers
   * (autotuned up to 4 MB here) fill within about 10 s.
   */
  static final int SLOW_RATE = 100;
  static final int SLOW_MESSAGE_BYTES = 4000;
  /**
   * How long the slow client's notifications are published: it misses more than slow_client_max_pending (1,024)
   * frames, which its resume's replay writes past that bound.
   */
  static final Duration SLOW_LOAD = Duration.ofSeconds(25);

  private static FaultFleet f;

  @BeforeAll
  @Timeout(240)
  static void startFleet() throws Exception {
    // History (default 100 per stream): enough for what a storm client misses between its refusals and its resume.
    f = new FaultFleet("client-faults", Map.of("HISTORY_SIZE", "5000"));
  }

  @AfterAll
  @Timeout(180)
  static void stopFleet() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  @AfterEach
  void stopClients() {
    f.stopClients();
  }

  @Test
  @Order(2)
  @Timeout(420)
  void aStormOfConnectsAfterANodeRestartAuthenticatesEveryoneAndLosesNothing() {
    String run = "storm-" + f.unique;
    DeliveryLedger ledger = new DeliveryLedger(run, 200_000);
    List<ResumingClient> steady = f.connectUsers(run + "-steady", USERS, ledger);
    Duration length = Duration.ofSeconds(60);
    SteadyPublisher load = new SteadyPublisher(ledger, steady.stream().map(ResumingClient::user).toList(),
        f.jetStreamSend(64), RATE, 2000, length).start();
    long start = System.nanoTime();
    f.fleet.kill(3);
    f.fleet.restart(3);
    long stormAt = System.nanoTime();
    List<ResumingClient> storm = new ArrayList<>();
    for (int a = 0; a < STORM_ADDRESSES; a++) {
      int first = a * (STORM / STORM_ADDRESSES);
      List<String> users = IntStream.range(first, first + STORM / STORM_ADDRESSES).mapToObj(i -> run + "-storm-" + i)
          .collect(Collectors.toList());
      storm.addAll(f.startFrom("127.0.0." + (2 + a), users, ledger));
    }
    long startedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stormAt);
    Await.until(() -> storm.stream().allMatch(c -> c.authentications() > 0), STORM_BOUND,
        STORM + " storm clients authenticated");
    long allInMs = TimeUnit.NANOSECONDS.toMillis(storm.stream().mapToLong(ResumingClient::firstAuthenticatedAt).max()
        .orElseThrow() - stormAt);
    int refused = storm.stream().mapToInt(ResumingClient::refusedConnects).sum();
    List<Integer> closes = storm.stream().flatMap(c -> c.closeCodes().stream()).distinct().toList();
    // One notification to each storm client, through the same ingress, counted like the steady ones.
    SteadyPublisher toStorm = new SteadyPublisher(ledger, storm.stream().map(ResumingClient::user).toList(),
        f.jetStreamSend(64), RATE, 2000, Duration.ofMillis(STORM * 1000L / RATE + 1000)).start();
    toStorm.await(Duration.ofSeconds(120));
    load.await(length.plus(Duration.ofSeconds(90)));
    FaultFleet.awaitDelivered(ledger, Duration.ofSeconds(90));

    Set<String> affected = FaultFleet.affected(steady);
    DeliveryLedger.Report report = ledger.report(stormAt, affected);
    log("ClientFaultsUnderLoadIT", "storm: %d connects started in %d ms after the restart, all authenticated after %d ms;"
        + " %d upgrades refused and retried, closes %s; %d of %d steady clients reconnected; %s", STORM, startedMs,
        allInMs, refused, closes, affected.size(), USERS, report);
    log("ClientFaultsUnderLoadIT", "storm: latency p50/max ms by second of publish: %s", ledger.timeline(start));
    assertEquals(0, report.lost(), "lost " + report.lostIds());
    assertEquals(0, report.duplicated(), "shown twice " + report.duplicatedIds());
    assertTrue(toStorm.published() >= STORM, "every storm client was sent one: " + toStorm.published());
  }

  @Test
  @Order(1)
  @Timeout(240)
  void aClientThatStopsReadingIsClosedAsSlowWithoutHoldingTheOthersAndGetsWhatItMissedOnResume() {
    String run = "slow-" + f.unique;
    DeliveryLedger ledger = new DeliveryLedger(run, 50_000);
    List<ResumingClient> fast = f.connectUsers(run + "-fast", USERS, ledger);
    ResumingClient slow = f.connectSlowReader(1, run + "-stalled", ledger);
    double slowClosesBefore = f.serverCloses(4010);
    Duration length = Duration.ofSeconds(30);
    SteadyPublisher load = new SteadyPublisher(ledger, fast.stream().map(ResumingClient::user).toList(),
        f.jetStreamSend(64), RATE, 2000, length).start();
    long stalledAt = System.nanoTime();
    slow.pauseReads();
    SteadyPublisher toSlow = new SteadyPublisher(ledger, List.of(slow.user()), f.jetStreamSend(SLOW_MESSAGE_BYTES),
        SLOW_RATE, 2000, SLOW_LOAD).start();

    Await.until(() -> f.serverCloses(4010) > slowClosesBefore, Duration.ofSeconds(60),
        "the node closes the client that stopped reading with 4010");
    long closedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stalledAt);
    // The device reads again: what its socket held, then the close, then it resumes from its highest offset.
    slow.resumeReads();
    toSlow.await(SLOW_LOAD.plus(Duration.ofSeconds(60)));
    load.await(length.plus(Duration.ofSeconds(90)));
    FaultFleet.awaitDelivered(ledger, Duration.ofSeconds(90));

    // Unaffected: the fast clients whose connection stayed up; the stalled one's notifications waited for it.
    Set<String> affected = new HashSet<>(FaultFleet.affected(fast));
    affected.add(slow.user());
    DeliveryLedger.Report report = ledger.report(stalledAt, affected);
    log("ClientFaultsUnderLoadIT", "slow reader: closed as slow %d ms after it stopped reading; resumed from %s;"
        + " %d of %d fast clients reconnected; %s", closedMs, slow.resumedFrom(), FaultFleet.affected(fast).size(),
        USERS, report);
    log("ClientFaultsUnderLoadIT", "slow reader: latency p50/max ms by second of publish: %s",
        ledger.timeline(stalledAt));
    assertTrue(slow.authentications() >= 2, "the slow client resumed after its close");
    assertEquals(0, report.lost(), "lost " + report.lostIds());
    assertEquals(0, report.duplicated(), "shown twice " + report.duplicatedIds());
    assertTrue(FaultFleet.affected(fast).isEmpty(), "no fast client was closed: " + FaultFleet.affected(fast));
    // Held behind the stalled client, the fast ones would have waited for its close.
    assertTrue(report.p99UnaffectedMs() < closedMs, "fast clients' p99 " + report.p99UnaffectedMs()
        + " ms, the stalled client closed after " + closedMs + " ms");
    assertTrue(toSlow.published() >= SLOW_RATE * SLOW_LOAD.toSeconds() * 9 / 10, "published " + toSlow.published());
  }
}
