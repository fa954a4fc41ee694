package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Ids;
import io.herald.model.Notification;
import io.herald.model.Target;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamSequencerTest {

  private static Notification at(String epoch, long offset) {
    return Notification.builder().id("n" + offset).target(new Target.Users(Ids.DEFAULT_TENANT, List.of("u1")))
        .message("m" + offset).build().withPosition(epoch, offset);
  }

  private static List<Long> offsets(List<Notification> ns) {
    List<Long> out = new ArrayList<>();
    ns.forEach(n -> out.add(n.offset()));
    return out;
  }

  @Test
  void inOrderNotificationsPassAtOnce() {
    StreamSequencer s = new StreamSequencer();
    s.start("e", 4);
    for (long o = 5; o <= 8; o++) {
      assertEquals(List.of(o), offsets(s.offer(at("e", o))));
    }
    assertFalse(s.holding());
  }

  @Test
  void oneAheadWaitsForTheGapAndBothLeaveInOrder() {
    StreamSequencer s = new StreamSequencer();
    s.start("e", 4);
    assertEquals(List.of(), offsets(s.offer(at("e", 6))));
    assertEquals(List.of(), offsets(s.offer(at("e", 7))));
    assertTrue(s.holding());
    assertEquals(List.of(5L, 6L, 7L), offsets(s.offer(at("e", 5))));
    assertFalse(s.holding());
    assertEquals(List.of(8L), offsets(s.offer(at("e", 8))));
  }

  @Test
  void aGapThatNeverFillsIsGivenUpInOrderAndALateOnePassesAfterwards() {
    StreamSequencer s = new StreamSequencer();
    s.start("e", 0);
    s.offer(at("e", 3));
    s.offer(at("e", 2));
    assertEquals(List.of(2L, 3L), offsets(s.releaseAll()), "after the wait, what waited, in order");
    assertEquals(List.of(4L), offsets(s.offer(at("e", 4))), "the next after them passes");
    assertEquals(List.of(1L), offsets(s.offer(at("e", 1))), "the late one is written, not dropped");
  }

  @Test
  void olderNotificationsPassAtOnce() {
    StreamSequencer s = new StreamSequencer();
    s.start("e", 10);
    assertEquals(List.of(3L), offsets(s.offer(at("e", 3))), "an offline-queue notification older than the start");
    assertFalse(s.holding());
  }

  @Test
  void aNewEpochReleasesWhatWaitedFirstAndRestartsTheCount() {
    StreamSequencer s = new StreamSequencer();
    s.start("old", 1);
    s.offer(at("old", 3));
    List<Notification> out = s.offer(at("new", 1));
    assertEquals(List.of(3L, 1L), offsets(out));
    assertEquals("new", out.get(1).epoch());
    assertEquals(List.of(2L), offsets(s.offer(at("new", 2))));
  }

  @Test
  void notificationsWithoutAPositionOrBeforeTheStartPass() {
    StreamSequencer s = new StreamSequencer();
    Notification unpositioned = Notification.builder().id("x").target(new Target.Users(Ids.DEFAULT_TENANT, List.of("u1"))).build();
    assertEquals(List.of(unpositioned), s.offer(unpositioned));
    assertEquals(List.of(9L), offsets(s.offer(at("e", 9))), "not started: nothing to order against");
    s.start("e", 0);
    assertEquals(List.of(unpositioned), s.offer(unpositioned));
  }

  @Test
  void aRestartAtALaterPositionDropsWhatTheReplayCovered() {
    StreamSequencer s = new StreamSequencer();
    s.start("e", 0);
    s.offer(at("e", 2));
    s.offer(at("e", 5));
    // A Resume replayed everything up to 3: offset 2 was written by it; 5 still waits for 4.
    s.start("e", 3);
    assertTrue(s.holding());
    assertEquals(List.of(4L, 5L), offsets(s.offer(at("e", 4))));
  }

  @Test
  void startedOnAnEmptyStreamItTakesTheEpochTheStreamIsCreatedWith() {
    StreamSequencer s = new StreamSequencer();
    // Authenticated before the user's stream existed: its position was offset 0 of a placeholder epoch.
    s.start("placeholder", 0);
    assertEquals(List.of(), offsets(s.offer(at("real", 2))), "offset 2 of the new stream waits for 1");
    assertEquals(List.of(1L, 2L), offsets(s.offer(at("real", 1))));
    assertEquals(List.of(3L), offsets(s.offer(at("real", 3))));
  }

  @Test
  void tooManyWaitingReleasesThemAll() {
    StreamSequencer s = new StreamSequencer();
    s.start("e", 0);
    for (long o = 2; o < 2 + StreamSequencer.MAX_HELD; o++) {
      assertEquals(List.of(), s.offer(at("e", o)));
    }
    List<Notification> out = s.offer(at("e", 2 + StreamSequencer.MAX_HELD));
    assertEquals(StreamSequencer.MAX_HELD + 1, out.size());
    assertEquals(2L, out.get(0).offset());
    assertFalse(s.holding());
  }
}
