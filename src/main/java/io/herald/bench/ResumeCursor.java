package io.herald.bench;

/**
 * A receiver's position in its user stream — the {@code epoch} and {@code last_offset} it sends in
 * {@code Authenticate} after a reconnect — and which of its arrivals are replays: once a resumed
 * {@code Authenticated} says the stream is at offset K, the user notifications of that epoch up to K are the ones
 * the node replays from history; later ones are live. Not thread-safe: one receiver, one event loop.
 */
public final class ResumeCursor {

  private String epoch;
  private long lastOffset;
  private String replayEpoch;
  private long replayUpTo;

  /** {@code Authenticated} without a position: the stream's current position is where the receiver starts. */
  public void started(String epoch, long offset) {
    this.epoch = epoch;
    this.lastOffset = offset;
    this.replayEpoch = null;
    this.replayUpTo = 0;
  }

  /**
   * {@code Authenticated} after a resume from this cursor's position: the stream was at {@code offset} of
   * {@code epoch}, so what arrives of it up to there is replayed. The position itself moves only with arrivals.
   */
  public void resumed(String epoch, long offset) {
    this.replayEpoch = epoch;
    this.replayUpTo = offset;
  }

  /**
   * A user-stream notification at this position arrived.
   *
   * @return whether it is a replay (see {@link #resumed})
   */
  public boolean arrived(String epoch, long offset) {
    boolean replayed = epoch.equals(replayEpoch) && offset <= replayUpTo;
    if (epoch.equals(this.epoch)) {
      lastOffset = Math.max(lastOffset, offset);
    } else {
      // A new epoch: the stream started (or restarted) after the position this receiver had.
      this.epoch = epoch;
      lastOffset = offset;
    }
    return replayed;
  }

  /** The epoch of the last position; null before the first {@code Authenticated} that carried one. */
  public String epoch() {
    return epoch;
  }

  /** The highest offset received in {@link #epoch()} (or the start position when nothing was received). */
  public long lastOffset() {
    return lastOffset;
  }
}
