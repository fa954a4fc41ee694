package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The per-address buckets of connection attempts: each address is held to its burst and rate on its own, a bucket that
 * has refilled is forgotten, and a flood of distinct addresses never keeps more than {@link AddressRateLimit#MAX_ADDRESSES}.
 */
class AddressRateLimitTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void anAddressGetsItsBurstThenItsRateAndAnotherAddressIsNotAffected() {
    AddressRateLimit limit = new AddressRateLimit(2, 3);
    long now = 1_000 * SECOND;
    for (int i = 0; i < 3; i++) {
      assertTrue(limit.tryTake("10.0.0.1", now), "attempt " + i);
    }
    assertFalse(limit.tryTake("10.0.0.1", now));
    assertTrue(limit.tryTake("10.0.0.2", now));
    // Half a second at 2 a second: one more.
    assertTrue(limit.tryTake("10.0.0.1", now + SECOND / 2));
    assertFalse(limit.tryTake("10.0.0.1", now + SECOND / 2));
  }

  @Test
  void aBucketThatHasRefilledIsForgotten() {
    AddressRateLimit limit = new AddressRateLimit(2, 3);
    long now = 1_000 * SECOND;
    limit.tryTake("10.0.0.1", now);
    limit.tryTake("10.0.0.2", now + SECOND);
    assertEquals(2, limit.size());
    // 10.0.0.1 refilled after 1.5 s (3 at 2 a second) and is dropped at the next attempt; 10.0.0.2 is not yet.
    limit.tryTake("10.0.0.3", now + 2 * SECOND);
    assertEquals(2, limit.size());
    limit.tryTake("10.0.0.3", now + 10 * SECOND);
    assertEquals(1, limit.size());
  }

  @Test
  void aFloodOfDistinctAddressesKeepsTheMapBounded() {
    // A slow refill: nothing is forgotten by age during the flood.
    AddressRateLimit limit = new AddressRateLimit(1, 1000);
    long now = 1_000 * SECOND;
    for (int i = 0; i < AddressRateLimit.MAX_ADDRESSES + 5_000; i++) {
      assertTrue(limit.tryTake("2001:db8::" + Integer.toHexString(i), now + i));
    }
    assertEquals(AddressRateLimit.MAX_ADDRESSES, limit.size());
  }
}
