package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RedisEpochTest {

  @Test
  void aCandidateEpochIsTwelveLowercaseHexDigitsAndCandidatesDiffer() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String epoch = RedisHistoryStore.newEpoch();
      assertTrue(epoch.matches("[0-9a-f]{12}"), epoch);
      seen.add(epoch);
    }
    assertTrue(seen.size() > 990, "random epochs, " + seen.size() + " distinct of 1000");
  }
}
