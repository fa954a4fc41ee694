package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.auth.AuthenticatedUser;
import io.herald.model.Addresses;
import io.herald.model.Notification;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.session.SessionFixture.Client;
import io.herald.session.TestTransport.Closed;
import io.herald.session.TestTransport.Written;
import io.herald.testkit.Await;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules {@link SessionLifecycle} owns, through a {@link TestTransport}: the auth timeout, token expiry, the
 * message rate limit, the topic change budget, release (admission given back, timers cancelled) and drain.
 */
class SessionLifecycleTest {

  /** Timers never fire early; this absorbs the millisecond rounding of wall-clock delays. */
  private static final long TIMER_SLACK_MS = 20;

  private SessionFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void aSessionNotAuthenticatedWithinAuthTimeoutIsClosedWith4008AndReleased() {
    fixture = SessionFixture.start(o -> o.auth().setAuthTimeoutSecs(1));
    long openedAt = System.currentTimeMillis();
    Client c = fixture.open();
    assertEquals(1, fixture.unauthenticatedConnections(), "the open session holds an unauthenticated slot");

    Closed closed = c.transport().awaitClose(Duration.ofSeconds(3));

    assertEquals(CloseCode.AUTH_TIMEOUT, closed.code());
    assertTrue(closed.atMillis() - openedAt >= 1000 - TIMER_SLACK_MS, "closed before auth_timeout_secs");
    assertNull(fixture.onLoop(() -> fixture.core.lifecycle().get(c.session().id())), "released once closed");
    assertEquals(0, fixture.unauthenticatedConnections(), "the unauthenticated slot is given back");
  }

  @Test
  void authenticatingCancelsTheAuthTimer() {
    fixture = SessionFixture.start(o -> { });
    Client c = fixture.open();
    long authTimer = fixture.onLoop(() -> c.session().authTimer);

    SessionFixture.get(fixture.authenticate(c, fixture.token("u1"), null), "authentication");

    assertFalse(fixture.onLoop(() -> fixture.vertx.cancelTimer(authTimer)), "the auth timer is still pending");
    assertTrue(fixture.onLoop(() -> c.session().authenticated()));
    assertEquals(0, fixture.unauthenticatedConnections(), "authenticated: the unauthenticated slot is given back");
    assertEquals(List.of(), c.transport().closes());
  }

  @Test
  void anExpiredTokenClosesWith4001AfterTheExpiredCloseDelay() {
    fixture = SessionFixture.start(o -> o.auth().setExpiredCloseDelaySecs(1));
    // JWT expiries are whole seconds: the next one at least 300 ms away.
    Instant expiresAt = Instant.ofEpochSecond(Instant.now().plusMillis(300).getEpochSecond() + 1);
    Client c = fixture.open();
    SessionFixture.get(fixture.authenticate(c, fixture.token("u1", expiresAt), null), "authentication");

    Closed closed = c.transport().awaitClose(Duration.ofSeconds(4));

    assertEquals(CloseCode.TOKEN_INVALID, closed.code());
    assertEquals(ErrorCode.TOKEN_INVALID, closed.error());
    assertTrue(closed.atMillis() >= expiresAt.toEpochMilli() + 1000 - TIMER_SLACK_MS,
        "closed " + (expiresAt.toEpochMilli() + 1000 - closed.atMillis()) + " ms before exp + expired_close_delay_secs");
    List<Written> writes = c.transport().writes();
    Written last = writes.get(writes.size() - 1);
    assertEquals("Error", last.type(), "the client is told before the close");
    assertEquals("token_invalid", last.json().getString("code"));
    assertEquals("token expired", last.json().getString("message"));
  }

  @Test
  void refusalsUpToTheRateLimitBurstAnswerAnErrorAndKeepTheSession() {
    fixture = SessionFixture.start(o -> o.limits().setRateLimitPerSec(1).setRateLimitBurst(3));
    Client c = fixture.connect("u1");

    List<Boolean> admitted = admitMessages(c.session(), 6);

    assertEquals(List.of(true, true, true, false, false, false), admitted, "the burst, then refusals");
    List<Written> errors = c.transport().writes("Error");
    assertEquals(3, errors.size(), "one Error per refusal");
    errors.forEach(e -> assertEquals("rate_limited", e.json().getString("code")));
    assertEquals("more than 1 messages per second", errors.get(0).json().getString("message"));
    assertEquals(List.of(), c.transport().closes(), "as many refusals in a row as the burst do not close");
  }

