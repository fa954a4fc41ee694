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
  /** The ring: a power of two long, so an offset's slot is a mask, not a 64-bit division per entry scanned. */
  private long[] hashes;
  /** The newest offset indexed; the index holds {@code count} offsets up to it. */
  private long newest;
  private int count;

  /** @param capacity the most ids kept: the newest ones */
  IdIndex(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1");
    }
    this.capacity = capacity;
    this.hashes = new long[Math.min(INITIAL_SLOTS, slotsFor(capacity))];
  }

  /** Indexes the id appended at {@code offset} (its {@link io.herald.model.Notification#idHash()}), the offset after the newest indexed. */
  void add(long offset, long idHash) {
    if (count == hashes.length && hashes.length < capacity) {
      grow();
    }
    hashes[(int) offset & (hashes.length - 1)] = idHash;
    newest = offset;
    count = Math.min(count + 1, Math.min(capacity, hashes.length));
  }

  /** The offset the id of this hash was appended at among the indexed ones, newest first; -1 if none. */
  long offsetOf(long hash) {
    int mask = hashes.length - 1;
    int slot = (int) newest & mask;
    for (int back = 0; back < count; back++) {
      if (hashes[slot] == hash) {
        return newest - back;
      }
      slot = (slot - 1) & mask;
    }
    return -1;
  }

  private void grow() {
    long[] grown = new long[Math.min(slotsFor(capacity), hashes.length * 2)];
    for (long offset = newest; offset > newest - count; offset--) {
      grown[(int) offset & (grown.length - 1)] = hashes[(int) offset & (hashes.length - 1)];
    }
    hashes = grown;
  }

  /** The ring's length for {@code capacity} ids: the power of two at or above it. */
  private static int slotsFor(int capacity) {
    return capacity == 1 ? 1 : Integer.highestOneBit(capacity - 1) << 1;
  }
}
