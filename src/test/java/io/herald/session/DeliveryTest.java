package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Addresses;
import io.herald.model.Notification;
import io.herald.model.Priority;
import io.herald.session.SessionFixture.Client;
import io.herald.session.TestTransport.Written;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Live delivery of the user stream ({@link Delivery} with the session's {@link StreamSequencer}): notifications
 * that arrive out of order are written in offset order; a gap that does not fill within
 * {@link StreamSequencer#MAX_WAIT_MS} is read from history ({@link StreamGapFill}) — again after a failed read —
 * or given up when history does not have it, and the late one is then still written. The position check of the
 * heartbeat sweep writes what a stream's tail misses ({@code position_check}).
 */
class DeliveryTest {

  private static final String USER_ADDRESS = Addresses.user(SessionFixture.TENANT, "u1");

  private SessionFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void userStreamNotificationsArrivingOutOfOrderAreWrittenInOffsetOrder() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToHistory("u1", "n1");
    Client c = fixture.connect("u1");
    Notification n2 = fixture.appendForUser("u1", "n2");
    Notification n3 = fixture.appendForUser("u1", "n3");
    Notification n4 = fixture.appendForUser("u1", "n4");

    List<Long> whileTheGapIsOpen = fixture.onLoopThen(() -> fixture.publishNow(USER_ADDRESS, n3, n4), () -> {
      List<Long> seen = c.transport().writes("Notification").stream().map(Written::offset).toList();
      fixture.publishNow(USER_ADDRESS, n2);
      return seen;
    });

    assertEquals(List.of(), whileTheGapIsOpen, "3 and 4 wait for 2");
    assertEquals(List.of(2L, 3L, 4L), offsets(c));
  }

  @Test
  void aGapNotFilledWithinMaxWaitIsReadFromHistoryAndWrittenInOrderAndItsLateCopyDropped() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToHistory("u1", "n1");
    Client c = fixture.connect("u1");
    // Recorded, and its publish lost or late (the node that recorded it died, or is far behind).
    Notification n2 = fixture.appendForUser("u1", "n2");
    Notification n3 = fixture.appendForUser("u1", "n3");
    Notification n4 = fixture.appendForUser("u1", "n4");
    long publishedAt = System.nanoTime();

    fixture.publish(USER_ADDRESS, n3, n4);

    List<Written> released = c.transport().awaitWrites(w -> w.offset() > 0, 3, SessionFixture.WAIT);
    assertEquals(List.of(2L, 3L, 4L), released.stream().map(Written::offset).toList(), "2 read from history, in order");
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(released.get(0).atNanos() - publishedAt);
    assertTrue(waitedMs >= StreamSequencer.MAX_WAIT_MS, "read after " + waitedMs + " ms only");
    fixture.publish(USER_ADDRESS, n2, fixture.appendForUser("u1", "n5"));
    assertEquals(List.of(2L, 3L, 4L, 5L), offsets(c), "the late copy of 2 is dropped, 5 written at once");
  }

  @Test
  void broadcastNotificationsArrivingOutOfOrderAreWrittenInOffsetOrderAndAGapIsReadFromHistory() {
    fixture = SessionFixture.start(o -> { });
    Client c = fixture.connect("u1");
    String broadcast = Addresses.broadcast(SessionFixture.TENANT);
    Notification b1 = fixture.appendToBroadcast("b1", Priority.MEDIUM);
    Notification b2 = fixture.appendToBroadcast("b2", Priority.MEDIUM);
    Notification b3 = fixture.appendToBroadcast("b3", Priority.MEDIUM);
    Notification b4 = fixture.appendToBroadcast("b4", Priority.MEDIUM);
    Notification b5 = fixture.appendToBroadcast("b5", Priority.MEDIUM);

    // Two nodes published 2 and 3: 3 overtook 2.
    List<Long> whileTheGapIsOpen = fixture.onLoopThen(() -> fixture.publishNow(broadcast, b1, b3), () -> {
      List<Long> seen = c.transport().writes("Notification").stream().map(Written::offset).toList();
      fixture.publishNow(broadcast, b2);
      return seen;
    });
    assertEquals(List.of(1L), whileTheGapIsOpen, "3 waits for 2");
    assertEquals(List.of(1L, 2L, 3L), offsets(c));

    // 4's publish is lost (its node died after recording it): 5 waits, then 4 is read from history.
    fixture.publish(broadcast, b5);
    List<Written> released = c.transport().awaitWrites(w -> w.offset() > 3, 2, SessionFixture.WAIT);
    assertEquals(List.of(4L, 5L), released.stream().map(Written::offset).toList(), "4 read from history, in order");
    fixture.publish(broadcast, b4);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), offsets(c), "the late copy of 4 dropped");
  }

  @Test
  void aGapHistoryDoesNotHaveIsGivenUpAndTheLateNotificationStillWritten() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToHistory("u1", "n1");
    Client c = fixture.connect("u1");
    Notification n2 = fixture.appendForUser("u1", "n2");
    fixture.publish(USER_ADDRESS, n2);
    // Positions history never had (as if expired): 4 waits for 3, which no read can bring.
    Notification n4 = Notification.builder().id("not-in-history-4").target(n2.target()).message("n4").build()
        .withPosition(n2.epoch(), 4);
    Notification n3 = Notification.builder().id("not-in-history-3").target(n2.target()).message("n3").build()
        .withPosition(n2.epoch(), 3);

    fixture.publish(USER_ADDRESS, n4);

    c.transport().awaitWrites(w -> w.offset() == 4, 1, SessionFixture.WAIT);
    fixture.publish(USER_ADDRESS, n3);
    assertEquals(List.of(2L, 4L, 3L), offsets(c), "the gap given up, the late one still written");
  }

  @Test
  void aNotificationPublishedTwiceBehindTheStreamsStartIsWrittenOnce() {
    fixture = SessionFixture.start(o -> { });
    // Queued while the user had no session: the session's start takes the queue and publishes n1 and n2.
    Notification n1 = fixture.appendForUser("u1", "n1");
    Notification n2 = fixture.appendForUser("u1", "n2");
    Client c = fixture.connect("u1");
    c.transport().awaitWrites(w -> w.offset() > 0, 2, SessionFixture.WAIT);
    // The ingress's own live publish of the same notifications, arriving after the take's.
    fixture.publish(USER_ADDRESS, n2, n1);
    Notification n3 = fixture.appendForUser("u1", "n3");
    fixture.publish(USER_ADDRESS, n3);
    assertEquals(List.of(1L, 2L, 3L), offsets(c), "each position once");
  }

  @Test
  void aNotificationPublishedAgainAtItsPositionIsWrittenOnceEvenAfterItsGapWasReadFromHistory() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToHistory("u1", "n1");
    Client c = fixture.connect("u1");
    Notification n2 = fixture.appendForUser("u1", "n2");
    Notification n3 = fixture.appendForUser("u1", "n3");
    fixture.publish(USER_ADDRESS, n2, n3);
    // A JetStream redelivery (or a publisher's retry) published again at the first append's position.
    fixture.publish(USER_ADDRESS, n3, n2);
    Notification n4 = fixture.appendForUser("u1", "n4");
    Notification n5 = fixture.appendForUser("u1", "n5");
    fixture.publish(USER_ADDRESS, n5);
    c.transport().awaitWrites(w -> w.offset() == 5, 1, SessionFixture.WAIT);
    // 4 was read from history when 5 had waited for it: its live copies are dropped like the others.
    fixture.publish(USER_ADDRESS, n4, n4, n5);
    assertEquals(List.of(2L, 3L, 4L, 5L), offsets(c), "each position once, the one read from history included");
  }

  @Test
  void aBroadcastNotificationPublishedAgainIsWrittenOnceByPositionOrElseById() {
    fixture = SessionFixture.start(o -> { });
    Client c = fixture.connect("u1");
    String broadcast = Addresses.broadcast(SessionFixture.TENANT);
    Notification one = SessionFixture.broadcast("one").withPosition("e1", 1);
    Notification two = SessionFixture.broadcast("two").withPosition("e1", 2);
    Notification withoutPosition = SessionFixture.broadcast("three");
    fixture.publish(broadcast, one, two, one, withoutPosition, two, withoutPosition);
    fixture.onLoop(() -> null);
    assertEquals(List.of("one", "two", "three"), c.transport().writes("Notification").stream()
        .map(w -> w.json().getString("message")).toList(), "a position once; without one, an id once");
  }

  @Test
  void aNotificationRecordedAgainAtANewPositionAfterTheStoreLostItsIdsIsWrittenOnce() {
    fixture = SessionFixture.start(o -> { });
    Client c = fixture.connect("u1");
    String user = Addresses.user(SessionFixture.TENANT, "u1");
    Notification first = fixture.appendForUser("u1", "first");
    // The store lost its id index (a Redis restarted without persistence): a redelivery of the same id is appended
    // again, in a new epoch; the next notification follows it there.
    Notification redelivered = first.withPosition("lost-" + first.epoch(), 1);
    Notification second = Notification.builder().id("second-id").target(first.target()).message("second").build()
        .withPosition(redelivered.epoch(), 2);
    fixture.publish(user, first, redelivered, second);
    fixture.onLoop(() -> null);
    assertEquals(List.of("first", "second"), c.transport().writes("Notification").stream()
        .map(w -> w.json().getString("message")).toList(), "the id written once, whatever its position");
  }

  /** The offsets of the notifications written so far (after a round trip on the event loop). */
  @Test
  void aUserNotificationRecordedButNeverPublishedIsWrittenByThePositionCheck() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToHistory("u1", "n1");
    Client c = fixture.connect("u1");
    fixture.publish(USER_ADDRESS, fixture.appendForUser("u1", "n2"));
    // Recorded, and its publish lost with its node: no later notification reveals the gap.
    fixture.appendForUser("u1", "n3");
    assertEquals(List.of(2L), offsets(c));

    sweepEverySlice();

    c.transport().awaitWrites(w -> w.offset() == 3, 1, SessionFixture.WAIT);
    assertEquals(List.of(2L, 3L), offsets(c));
    fixture.publish(USER_ADDRESS, fixture.appendForUser("u1", "n4"));
    assertEquals(List.of(2L, 3L, 4L), offsets(c), "the stream goes on from the checked position");
  }

  @Test
  void aBroadcastRecordedButNeverPublishedIsWrittenByThePositionCheck() {
    fixture = SessionFixture.start(o -> { });
    Client c = fixture.connect("u1");
    String broadcast = Addresses.broadcast(SessionFixture.TENANT);
    fixture.publish(broadcast, fixture.appendToBroadcast("b1", Priority.MEDIUM));
    Notification b2 = fixture.appendToBroadcast("b2", Priority.MEDIUM);

    sweepEverySlice();

    c.transport().awaitWrites(w -> w.offset() == 2, 1, SessionFixture.WAIT);
    fixture.publish(broadcast, b2);
    assertEquals(List.of(1L, 2L), offsets(c), "2 written by the check, its late copy dropped");
  }

  @Test
  void theBroadcastStreamIsCheckedByOneReadOfItsPositionPerSliceAndReadOnlyForTheSessionsBehind() {
    fixture = SessionFixture.start(o -> { });
    Client c1 = fixture.connect("u1");
    Client c2 = fixture.connect("u2");
    String broadcast = Addresses.broadcast(SessionFixture.TENANT);
    fixture.publish(broadcast, fixture.appendToBroadcast("b1", Priority.MEDIUM));
    int reads = fixture.history.reads();
    int positionReads = fixture.history.positionReads();
    boolean sameSlice = SessionLifecycle.sliceOf(c1.session()) == SessionLifecycle.sliceOf(c2.session());

    sweepEverySlice();

    assertEquals(reads + 2, fixture.history.reads(), "the two user streams; the broadcast is up to date");
    assertEquals(positionReads + (sameSlice ? 1 : 2), fixture.history.positionReads(), "one per slice");

    Notification b2 = fixture.appendToBroadcast("b2", Priority.MEDIUM); // recorded, its publish lost
    sweepEverySlice();

    c1.transport().awaitWrites(w -> w.offset() == 2, 1, SessionFixture.WAIT);
    c2.transport().awaitWrites(w -> w.offset() == 2, 1, SessionFixture.WAIT);
    assertEquals(reads + 2 + 2 + 2, fixture.history.reads(), "and then the broadcast of both, behind");
    fixture.publish(broadcast, b2);
    assertEquals(List.of(1L, 2L), offsets(c1));
    assertEquals(List.of(1L, 2L), offsets(c2));
  }

  @Test
  void aFailedGapReadIsTriedAgainRatherThanTheGapGivenUp() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToHistory("u1", "n1");
    Client c = fixture.connect("u1");
    fixture.appendForUser("u1", "n2");
    Notification n3 = fixture.appendForUser("u1", "n3");
    fixture.history.failNextReads(1);
    long publishedAt = System.nanoTime();

    fixture.publish(USER_ADDRESS, n3);

    List<Written> released = c.transport().awaitWrites(w -> w.offset() > 0, 2, SessionFixture.WAIT);
    assertEquals(1, fixture.history.failedReads(), "the first gap read failed");
    assertEquals(List.of(2L, 3L), released.stream().map(Written::offset).toList(), "2 read on the second try");
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(released.get(0).atNanos() - publishedAt);
    assertTrue(waitedMs >= StreamSequencer.MAX_WAIT_MS + Delivery.GAP_READ_RETRY_MS, "read after " + waitedMs + " ms");
  }

  @Test
  void withoutThePositionCheckTheSweepReadsNothing() {
    fixture = SessionFixture.start(o -> o.state(state -> state.setPositionCheck(false)));
    fixture.appendToHistory("u1", "n1");
    Client c = fixture.connect("u1");
    fixture.publish(USER_ADDRESS, fixture.appendForUser("u1", "n2"));
    fixture.appendForUser("u1", "n3");
    int readsBefore = fixture.history.reads();
    int positionReadsBefore = fixture.history.positionReads();

    sweepEverySlice();

    assertEquals(readsBefore, fixture.history.reads(), "no history read");
    assertEquals(positionReadsBefore, fixture.history.positionReads(), "no position read");
    assertEquals(List.of(2L), offsets(c));
  }

  /** One whole heartbeat sweep: every slice, as {@code heartbeat_interval_secs} would. */
  private void sweepEverySlice() {
    fixture.onLoop(() -> {
      for (int i = 0; i < SessionLifecycle.SWEEP_SLICES; i++) {
        fixture.core.lifecycle().sweepSlice();
      }
      return null;
    });
  }

  private List<Long> offsets(Client c) {
    fixture.onLoop(() -> null);
    return c.transport().writes("Notification").stream().map(Written::offset).toList();
  }
}
