package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.herald.model.Notification;
import org.junit.jupiter.api.Test;

/** {@link IdIndex}: the offset of each of the last ids, across growth and the ring's wrap; older ones forgotten. */
class IdIndexTest {

  @Test
  void theLastIdsAreFoundAtTheirOffsetsAcrossGrowthAndWrap() {
    IdIndex index = new IdIndex(100);
    assertEquals(-1, index.offsetOf(Notification.hashId("n1")));
    for (long offset = 1; offset <= 250; offset++) {
      index.add(offset, Notification.hashId("n" + offset));
      assertEquals(offset, index.offsetOf(Notification.hashId("n" + offset)));
    }
    assertEquals(151, index.offsetOf(Notification.hashId("n151")), "the oldest of the last 100");
    assertEquals(250, index.offsetOf(Notification.hashId("n250")));
    assertEquals(-1, index.offsetOf(Notification.hashId("n150")), "older than the last 100");
    assertEquals(-1, index.offsetOf(Notification.hashId("never")));
  }

  @Test
  void anIndexStartingAtAnyOffsetKeepsItsIdsWhileGrowing() {
    IdIndex index = new IdIndex(1000);
    for (long offset = 5_000; offset < 5_040; offset++) {
      index.add(offset, Notification.hashId("id-" + offset));
    }
    for (long offset = 5_000; offset < 5_040; offset++) {
      assertEquals(offset, index.offsetOf(Notification.hashId("id-" + offset)), "after growing past 16 and 32 slots");
    }
  }

  @Test
  void aCapacityThatIsNoPowerOfTwoKeepsExactlyThatManyIds() {
    IdIndex index = new IdIndex(3);
    for (long offset = -2; offset <= 7; offset++) {
      index.add(offset, Notification.hashId("x" + offset));
    }
    assertEquals(5, index.offsetOf(Notification.hashId("x5")));
    assertEquals(7, index.offsetOf(Notification.hashId("x7")));
    assertEquals(-1, index.offsetOf(Notification.hashId("x4")), "a fourth id, though the ring has four slots");
  }

  @Test
  void theHashTellsCloseIdsApart() {
    assertNotEquals(Notification.hashId("ab"), Notification.hashId("ba"));
    assertNotEquals(Notification.hashId("n-1"), Notification.hashId("n-2"));
    assertEquals(Notification.hashId("same"), Notification.hashId(new String("same")));
  }
}
