package io.herald.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class QuorumTest {

  @Test
  void aQuorumOfOneNeverIsolatesEvenANodeAlone() {
    Quorum quorum = new Quorum(1, 1);
    assertFalse(quorum.isolated());
    assertFalse(quorum.membersSeen(1));
    assertFalse(quorum.membersSeen(5));
  }

  @Test
  void aNodeSeeingFewerMembersThanTheQuorumIsIsolatedAndServesAgainWithEnough() {
    Quorum quorum = new Quorum(2, 3);
    assertFalse(quorum.isolated(), "3 of at least 2");
    assertFalse(quorum.membersSeen(2), "one member gone: still a majority of 3");
    assertTrue(quorum.membersSeen(1), "alone: the minority side of a partition");
    assertTrue(quorum.isolated());
    assertFalse(quorum.membersSeen(2), "a member back");
    assertEquals(2, quorum.members());
  }

  @Test
  void aNodeStartingBeforeItsFleetFormedIsIsolatedUntilTheQuorumJoins() {
    Quorum quorum = new Quorum(3, 1);
    assertTrue(quorum.isolated());
    assertTrue(quorum.membersSeen(2));
    assertFalse(quorum.membersSeen(3));
  }

  @Test
  void aMergeIsolatesTheNodeUntilItEndsWhateverItsViewSays() {
    Quorum quorum = new Quorum(2, 2);
    assertTrue(quorum.mergeStarted(), "merging: the view is about to be replaced");
    assertTrue(quorum.membersSeen(3), "a member event during the merge does not end it");
    assertFalse(quorum.mergeEnded(3), "merged into a fleet of 3");
    assertTrue(quorum.mergeStarted());
    assertTrue(quorum.mergeEnded(1), "a failed merge leaves the node alone: still isolated");
    assertEquals("1 of at least 2 members", quorum.toString());
  }

  @Test
  void aQuorumBelowOneIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Quorum(0, 1));
  }
}
