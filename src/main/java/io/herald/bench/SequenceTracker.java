package io.herald.bench;

import java.util.BitSet;

/**
 * What one receiver saw of one stream (a user, a topic, the broadcast): the publisher numbers the notifications
 * of each stream 1, 2, 3, ... ({@code bench_seq}); the tracker tells a first arrival from a duplicate, and an
 * arrival below the highest sequence already seen from an in-order one. Not thread-safe: one receiver, one thread.
 */
public final class SequenceTracker {

  /** What an arrival was. */
  public enum Arrival { IN_ORDER, REORDERED, DUPLICATE, INVALID }

  private final BitSet seen = new BitSet();
  private long highest;
  private long distinct;
  private long duplicates;
  private long reordered;
  private long invalid;

  public Arrival record(long seq) {
    if (seq < 1 || seq > Integer.MAX_VALUE) {
      invalid++;
      return Arrival.INVALID;
    }
    int i = (int) seq;
    if (seen.get(i)) {
      duplicates++;
      return Arrival.DUPLICATE;
    }
    seen.set(i);
    distinct++;
    if (seq < highest) {
      reordered++;
      return Arrival.REORDERED;
    }
    highest = seq;
    return Arrival.IN_ORDER;
  }

  /** Distinct sequences received within 1..sent. */
  public long receivedOf(long sent) {
    if (sent <= 0) {
      return 0;
    }
    int end = (int) Math.min(sent, Integer.MAX_VALUE - 1L) + 1;
    return seen.get(1, end).cardinality();
  }

  /** The first {@code limit} sequences of 1..sent never received, in order. */
  public java.util.List<Long> missingOf(long sent, int limit) {
    java.util.List<Long> missing = new java.util.ArrayList<>();
    int end = (int) Math.min(sent, Integer.MAX_VALUE - 1L);
    for (int i = seen.nextClearBit(1); i <= end && missing.size() < limit; i = seen.nextClearBit(i + 1)) {
      missing.add((long) i);
    }
    return missing;
  }

  /** Sequences 1..sent never received. */
  public long lostOf(long sent) {
    return Math.max(0, sent - receivedOf(sent));
  }

  public long distinct() {
    return distinct;
  }

  public long duplicates() {
    return duplicates;
  }

  public long reordered() {
    return reordered;
  }

  public long invalid() {
    return invalid;
  }

  public long highest() {
    return highest;
  }
}