  @Test
  void moreRefusalsInARowThanTheRateLimitBurstCloseWith4029() {
    fixture = SessionFixture.start(o -> o.limits().setRateLimitPerSec(1).setRateLimitBurst(3));
    Client c = fixture.connect("u1");

    List<Boolean> admitted = admitMessages(c.session(), 7);

    assertEquals(List.of(true, true, true, false, false, false, false), admitted);
    Closed closed = c.transport().awaitClose(SessionFixture.WAIT);
    assertEquals(CloseCode.LIMIT_EXCEEDED, closed.code());
    assertEquals(ErrorCode.RATE_LIMITED, closed.error());
    List<Written> errors = c.transport().writes("Error");
    assertEquals("persistent rate limit excess", errors.get(errors.size() - 1).json().getString("message"));
    assertEquals(1, c.transport().closes().size(), "closed once");
  }

  @Test
  void aTopicChangeRequestOverTheBudgetIsRefusedWholeWithAnError() {
    fixture = SessionFixture.start(o -> {
      o.access().setTopicChangesPerSec(1).setTopicChangesBurst(2);
      o.limits().setRateLimitBurst(2);
    });
    Client c = fixture.connect("u1");

    List<Boolean> admitted = fixture.onLoop(() -> List.of(
        fixture.core.lifecycle().admitTopicChanges(c.session(), 3),
        fixture.core.lifecycle().admitTopicChanges(c.session(), 2),
        fixture.core.lifecycle().admitTopicChanges(c.session(), 1)));

    assertEquals(List.of(false, true, false), admitted,
        "3 changes exceed the burst of 2 and take nothing: 2 then fit, and a 3rd does not");
    List<Written> errors = c.transport().writes("Error");
    assertEquals(2, errors.size());
    errors.forEach(e -> assertEquals("rate_limited", e.json().getString("code")));
    assertTrue(errors.get(0).json().getString("message").endsWith("nothing was changed"));
    assertEquals(List.of(), c.transport().closes());
  }

  @Test
  void moreTopicBudgetRefusalsInARowThanTheRateLimitBurstCloseWith4029() {
    fixture = SessionFixture.start(o -> {
      o.access().setTopicChangesPerSec(1).setTopicChangesBurst(1);
      o.limits().setRateLimitBurst(2);
    });
    Client c = fixture.connect("u1");

    List<Boolean> admitted = fixture.onLoop(() -> {
      List<Boolean> out = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        out.add(fixture.core.lifecycle().admitTopicChanges(c.session(), 2));
      }
      return out;
    });

