package io.herald.session;

/**
 * A token bucket: {@code ratePerSec} tokens a second, at most {@code burst} saved up. Not thread-safe: each
 * instance belongs to one connection on one event loop.
 */
public final class TokenBucket {

  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long lastRefill;

  public TokenBucket(int ratePerSec, int burst, long nowNanos) {
    this.ratePerNano = ratePerSec / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.lastRefill = nowNanos;
  }

  /** When the bucket was last drawn from (or created), on the {@link System#nanoTime()} scale. */
  long lastRefillNanos() {
    return lastRefill;
  }

  /** Takes one token if there is one. */
  public boolean tryTake(long nowNanos) {
    return tryTake(nowNanos, 1);
  }

  /** Takes {@code count} tokens if there are that many; otherwise takes none. */
  public boolean tryTake(long nowNanos, int count) {
    long elapsed = nowNanos - lastRefill;
    if (elapsed > 0) {
      tokens = Math.min(burst, tokens + elapsed * ratePerNano);
      lastRefill = nowNanos;
    }
    if (tokens >= count) {
      tokens -= count;
      return true;
    }
    return false;
  }
}
