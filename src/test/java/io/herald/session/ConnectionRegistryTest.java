package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.auth.AuthException;
import io.herald.config.ApiOptions;
import io.herald.config.LimitsOptions;
import io.herald.protocol.ErrorCode;
import io.herald.runtime.Metrics;
import io.herald.runtime.NodeInfo;
import io.herald.testkit.Await;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node's connection registry asked from two event loops at once, as two socket verticles ask it: every limit holds
 * exactly (as many admitted as the limit allows, not one more, not one fewer), slots given back are reusable, and every
 * answer comes back on the asking loop.
 */
class ConnectionRegistryTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int PER_LOOP = 300;

  private Vertx vertx;
  private ConnectionRegistry registry;
  private NodeInfo node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close(), WAIT, "vertx closed");
  }

  private void deploy(LimitsOptions limits) {
    registry = new ConnectionRegistry(limits, new ApiOptions());
    node = new NodeInfo("registry-test", Instant.now(), new Metrics());
    Await.result(vertx.deployVerticle(new ConnectionRegistryVerticle(registry, node)), WAIT, "registry deployed");
  }

  /** Limits whose rate of connection attempts no test here reaches: these tests are about the counts. */
  private static LimitsOptions unlimitedAttempts() {
    return new LimitsOptions().setUpgradeRatePerSec(1_000_000).setUpgradeRateBurst(1_000_000);
  }

  /** What one loop's burst of requests got: admitted, refused (with their reasons) and answers off the loop. */
  private record Outcome(int admitted, List<String> refusals, int answeredElsewhere) {
  }

  /**
   * Runs {@code PER_LOOP} requests from each of two event-loop contexts at once (none waits for the one before), and
   * collects what they got.
   */
  private List<Outcome> burstFromTwoLoops(Function<Integer, Future<Void>> request) {
    List<Future<Outcome>> loops = new ArrayList<>();
    for (int loop = 0; loop < 2; loop++) {
      Context context = vertx.getOrCreateContext();
      Promise<Outcome> outcome = Promise.promise();
      int base = loop * PER_LOOP;
      context.runOnContext(v -> {
        List<Future<Void>> answers = new ArrayList<>();
        ConcurrentLinkedQueue<String> refusals = new ConcurrentLinkedQueue<>();
        int[] elsewhere = new int[1];
        for (int i = 0; i < PER_LOOP; i++) {
          answers.add(request.apply(base + i).andThen(done -> {
            if (Vertx.currentContext() != context) {
              elsewhere[0]++;
            }
            if (done.failed()) {
              AuthException refused = (AuthException) done.cause();
              assertSame(ErrorCode.CONNECTION_LIMIT, refused.errorCode());
              refusals.add(refused.getMessage());
            }
          }));
        }
        Future.join(answers).onComplete(all -> outcome.complete(new Outcome(
            (int) answers.stream().filter(Future::succeeded).count(), List.copyOf(refusals), elsewhere[0])));
      });
      loops.add(outcome.future());
    }
    return Await.result(Future.all(loops).map(all -> all.<Outcome>list()), WAIT, "both loops answered");
  }

  /** The refusal the future fails with (it must fail). */
  private static AuthException refusal(Future<Void> answer) {
    Throwable cause = Await.result(answer.transform(done -> Future.succeededFuture(done.cause())), WAIT, "answer");
    assertTrue(cause instanceof AuthException, String.valueOf(cause));
    return (AuthException) cause;
  }

  private double gauge(String name) {
    // Read after a task on the registry's loop: every earlier release has been counted.
    Await.result(vertx.eventBus().request(node.connectionStatsAddress(), null), WAIT, "stats");
    return node.metrics().registry().get(name).gauge().value();
  }

  @Test
  void theUnauthenticatedLimitsHoldExactlyUnderConcurrentRequestsFromTwoLoops() {
    deploy(unlimitedAttempts().setMaxUnauthenticatedConnections(250).setMaxUnauthenticatedPerAddress(100));

    // Two addresses, each asked 300 times (150 from each loop): 100 per address fit.
    List<Outcome> perAddress = burstFromTwoLoops(i -> registry.admitUnauthenticated(vertx, "10.0.0." + (i % 2)));
    assertEquals(200, perAddress.get(0).admitted() + perAddress.get(1).admitted(), perAddress.toString());
    assertEquals(0, perAddress.get(0).answeredElsewhere() + perAddress.get(1).answeredElsewhere());
    assertTrue(perAddress.get(0).refusals().stream().allMatch(r -> r.contains("from one address (100)")));
    assertEquals(200.0, gauge("herald_unauthenticated_connections"));

    // Many addresses: the node's limit (250) takes over, 50 more fit.
    List<Outcome> nodeWide = burstFromTwoLoops(i -> registry.admitUnauthenticated(vertx, "10.1." + i / 200 + "." + i % 200));
    assertEquals(50, nodeWide.get(0).admitted() + nodeWide.get(1).admitted(), nodeWide.toString());
    assertTrue(nodeWide.get(1).refusals().stream().allMatch(r -> r.contains("on this node (250)")));
    assertEquals(250.0, gauge("herald_unauthenticated_connections"));

    // Slots given back (from either loop) are taken again, exactly as many.
    for (int i = 0; i < 100; i++) {
      registry.releaseUnauthenticated("10.0.0.0");
    }
    assertEquals(150.0, gauge("herald_unauthenticated_connections"));
    List<Outcome> again = burstFromTwoLoops(i -> registry.admitUnauthenticated(vertx, "10.0.0.0"));
    assertEquals(100, again.get(0).admitted() + again.get(1).admitted(), again.toString());
    assertEquals(250.0, gauge("herald_unauthenticated_connections"));
  }

  @Test
  void theNodeConnectionLimitHoldsExactlyAndCountsUsers() {
    deploy(unlimitedAttempts().setMaxConnections(450));

    List<Outcome> outcomes = burstFromTwoLoops(i -> registry.admit(vertx, "t", "u" + i, null));
    assertEquals(450, outcomes.get(0).admitted() + outcomes.get(1).admitted(), outcomes.toString());
    assertEquals(150, outcomes.get(0).refusals().size() + outcomes.get(1).refusals().size());
    assertTrue(outcomes.get(0).refusals().stream().allMatch(r -> r.contains("node connection limit reached (450)")));
    assertEquals(0, outcomes.get(0).answeredElsewhere() + outcomes.get(1).answeredElsewhere());
    assertEquals(450.0, gauge("herald_connections"));
    assertEquals(450.0, gauge("herald_connected_users"));

    // Every user released, the 150 refused ones too: those hold nothing and change nothing.
    for (int i = 0; i < 2 * PER_LOOP; i++) {
      registry.release("t", "u" + i);
    }
    assertEquals(0.0, gauge("herald_connections"));
    assertEquals(0.0, gauge("herald_connected_users"));

    // Several connections of one user are one user, until the last is gone.
    for (int i = 0; i < 3; i++) {
      Await.result(registry.admit(vertx, "t", "same", null), WAIT, "admitted");
    }
    registry.release("t", "same");
    assertEquals(2.0, gauge("herald_connections"));
    assertEquals(1.0, gauge("herald_connected_users"));
  }

  @Test
  void anAdmissionGivesBackTheUnauthenticatedSlotInTheSameStepAdmittedOrNot() {
    deploy(unlimitedAttempts().setMaxConnections(1).setMaxUnauthenticatedConnections(2).setMaxUnauthenticatedPerAddress(2));
    Await.result(registry.admitUnauthenticated(vertx, "10.0.0.1"), WAIT, "first unauthenticated");
    Await.result(registry.admitUnauthenticated(vertx, "10.0.0.1"), WAIT, "second unauthenticated");
    AuthException full = refusal(registry.admitUnauthenticated(vertx, "10.0.0.1"));
    assertSame(ErrorCode.CONNECTION_LIMIT, full.errorCode());

    Await.result(registry.admit(vertx, "t", "u1", "10.0.0.1"), WAIT, "first admitted");
    assertEquals(1.0, gauge("herald_unauthenticated_connections"));
    assertEquals(1.0, gauge("herald_connections"));
    // Refused (max_connections 1): the slot is given back all the same, the connection is being closed.
    AuthException refused = refusal(registry.admit(vertx, "t", "u2", "10.0.0.1"));
    assertSame(ErrorCode.CONNECTION_LIMIT, refused.errorCode());
    assertEquals(0.0, gauge("herald_unauthenticated_connections"));
    assertEquals(1.0, gauge("herald_connections"));
    Await.result(registry.admitUnauthenticated(vertx, "10.0.0.1"), WAIT, "a slot free again");
  }
}
