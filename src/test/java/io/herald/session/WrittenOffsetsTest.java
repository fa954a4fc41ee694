package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link WrittenOffsets}: each position of the window once, a new epoch restarts it, older offsets are written. */
class WrittenOffsetsTest {

  @Test
  void eachOffsetOfTheWindowIsFirstOnce() {
    WrittenOffsets written = new WrittenOffsets();
    assertTrue(written.markFirst("e1", 10));
    assertTrue(written.markFirst("e1", 12));
    assertFalse(written.markFirst("e1", 10));
    assertFalse(written.markFirst("e1", 12));
    assertTrue(written.markFirst("e1", 11), "a late one, never written");
    assertFalse(written.markFirst("e1", 11));
    assertTrue(written.markFirst("e1", 5), "behind the first one written (an offline-queue take), once");
    assertFalse(written.markFirst("e1", 5));
  }

  @Test
  void slotsReusedAsTheWindowSlidesForgetTheOffsetsThatLeftIt() {
    WrittenOffsets written = new WrittenOffsets();
    for (long offset = 1; offset <= 3 * WrittenOffsets.WINDOW; offset++) {
      assertTrue(written.markFirst("e", offset), "offset " + offset);
      assertFalse(written.markFirst("e", offset), "offset " + offset + " again");
    }
    long top = 3L * WrittenOffsets.WINDOW;
    assertFalse(written.markFirst("e", top - WrittenOffsets.WINDOW + 1), "the oldest still in the window");
    assertTrue(written.markFirst("e", top - WrittenOffsets.WINDOW), "older than the window: written, not risked lost");
    // A jump leaves slots of skipped offsets clear: they are late ones, never written.
    assertTrue(written.markFirst("e", top + 100));
    for (long skipped = top + 1; skipped < top + 100; skipped++) {
      assertTrue(written.markFirst("e", skipped), "skipped offset " + skipped);
    }
    assertTrue(written.markFirst("e", top + 10 * WrittenOffsets.WINDOW), "a jump past the window clears it");
    assertTrue(written.markFirst("e", top + 10 * WrittenOffsets.WINDOW - 1));
  }

  @Test
  void anotherEpochRestartsTheWindow() {
    WrittenOffsets written = new WrittenOffsets();
    assertTrue(written.markFirst("old", 7));
    assertTrue(written.markFirst("new", 1));
    assertTrue(written.markFirst("new", 7), "offset 7 of the new epoch is another notification");
    assertFalse(written.markFirst("new", 1));
  }
}
