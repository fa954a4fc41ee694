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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults that clients cause, under a steady JetStream load on the 3-node fleet of {@link FaultFleet} (issue 13): a
 * storm of {@link #STORM} connects right after a node restart.
 * Counted as in {@link FaultsUnderLoadIT}; the figures are in the README, Guarantees, "Faults under load".
 */
class ClientFaultsUnderLoadIT {

  static final int RATE = FaultsUnderLoadIT.RATE;
  static final int USERS = 20;
  static final int STORM = 5000;
  /** Loopback source addresses of the storm (127.0.0.2 and up): 40 clients each, within the per-address limits. */
  static final int STORM_ADDRESSES = 125;
  static final Duration STORM_BOUND = Duration.ofSeconds(240);

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

  @Test
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
    f.stopClients();
  }
}
