package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Notification;
import org.junit.jupiter.api.Test;

/** {@link RecentIds}: each of the last ids once, across growth and the ring's wrap; older ones forgotten. */
class RecentIdsTest {

  @Test
  void anIdAmongTheLastWrittenIsACopy() {
    RecentIds recent = new RecentIds();
    assertTrue(recent.markFirst(Notification.hashId("n1")));
    assertTrue(recent.markFirst(Notification.hashId("n2")));
    assertFalse(recent.markFirst(Notification.hashId("n1")));
    assertFalse(recent.markFirst(Notification.hashId("n2")));
    assertTrue(recent.markFirst(Notification.hashId("n3")));
  }

  @Test
  void theLastCapacityIdsAreRememberedAcrossGrowthAndWrapAndOlderOnesForgotten() {
    RecentIds recent = new RecentIds();
    int written = 3 * RecentIds.CAPACITY + 17;
    for (int i = 0; i < written; i++) {
      assertTrue(recent.markFirst(Notification.hashId("id-" + i)), "id-" + i);
      // Every id still in the window is recognised, right after each growth (8, 16, ... slots) too.
      int oldestKept = Math.max(0, i + 1 - RecentIds.CAPACITY);
      assertFalse(recent.markFirst(Notification.hashId("id-" + oldestKept)), "id-" + oldestKept + " after id-" + i);
    }
    assertTrue(recent.markFirst(Notification.hashId("id-" + (written - RecentIds.CAPACITY - 1))),
        "older than the last " + RecentIds.CAPACITY + ": written again");
  }

  @Test
  void theHashTellsCloseIdsApartAndIsTheSameForEqualIds() {
    assertNotEquals(Notification.hashId("ab"), Notification.hashId("ba"));
    assertNotEquals(Notification.hashId("n-1"), Notification.hashId("n-2"));
    assertTrue(Notification.hashId("same") == Notification.hashId(new String("same")));
  }
}
