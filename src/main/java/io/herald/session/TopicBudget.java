package io.herald.session;

import io.herald.config.AccessOptions;
import io.herald.config.LimitsOptions;

/**
 * One connection's budget of topic changes: each topic joined or left may register or unregister a consumer across
 * the cluster, so a client may not churn them faster than {@code topic_changes_per_sec} (burst
 * {@code topic_changes_burst}), whatever its message rate. A request is allowed whole or refused whole; more than
 * {@code rate_limit_burst} refusals in a row are a persistent excess, which closes the connection. Not thread-safe:
 * owned by the connection's event loop, as the connection itself.
 */
public final class TopicBudget {

  /** What a request may do. */
  public enum Outcome {
    /** Within the budget: the changes are made. */
    ALLOWED,
    /** Over the budget: the request is refused, nothing changes. */
    REFUSED,
    /** Refused, and more than {@code rate_limit_burst} times in a row: close the connection. */
    EXCEEDED
  }

  private final TokenBucket bucket;
  private final int maxRefusalsInARow;
  private int refusedInARow;

  public TopicBudget(LimitsOptions limits, AccessOptions access, long nowNanos) {
    this.bucket = new TokenBucket(access.getTopicChangesPerSec(), access.getTopicChangesBurst(), nowNanos);
    this.maxRefusalsInARow = limits.getRateLimitBurst();
  }

  /** Takes {@code changes} topic changes from the budget, all or none; a request that changes nothing is allowed. */
  public Outcome take(int changes, long nowNanos) {
    if (changes == 0) {
      return Outcome.ALLOWED;
    }
    if (bucket.tryTake(nowNanos, changes)) {
      refusedInARow = 0;
      return Outcome.ALLOWED;
    }
    refusedInARow++;
    return refusedInARow > maxRefusalsInARow ? Outcome.EXCEEDED : Outcome.REFUSED;
  }
}
