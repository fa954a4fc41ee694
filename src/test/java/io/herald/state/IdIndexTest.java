package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** {@link IdIndex}: the offset of each of the last ids, across growth and the ring's wrap; older ones forgotten. */
class IdIndexTest {

  @Test
  void theLastIdsAreFoundAtTheirOffsetsAcrossGrowthAndWrap() {
    IdIndex index = new IdIndex(100);
    assertEquals(-1, index.offsetOf(IdIndex.hash("n1")));
    for (long offset = 1; offset <= 250; offset++) {
      index.add(offset, IdIndex.hash("n" + offset));
      assertEquals(offset, index.offsetOf(IdIndex.hash("n" + offset)));
    }
    assertEquals(151, index.offsetOf(IdIndex.hash("n151")), "the oldest of the last 100");
    assertEquals(250, index.offsetOf(IdIndex.hash("n250")));
    assertEquals(-1, index.offsetOf(IdIndex.hash("n150")), "older than the last 100");
    assertEquals(-1, index.offsetOf(IdIndex.hash("never")));
  }

  @Test
  void anIndexStartingAtAnyOffsetKeepsItsIdsWhileGrowing() {
    IdIndex index = new IdIndex(1000);
    for (long offset = 5_000; offset < 5_040; offset++) {
      index.add(offset, IdIndex.hash("id-" + offset));
    }
    for (long offset = 5_000; offset < 5_040; offset++) {
      assertEquals(offset, index.offsetOf(IdIndex.hash("id-" + offset)), "after growing past 16 and 32 slots");
    }
  }

  @Test
  void theHashTellsCloseIdsApart() {
    assertNotEquals(IdIndex.hash("ab"), IdIndex.hash("ba"));
    assertNotEquals(IdIndex.hash("n-1"), IdIndex.hash("n-2"));
    assertEquals(IdIndex.hash("same"), IdIndex.hash(new String("same")));
  }
}
