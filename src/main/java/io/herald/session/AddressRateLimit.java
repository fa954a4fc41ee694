package io.herald.session;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per client address ({@code ratePerSec}, {@code burst}), in a map that cannot grow without bound: an
 * address whose bucket has refilled completely is forgotten (its next attempt gets a full bucket anyway, so dropping it
 * changes nothing), and past {@link #MAX_ADDRESSES} the address used least recently is forgotten too. Kept in order of
 * use, so both are found at the map's head: each attempt does at most the work of the entries it removes. Not
 * thread-safe: it belongs to one event loop (the connection registry's).
 */
final class AddressRateLimit {

  /**
   * The most addresses remembered at once (about 150 bytes each). A flood from more distinct addresses than this
   * within one refill time ({@code burst / ratePerSec}) makes the least recent ones start again with a full bucket:
   * each of them is still held to its burst until it is forgotten.
   */
  static final int MAX_ADDRESSES = 65_536;

  private final int ratePerSec;
  private final int burst;
  /** How long an untouched bucket takes to fill up again, in nanoseconds: after that it may be forgotten. */
  private final long refillNanos;
  private final LinkedHashMap<String, TokenBucket> buckets = new LinkedHashMap<>(16, 0.75f, true);

  AddressRateLimit(int ratePerSec, int burst) {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.refillNanos = (long) Math.ceil(burst * 1e9 / ratePerSec);
  }

  /** Takes a token of the address's bucket if it has one; forgets the buckets that no longer matter on the way. */
  boolean tryTake(String address, long nowNanos) {
    forgetRefilled(nowNanos);
    TokenBucket bucket = buckets.get(address);
    if (bucket == null) {
      bucket = new TokenBucket(ratePerSec, burst, nowNanos);
      buckets.put(address, bucket);
      if (buckets.size() > MAX_ADDRESSES) {
        Iterator<TokenBucket> eldest = buckets.values().iterator();
        eldest.next();
        eldest.remove();
      }
    }
    return bucket.tryTake(nowNanos);
  }

  /** Addresses remembered (for tests and the bound). */
  int size() {
    return buckets.size();
  }

  private void forgetRefilled(long nowNanos) {
    Iterator<Map.Entry<String, TokenBucket>> oldestFirst = buckets.entrySet().iterator();
    while (oldestFirst.hasNext()) {
      if (nowNanos - oldestFirst.next().getValue().lastRefillNanos() < refillNanos) {
        return;
      }
      oldestFirst.remove();
    }
  }
}
