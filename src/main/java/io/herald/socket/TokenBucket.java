package io.herald.socket;

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

  /** Takes one token if there is one. */
  public boolean tryTake(long nowNanos) {
    long elapsed = nowNanos - lastRefill;
    if (elapsed > 0) {
      tokens = Math.min(burst, tokens + elapsed * ratePerNano);
      lastRefill = nowNanos;
    }
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
