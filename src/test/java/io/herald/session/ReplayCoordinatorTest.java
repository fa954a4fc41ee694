package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Addresses;
import io.herald.model.Notification;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ServerFrames;
import io.herald.session.SessionFixture.Client;
import io.herald.session.TestTransport.Closed;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The start of a user stream ({@link ReplayCoordinator}) as {@code /ws} drives it: live notifications that arrive while
 * the replay is being read wait and follow it, the first message and the replay come first, and live copies of what
 * the replay wrote are dropped; the offline queue, older than the session's baseline, is still delivered.
 */
class ReplayCoordinatorTest {

  private static final String USER_ADDRESS = Addresses.user(SessionFixture.TENANT, "u1");

  private SessionFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void liveNotificationsPublishedWhileTheReplayIsReadWaitAndAreWrittenAfterIt() {
    fixture = SessionFixture.start(o -> { });
    Notification first = fixture.appendToHistory("u1", "n1");
    fixture.appendToHistory("u1", "n2");
    fixture.appendToHistory("u1", "n3");
    Client c = fixture.open();
    CompletableFuture<Void> replayRead = fixture.history.holdReplays();
    CompletableFuture<Void> started = fixture.authenticate(c, fixture.token("u1"),
        new ResumePosition(first.epoch(), 1));
    SessionFixture.get(replayRead, "the replay read");

    // While the replay (n2, n3) is being read: a new notification of the user, and a broadcast.
    fixture.publish(USER_ADDRESS, fixture.appendForUser("u1", "n4"));
    fixture.publish(Addresses.broadcast(SessionFixture.TENANT), SessionFixture.broadcast("b1"));
    fixture.onLoop(() -> null);
    assertEquals(List.of(), c.transport().writes(), "nothing is written before the replay");

    fixture.onLoop(() -> {
      fixture.history.release();
      return null;
    });
    SessionFixture.get(started, "the start of the user stream");

    assertEquals(List.of("Authenticated", "n2", "n3", "n4", "b1"), written(c),
        "the first message, the replay, then what was held, in arrival order");
    assertTrue(c.transport().resumes() >= 1, "reading resumes once the replay is written");
  }

  @Test
  void liveCopiesOfReplayedOffsetsAreDropped() {
    fixture = SessionFixture.start(o -> { });
    Notification first = fixture.appendToHistory("u1", "n1");
    Notification n2 = fixture.appendToHistory("u1", "n2");
    Notification n3 = fixture.appendToHistory("u1", "n3");
    Client c = fixture.open();
    CompletableFuture<Void> replayRead = fixture.history.holdReplays();
    CompletableFuture<Void> started = fixture.authenticate(c, fixture.token("u1"),
        new ResumePosition(first.epoch(), 1));
    SessionFixture.get(replayRead, "the replay read");

    // Live copies of n2 and n3 (their ingress publish, late) arrive while the replay that holds them is read.
    fixture.publish(USER_ADDRESS, n2, n3);
    fixture.onLoop(() -> {
      fixture.history.release();
      return null;
    });
    SessionFixture.get(started, "the start of the user stream");
    // And once more after the replay, then a new one.
    fixture.publish(USER_ADDRESS, n3, fixture.appendForUser("u1", "n4"));

    c.transport().awaitWrites(w -> "n4".equals(w.json().getString("message")), 1, SessionFixture.WAIT);
    assertEquals(List.of("Authenticated", "n2", "n3", "n4"), written(c), "each notification once");
  }

  @Test
  void theOfflineQueueOlderThanTheBaselineIsDeliveredAfterTheStart() {
    fixture = SessionFixture.start(o -> { });
    // Appended while the user had no session: queued as well as kept in its history.
    fixture.appendForUser("u1", "q1");
    fixture.appendForUser("u1", "q2");

    Client c = fixture.connect("u1");

    c.transport().awaitWrites(w -> "Notification".equals(w.type()), 2, SessionFixture.WAIT);
    assertEquals(List.of("Authenticated", "q1", "q2"), written(c),
        "the queue is at or before the baseline: not a copy of anything replayed");
  }

