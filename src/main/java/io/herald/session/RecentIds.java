package io.herald.session;

/**
 * The notification ids a session wrote last, as 64-bit hashes ({@link io.herald.model.Notification#idHash()}): the
 * last line against a copy that its position cannot reveal. A notification keeps its first position on every
 * delivery — the idempotent append returns it to a redelivery or a retry — and {@link WrittenOffsets} drops a
 * second copy of a position; but when the state store lost its id index (a Redis restarted without persistence,
 * flushed or failed over to a replica behind it), a redelivery or a retry of an id already written is appended
 * again at a new position, often of a new epoch. This window drops it for as long as the id is among the
 * session's last {@link #CAPACITY} writes.
 *
 * <p>A ring of hashes grown with use, from {@value #INITIAL_SLOTS} to {@value #CAPACITY} (8 bytes each; both powers of
 * two, so a slot is a mask), scanned newest first; two ids written to one session collide with a probability of about 2⁻⁵⁶ per pair, and a collision
 * would drop the second as a copy. Owned by the session's event loop, like the rest of {@link Session}.
 */
final class RecentIds {

  /**
   * Ids remembered per session: more than JetStream redelivers within its default acknowledgement wait at the
   * rates a single connection is written at, at 2 KiB per busy session.
   */
  static final int CAPACITY = 256;

  private static final int INITIAL_SLOTS = 8;

  private long[] hashes = new long[INITIAL_SLOTS];
  /** Slot of the next write. */
  private int next;
  private int count;

  /** Remembers the id's hash; false when it is among the last {@link #CAPACITY} remembered, so the caller drops this copy. */
  boolean markFirst(long idHash) {
    // The ring's length is a power of two: a slot is a mask, not a division per entry scanned.
    int mask = hashes.length - 1;
    for (int i = 1; i <= count; i++) {
      if (hashes[(next - i) & mask] == idHash) {
        return false;
      }
    }
    if (count == hashes.length && hashes.length < CAPACITY) {
      grow();
    }
    hashes[next] = idHash;
    next = (next + 1) & (hashes.length - 1);
    count = Math.min(count + 1, hashes.length);
    return true;
  }

  /** Doubles the ring, which is full: its oldest entry is at {@code next}. */
  private void grow() {
    long[] grown = new long[hashes.length * 2];
    for (int i = 0; i < count; i++) {
      grown[i] = hashes[(next + i) & (hashes.length - 1)];
    }
    next = count;
    hashes = grown;
  }
}
