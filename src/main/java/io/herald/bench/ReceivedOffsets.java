package io.herald.bench;

import java.util.BitSet;

/**
 * Which offsets of one history stream's current epoch a receiver has had since it joined the stream: its highest,
 * and its contiguous watermark (every offset up to it had). In a fleet, notifications of one stream may arrive out of
 * offset order (README, Recovery: topic and broadcast streams are not sequenced; a user stream's gap is given up
 * after 50 ms); a client that resumes from its highest offset then never gets back one that was still on its way
 * below it, and one that resumes from its watermark gets some twice — which it drops by position, as it asked for
 * them. Which of the two positions a resume sends is the {@link ResumeFrom} policy. Not thread-safe: one receiver.
 */
final class ReceivedOffsets {

  /** The position a resume sends. */
  enum ResumeFrom {
    /** The highest offset received, as the protocol describes the client's position (and herald-client.js keeps it). */
    HIGHEST,
    /** The contiguous watermark: nothing below it missing; what the replay repeats above it is dropped by position. */
    CONTIGUOUS
  }

  /** What an arrival was for the receiver. */
  enum Arrival {
    /** Live, or a replay of an offset not had before: accounted. */
    NEW,
    /** Replayed by the last resume and new to the receiver: accounted, and counted as recovered. */
    RECOVERED,
    /** Replayed by the last resume though had before it (a watermark resume asks for those): dropped by position. */
    RESENT
  }

  private String epoch;
  /** Offsets up to here count as had: the join position (the receiver is owed only later ones). */
  private long base;
  /** Bit i: offset base + 1 + i had. */
  private final BitSet had = new BitSet();
  private long watermark;
  private long highest;
  private String replayEpoch;
  private long replayUpTo;
  /** The offsets above the resume's position that were had when it was sent, each dropped once when replayed. */
  private BitSet hadAtResume = new BitSet();

  /** The stream's position when the receiver joined it (null epoch: an empty stream). */
  void started(String epoch, long offset) {
    this.epoch = epoch;
    base = offset;
    watermark = offset;
    highest = offset;
    had.clear();
  }

  /** The position a resume sends under the policy. */
  long position(ResumeFrom policy) {
    return policy == ResumeFrom.HIGHEST ? highest : watermark;
  }

  String epoch() {
    return epoch;
  }

  /** Whether some offset below the highest is missing: a resume from the highest would never get it back. */
  boolean hasGap() {
    return watermark < highest;
  }

  /** A resume from {@link #position} was sent and answered: the stream was at {@code offset} of {@code epoch}. */
  void resumed(String epoch, long offset) {
    replayEpoch = epoch;
    replayUpTo = offset;
    hadAtResume = (BitSet) had.clone();
  }

  /** A notification of the stream at this position arrived. */
  Arrival arrived(String epoch, long offset) {
    boolean replayed = epoch.equals(replayEpoch) && offset <= replayUpTo;
    if (!epoch.equals(this.epoch)) {
      // A new epoch: the stream's past was lost, positions start again.
      started(epoch, 0);
    }
    if (offset <= base || offset - base - 1 > Integer.MAX_VALUE - 1) {
      return replayed ? Arrival.RECOVERED : Arrival.NEW;
    }
    int bit = (int) (offset - base - 1);
    if (replayed && hadAtResume.get(bit)) {
      hadAtResume.clear(bit);
      return Arrival.RESENT;
    }
    had.set(bit);
    highest = Math.max(highest, offset);
    if (offset == watermark + 1) {
      int next = had.nextClearBit(bit);
      watermark = base + next;
    }
    return replayed ? Arrival.RECOVERED : Arrival.NEW;
  }
}