  @Test
  void aResumeWhileConnectedHoldsLiveNotificationsAndDropsCopiesOfWhatItReplays() {
    fixture = SessionFixture.start(o -> { });
    Notification first = fixture.appendToHistory("u1", "n1");
    Client c = fixture.connect("u1");
    // Missed by this client (its connection dropped them, say): it asks for everything after n1.
    fixture.appendToHistory("u1", "n2");
    Notification n3 = fixture.appendToHistory("u1", "n3");
    CompletableFuture<Void> replayRead = fixture.history.holdReplays();
    fixture.onLoop(() -> {
      fixture.core.replay().resume(c.session(), new ResumePosition(first.epoch(), 1), List.of(),
          replay -> new JsonObject().put("type", "Resumed").encode().getBytes(StandardCharsets.UTF_8));
      return null;
    });
    SessionFixture.get(replayRead, "the replay read");

    fixture.publish(USER_ADDRESS, n3, fixture.appendForUser("u1", "n4"));
    assertEquals(List.of("Authenticated"), written(c), "nothing live is written while the replay is read");
    fixture.onLoop(() -> {
      fixture.history.release();
      return null;
    });

    c.transport().awaitWrites(w -> "n4".equals(w.json().getString("message")), 1, SessionFixture.WAIT);
    assertEquals(List.of("Authenticated", "Resumed", "n2", "n3", "n4"), written(c));
  }

  @Test
  void moreLiveNotificationsHeldDuringTheReplayThanSlowClientMaxPendingCloseWith4010() {
    fixture = SessionFixture.start(o -> o.limits().setSlowClientMaxPending(2));
    Notification first = fixture.appendToHistory("u1", "n1");
    Client c = fixture.open();
    CompletableFuture<Void> replayRead = fixture.history.holdReplays();
    CompletableFuture<Void> started = fixture.authenticate(c, fixture.token("u1"), new ResumePosition(first.epoch(), 0));
    SessionFixture.get(replayRead, "the replay read");

    fixture.publish(Addresses.broadcast(SessionFixture.TENANT), SessionFixture.broadcast("b1"),
        SessionFixture.broadcast("b2"));
    assertEquals(List.of(), c.transport().closes(), "as many held as slow_client_max_pending");
    fixture.publish(Addresses.broadcast(SessionFixture.TENANT), SessionFixture.broadcast("b3"));
    fixture.onLoop(() -> null);

    assertEquals(List.of(CloseCode.SLOW_CLIENT), c.transport().closes().stream().map(Closed::code).toList());
    fixture.onLoop(() -> {
      fixture.history.release();
      return null;
    });
    SessionFixture.get(started, "the start of the user stream");
    assertEquals(List.of(), written(c), "nothing is written to a session closed during its replay");
  }

  @Test
  void aUserEventArrivingDuringTheStartIsNotWrittenBeforeTheFirstMessage() {
    fixture = SessionFixture.start(o -> { });
    Notification first = fixture.appendToHistory("u1", "n1");
    Client c = fixture.open();
    CompletableFuture<Void> replayRead = fixture.history.holdReplays();
    CompletableFuture<Void> started = fixture.authenticate(c, fixture.token("u1"), new ResumePosition(first.epoch(), 0));
    SessionFixture.get(replayRead, "the replay read");

    // Another connection of the user marks a notification read (MarkRead): every connection of the user is told.
    fixture.onLoop(() -> fixture.vertx.eventBus().publish(USER_ADDRESS, ServerFrames.notificationRead(first.id())));
    fixture.onLoop(() -> {
      fixture.history.release();
      return null;
    });
    SessionFixture.get(started, "the start of the user stream");

    // README: Authenticated "is always the first frame".
    assertEquals("Authenticated", written(c).get(0), "written: " + written(c));
  }

  /** What was written, in order: a notification's message, or another message's type. */
  private List<String> written(Client c) {
    fixture.onLoop(() -> null);
    return c.transport().writes().stream()
        .map(w -> "Notification".equals(w.type()) ? w.json().getString("message") : w.type()).toList();
  }
}