    assertEquals(List.of(false, false, false), admitted);
    Closed closed = c.transport().awaitClose(SessionFixture.WAIT);
    assertEquals(CloseCode.LIMIT_EXCEEDED, closed.code());
    assertEquals(ErrorCode.RATE_LIMITED, closed.error());
    List<Written> errors = c.transport().writes("Error");
    assertEquals(3, errors.size(), "two refusals, then the persistent excess");
    assertEquals("persistent topic change excess", errors.get(2).json().getString("message"));
  }

  @Test
  void releaseGivesTheAdmissionBack() {
    fixture = SessionFixture.start(o -> { });
    Client c = fixture.connect("u1");
    assertEquals(1, fixture.connectionStats().getInteger("connections"));
    assertEquals(1, count("u1"), "registered in the session store");

    // As the transport's own close handler does when the client goes away.
    fixture.onLoopAwait(() -> fixture.core.lifecycle().release(c.session()));

    assertEquals(0, fixture.connectionStats().getInteger("connections"), "node admission given back");
    assertEquals(0, fixture.connectionStats().getInteger("users"));
    assertEquals(0, count("u1"), "out of the session store");
    assertEquals(0, fixture.onLoop(() -> fixture.core.lifecycle().size()));
    assertEquals(List.of(), c.transport().closes(), "release does not close: the transport already has");
  }

  @Test
  void releaseOfASessionNeverAuthenticatedGivesItsUnauthenticatedSlotBack() {
    fixture = SessionFixture.start(o -> { });
    Client c = fixture.open();
    assertEquals(1, fixture.unauthenticatedConnections());

    fixture.onLoopAwait(() -> fixture.core.lifecycle().release(c.session()));

    assertEquals(0, fixture.unauthenticatedConnections());
  }

  @Test
  void releaseCancelsEveryTimerAndNothingIsWrittenAfterIt() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToHistory("u1", "first");
    Client c = fixture.connect("u1");
    Session s = c.session();
    // A gap in the user stream (its reorder timer) and a transport that stopped reading (its grace timer).
    fixture.appendForUser("u1", "second, never delivered");
    Notification third = fixture.appendForUser("u1", "third");
    long[] timers = fixture.onLoopThen(() -> fixture.publishNow(Addresses.user(SessionFixture.TENANT, "u1"), third), () -> {
      c.transport().writable(false);
      fixture.core.writer().write(s, "{\"type\":\"Frame\"}");
      return new long[] {s.expiryTimer, s.userStream.reorderTimer, s.slowTimer};
    });
    for (long timer : timers) {
      assertTrue(timer != Session.NO_TIMER, "every timer is running before the release");
    }
    int written = c.transport().writes().size();

    fixture.onLoopAwait(() -> fixture.core.lifecycle().release(s));

    for (long timer : timers) {
      assertFalse(fixture.onLoop(() -> fixture.vertx.cancelTimer(timer)), "a timer survived the release");
    }
    c.transport().writable(true);
    fixture.publish(Addresses.broadcast(SessionFixture.TENANT), SessionFixture.broadcast("after release"));
    fixture.onLoop(() -> fixture.core.writer().write(s, "{\"type\":\"Frame\"}"));
    fixture.fireWritable(c);
    assertEquals(written, c.transport().writes().size(), "written (or flushed) after the release");
  }

  @Test
  void drainClosesEverySessionWith1001AndUnregistersEveryConsumer() {
    fixture = SessionFixture.start(o -> { });
    Client u1 = fixture.connect("u1");
    Client u2 = fixture.connect("u2");
    Client unauthenticated = fixture.open();

    List<Future<?>> drained = fixture.onLoop(() -> fixture.core.lifecycle().drain());
    fixture.onLoopAwait(() -> Future.all(drained));

    for (Client c : List.of(u1, u2, unauthenticated)) {
      assertEquals(List.of(CloseCode.SHUTDOWN), c.transport().closes().stream().map(Closed::code).toList());
    }
    assertEquals(0, fixture.onLoop(() -> fixture.core.lifecycle().size()));
    assertFalse(fixture.onLoop(() -> fixture.core.addresses().registered(Addresses.user(SessionFixture.TENANT, "u1"))));
    assertFalse(fixture.onLoop(() -> fixture.core.addresses().registered(Addresses.broadcast(SessionFixture.TENANT))));
    assertEquals(0, fixture.connectionStats().getInteger("connections"));
    assertEquals(0, count("u1") + count("u2"));
    assertEquals(0, fixture.unauthenticatedConnections());
  }

  @Test
  void aSessionOverMaxConnectionsIsClosedAtOnceWith4029() {
    fixture = SessionFixture.start(o -> o.limits().setMaxConnections(1));
    Client first = fixture.open();
    TestTransport second = new TestTransport();

    Session refused = fixture.onLoop(() -> fixture.core.lifecycle().open(second, new Admission.Ticket(), "127.0.0.1", "t"));

    assertNull(refused);
    Closed closed = second.awaitClose(SessionFixture.WAIT);
    assertEquals(CloseCode.LIMIT_EXCEEDED, closed.code());
    assertEquals(ErrorCode.CONNECTION_LIMIT, closed.error());
    assertEquals("connection_limit", second.writes("Error").get(0).json().getString("code"));
    assertEquals(1, fixture.onLoop(() -> fixture.core.lifecycle().size()), "the refused session is released");
    assertEquals(List.of(), first.transport().closes());
  }

  @Test
  void aSessionClosedWhileBeingAdmittedGivesTheAdmissionBack() {
    fixture = SessionFixture.start(o -> { });
    Client c = fixture.open();

    // The admission asks the node registry over the event bus: the client goes away before it answers.
    String token = fixture.token("u1");
    CompletableFuture<SessionLifecycle.Authenticated> authenticated = fixture.onLoopAsync(() -> {
      Future<SessionLifecycle.Authenticated> done = fixture.core.lifecycle().authenticate(c.session(), token, "Test");
      fixture.core.lifecycle().close(c.session(), CloseCode.NORMAL, null, null);
      return done;
    });

    AssertionError failed = assertThrows(AssertionError.class, () -> SessionFixture.get(authenticated, "authentication"));
    assertTrue(failed.getMessage().contains("closed while authenticating"), failed.getMessage());
    assertFalse(fixture.onLoop(() -> c.session().authenticated()));
    assertEquals(0, fixture.connectionStats().getInteger("connections"), "node admission given back");
    assertEquals(0, count("u1"), "out of the session store");
    assertEquals(0, fixture.unauthenticatedConnections());
    assertFalse(fixture.onLoop(() -> fixture.core.addresses().registered(Addresses.user(SessionFixture.TENANT, "u1"))));
  }

  /** Every slice of the sweep once: what one heartbeat interval does. */
  private void sweepRound() {
    for (int i = 0; i < SessionLifecycle.SWEEP_SLICES; i++) {
      fixture.core.lifecycle().sweepSlice();
    }
  }

  @Test
  void theSweepIsSpreadOverTheIntervalAndReachesEverySessionOncePerRound() {
    fixture = SessionFixture.start(o -> { });
    List<Client> clients = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      clients.add(fixture.connect("spread" + i));
    }
    int largestTick = fixture.onLoop(() -> {
      int largest = 0;
      for (int tick = 0; tick < SessionLifecycle.SWEEP_SLICES; tick++) {
        int before = clients.stream().mapToInt(c -> c.transport().pings()).sum();
        fixture.core.lifecycle().sweepSlice();
        largest = Math.max(largest, clients.stream().mapToInt(c -> c.transport().pings()).sum() - before);
      }
      return largest;
    });
    for (Client c : clients) {
      assertEquals(1, c.transport().pings(), "each session once per round");
    }
    assertTrue(largestTick < clients.size(), "no tick sweeps every session: the largest swept " + largestTick);
  }

  @Test
  void theSweepPingsSessionsThatKeepUpOnly() {
    fixture = SessionFixture.start(o -> { });
    Client keepingUp = fixture.connect("u1");
    Client behind = fixture.connect("u2");
    behind.transport().writable(false);
    fixture.onLoop(() -> fixture.core.writer().write(behind.session(), "{\"type\":\"Frame\"}"));

    fixture.onLoop(() -> {
      sweepRound();
      return null;
    });

    assertEquals(1, keepingUp.transport().pings());
    assertEquals(0, behind.transport().pings(), "a ping would only queue behind what waits");
    assertEquals(List.of(), keepingUp.transport().closes(), "active within connection_timeout_secs");
  }

  @Test
  void theSweepClosesSessionsSilentForConnectionTimeoutWith4011() {
    fixture = SessionFixture.start(o -> o.limits().setHeartbeatIntervalSecs(30).setConnectionTimeoutSecs(60));
    Client silent = fixture.connect("u1");
    Client active = fixture.connect("u2");
    fixture.onLoop(() -> {
      // Last heard of 61 s ago (rather than waiting that long).
      silent.session().lastActivityNanos = System.nanoTime() - TimeUnit.SECONDS.toNanos(61);
      sweepRound();
      return null;
    });

    assertEquals(List.of(CloseCode.CONNECTION_TIMEOUT), silent.transport().closes().stream().map(Closed::code).toList());
    assertEquals(0, silent.transport().pings());
    assertEquals(List.of(), active.transport().closes());
    assertEquals(1, active.transport().pings());
  }

  @Test
  void renewingLeavesTheTopicsTheNewProofNoLongerGrantsAndTakesItsExpiry() {
    fixture = SessionFixture.start(o -> o.access().setPublicTopics(List.of("news")));
    Client c = fixture.connect("u1");
    Session s = c.session();
    fixture.onLoopAwait(() -> Future.all(fixture.core.addresses().joinTopic(s, "prices"),
        fixture.core.addresses().joinTopic(s, "news")));
    long oldExpiry = fixture.onLoop(() -> s.expiryTimer);
    AuthenticatedUser fresh = new AuthenticatedUser("u1", SessionFixture.TENANT, List.of(),
        Instant.now().plus(Duration.ofHours(2)), "jwt");

    List<String> revoked = fixture.onLoop(() -> fixture.core.lifecycle().renew(s, fresh, fixture.token("u1")));

    assertEquals(List.of("prices"), revoked, "no longer granted; news is public");
    assertEquals(List.of("news"), fixture.onLoop(() -> List.copyOf(s.topics())));
    assertFalse(fixture.onLoop(() -> fixture.core.addresses().registered(Addresses.topic(SessionFixture.TENANT, "prices"))),
        "a revoked grant stops delivering at once");
    assertFalse(fixture.onLoop(() -> fixture.vertx.cancelTimer(oldExpiry)), "the old token's expiry no longer applies");
    assertTrue(fixture.onLoop(() -> s.expiryTimer != Session.NO_TIMER && s.user() == fresh));
  }

  private List<Boolean> admitMessages(Session s, int count) {
    return fixture.onLoop(() -> {
      List<Boolean> out = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        out.add(fixture.core.lifecycle().admitMessage(s));
      }
      return out;
    });
  }

  private int count(String userId) {
    return Await.result(fixture.state.sessions().count(SessionFixture.TENANT, userId), SessionFixture.WAIT, "count");
  }
}
