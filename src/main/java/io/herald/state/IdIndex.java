package io.herald.state;

/**
 * The notification ids of a stream's last appends, for an embedded store's idempotent append: a ring of 64-bit
 * hashes indexed by offset, grown with the stream up to {@code capacity}. Hashes rather than the ids themselves: no
 * object per id for the garbage collector, 8 bytes each, and a lookup that scans contiguous longs instead of chasing
 * an entry, its id and the id's bytes (three cache misses per entry). Two different ids of one stream collide with a
 * probability of about n²/2⁶⁵ — for 1,000 ids, once in 10¹³ streams — and a collision would drop the second as a copy.
 *
 * <p>Offsets are added in increasing order, one more each time; not thread-safe (its store synchronises).
 */
final class IdIndex {

  private static final int INITIAL_SLOTS = 16;

  private final int capacity;
  private long[] hashes = new long[INITIAL_SLOTS];
  /** The newest offset indexed; the index holds {@code count} offsets up to it. */
  private long newest;
  private int count;

  /** @param capacity the most ids kept: the newest ones */
  IdIndex(int capacity) {
    this.capacity = capacity;
  }

  /** Indexes the id appended at {@code offset} (its {@link io.herald.model.Notification#idHash()}), the offset after the newest indexed. */
  void add(long offset, long idHash) {
    if (count == hashes.length && hashes.length < capacity) {
      grow();
    }
    hashes[slot(offset, hashes.length)] = idHash;
    newest = offset;
    count = Math.min(count + 1, hashes.length);
  }

  /** The offset the id of this hash was appended at among the indexed ones, newest first; -1 if none. */
  long offsetOf(long hash) {
    for (long offset = newest; offset > newest - count; offset--) {
      if (hashes[slot(offset, hashes.length)] == hash) {
        return offset;
      }
    }
    return -1;
  }

  private void grow() {
    long[] grown = new long[Math.min(capacity, hashes.length * 2)];
    for (long offset = newest; offset > newest - count; offset--) {
      grown[slot(offset, grown.length)] = hashes[slot(offset, hashes.length)];
    }
    hashes = grown;
  }

  private static int slot(long offset, int slots) {
    return (int) Math.floorMod(offset, (long) slots);
  }
}
