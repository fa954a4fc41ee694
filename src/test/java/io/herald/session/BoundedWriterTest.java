package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Addresses;
import io.herald.model.Notification;
import io.herald.protocol.CloseCode;
import io.herald.session.SessionFixture.Client;
import io.herald.session.TestTransport.Closed;
import io.herald.session.TestTransport.Written;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The slow-client rule of {@link BoundedWriter}: while the transport is not writable messages wait in a queue of at most
 * {@code slow_client_max_pending}; an overflow, or {@code slow_client_grace_secs} without becoming writable, closes
 * with 4010; becoming writable again writes what waited, in order.
 */
class BoundedWriterTest {

  private static final String BROADCAST = Addresses.broadcast(SessionFixture.TENANT);

  private SessionFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void messagesWaitWhileTheTransportIsUnwritableAndAreWrittenInOrderWhenItIsWritableAgain() {
    fixture = SessionFixture.start(o -> o.limits().setSlowClientMaxPending(5));
    Client c = fixture.connect("u1");
    c.transport().writable(false);

    fixture.publish(BROADCAST, broadcasts("b1", "b2", "b3"));

    assertEquals(List.of("b1"), messages(c), "the write that found the transport full goes through, the rest wait");
    long graceTimer = fixture.onLoop(() -> c.session().slowTimer);
    assertTrue(graceTimer != Session.NO_TIMER, "the grace timer runs while messages wait");

    c.transport().writable(true);
    fixture.fireWritable(c);

    assertEquals(List.of("b1", "b2", "b3"), messages(c), "what waited is written, in order");
    assertFalse(fixture.onLoop(() -> fixture.vertx.cancelTimer(graceTimer)), "the grace timer is cancelled");
    fixture.publish(BROADCAST, broadcasts("b4"));
    assertEquals(List.of("b1", "b2", "b3", "b4"), messages(c), "a client that keeps up again is written at once");
    assertEquals(List.of(), c.transport().closes());
  }

  @Test
  void aFlushThatFillsTheTransportAgainLeavesTheRestWaitingAndTheGraceTimerRunning() {
    fixture = SessionFixture.start(o -> o.limits().setSlowClientMaxPending(5));
    Client c = fixture.connect("u1");
    c.transport().writable(false);
    fixture.publish(BROADCAST, broadcasts("b1", "b2", "b3"));
    long graceTimer = fixture.onLoop(() -> c.session().slowTimer);

    c.transport().writableFor(1);
    fixture.fireWritable(c);

    assertEquals(List.of("b1", "b2"), messages(c), "b2 filled the transport again: b3 still waits");
    assertEquals(graceTimer, fixture.onLoop(() -> c.session().slowTimer), "the grace timer still runs");
    fixture.publish(BROADCAST, broadcasts("b4"));
    assertEquals(List.of("b1", "b2"), messages(c), "b4 waits behind b3");

    c.transport().writable(true);
    fixture.fireWritable(c);
    assertEquals(List.of("b1", "b2", "b3", "b4"), messages(c));
    assertFalse(fixture.onLoop(() -> fixture.vertx.cancelTimer(graceTimer)), "the grace timer is cancelled");
  }

  @Test
  void moreWaitingMessagesThanSlowClientMaxPendingCloseWith4010() {
    fixture = SessionFixture.start(o -> o.limits().setSlowClientMaxPending(3));
    Client c = fixture.connect("u1");
    c.transport().writable(false);

    fixture.publish(BROADCAST, broadcasts("b1", "b2", "b3", "b4"));
    assertEquals(List.of("b1"), messages(c));
    assertEquals(List.of(), c.transport().closes(), "b1 written, b2..b4 wait: the queue is full, not over");
    fixture.publish(BROADCAST, broadcasts("b5"));
    fixture.onLoop(() -> null);

    List<Closed> closes = c.transport().closes();
    assertEquals(List.of(CloseCode.SLOW_CLIENT), closes.stream().map(Closed::code).toList(),
        "closed by the overflow itself (the grace timer is far off)");
    assertEquals(List.of("b1"), messages(c));
    assertNull(fixture.onLoop(() -> fixture.core.lifecycle().get(c.session().id())), "released");
    c.transport().writable(true);
    fixture.fireWritable(c);
    assertEquals(List.of("b1"), messages(c), "what waited is dropped with the session");
  }

  @Test
  void aTransportUnwritableForSlowClientGraceSecsClosesWith4010() {
    fixture = SessionFixture.start(o -> o.limits().setSlowClientGraceSecs(1));
    Client c = fixture.connect("u1");
    c.transport().writable(false);
    long fellBehindAt = System.currentTimeMillis();

    fixture.publish(BROADCAST, broadcasts("b1"));

    Closed closed = c.transport().awaitClose(Duration.ofSeconds(3));
    assertEquals(CloseCode.SLOW_CLIENT, closed.code());
    assertTrue(closed.atMillis() - fellBehindAt >= 1000 - 20, "closed before slow_client_grace_secs");
  }

  @Test
  void aReplayLongerThanTheBoundWaitsForAClientCatchingUpWhileLiveMessagesStillHaveTheBound() {
    fixture = SessionFixture.start(o -> o.limits().setSlowClientMaxPending(3));
    Notification first = fixture.appendToHistory("u1", "m1");
    for (int i = 2; i <= 8; i++) {
      fixture.appendToHistory("u1", "m" + i);
    }
    Client c = fixture.open();
    c.transport().writable(false);

    SessionFixture.get(fixture.authenticate(c, fixture.token("u1"), new ResumePosition(first.epoch(), 0)),
        "the resume");

    assertEquals(List.of(), c.transport().closes(), "8 replayed frames wait past the bound of 3");
    c.transport().writable(true);
    fixture.fireWritable(c);
    assertEquals(List.of("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8"), messages(c), "the replay, in order");

    c.transport().writable(false);
    fixture.publish(BROADCAST, broadcasts("b1", "b2", "b3", "b4", "b5"));
    assertEquals(CloseCode.SLOW_CLIENT, c.transport().awaitClose(SessionFixture.WAIT).code(),
        "live messages past the bound close the client as slow");
  }

  private static Notification[] broadcasts(String... messages) {
    Notification[] out = new Notification[messages.length];
    for (int i = 0; i < messages.length; i++) {
      out[i] = SessionFixture.broadcast(messages[i]);
    }
    return out;
  }

  /** The messages of the notifications written so far (after a round trip on the event loop). */
  private List<String> messages(Client c) {
    fixture.onLoop(() -> null);
    return c.transport().writes("Notification").stream().map(Written::json).map(j -> j.getString("message")).toList();
  }
}
