package io.herald.session;

import java.util.Arrays;

/**
 * Which offsets of a session's user stream have been written to it, over a window of the {@link #WINDOW} offsets up
 * to the highest one written: what lets a session drop a second copy of a notification, whichever way it came — a
 * JetStream redelivery or a publisher's retry published again at its first position, the ingress's live publish of
 * a notification also written from an offline-queue take, a queue take published by another session of the user.
 *
 * <p>One bit per offset in a ring of {@link #WINDOW} bits (64 bytes), whatever the traffic. An offset older than the
 * window is written rather than dropped: it cannot be told apart, and a copy is better than a loss. A position of
 * another epoch restarts the window: the stream was recreated, and offsets of the old epoch cannot come back with
 * the new one.
 *
 * <p>Owned by the session's event loop, like the rest of {@link Session}.
 */
final class WrittenOffsets {

  /**
   * Offsets remembered: more than an offline queue holds (100) and the user-stream sequencer holds back (256), so
   * every copy those can produce is recognised.
   */
  static final int WINDOW = 512;

  private final long[] bits = new long[WINDOW / Long.SIZE];
  private String epoch;
  /** The highest offset marked under {@link #epoch}. */
  private long top;

  /** Marks the position written; false when it already was, so the caller drops this copy. */
  boolean markFirst(String positionEpoch, long offset) {
    if (!positionEpoch.equals(epoch)) {
      epoch = positionEpoch;
      Arrays.fill(bits, 0);
      top = offset;
      set(offset);
      return true;
    }
    if (offset > top) {
      if (offset - top >= WINDOW) {
        Arrays.fill(bits, 0);
      } else {
        // The slots of the offsets entering the window still hold those of the offsets leaving it.
        for (long o = top + 1; o < offset; o++) {
          clear(o);
        }
      }
      top = offset;
      set(offset);
      return true;
    }
    if (offset <= top - WINDOW) {
      return true;
    }
    if (isSet(offset)) {
      return false;
    }
    set(offset);
    return true;
  }

  private void set(long offset) {
    int slot = (int) Math.floorMod(offset, (long) WINDOW);
    bits[slot >>> 6] |= 1L << slot;
  }

  private void clear(long offset) {
    int slot = (int) Math.floorMod(offset, (long) WINDOW);
    bits[slot >>> 6] &= ~(1L << slot);
  }

  private boolean isSet(long offset) {
    int slot = (int) Math.floorMod(offset, (long) WINDOW);
    return (bits[slot >>> 6] & (1L << slot)) != 0;
  }
}
