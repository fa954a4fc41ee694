package io.herald.bench;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether a soak passed: nothing lost, duplicated or misdelivered once every account is settled, and the nodes'
 * live heap (after a full collection, summed over the fleet) grown by no more than its limit between the end of the
 * first minute — the warm-up: JIT compilation, pools and caches filling, connections settling — and the end of the
 * last. The limit is {@code heapGrowthLimitPct} (10 % by default) for runs of at least {@link #LONG_RUN_MINUTES}
 * minutes; a shorter run is held to {@link #SHORT_RUN_HEAP_GROWTH_LIMIT_PCT}: between two readings a minute or two
 * apart, the live heap of a node moves by several percent with what is in flight at the moment of the collection
 * (resumes being replayed, churn connections, buffers), so a tight bound there would judge noise; the loose one
 * still catches a gross leak, and a slow one needs the long run. A run of one minute has one reading: no growth.
 *
 * @param failures       why the run failed; empty when it passed
 * @param heapGrowthPct  growth of the live heap from the first minute to the last, in percent; null when not
 *                       measured (fewer than two minutes, or a reading missing)
 * @param heapLimitPct   the limit applied
 */
public record SoakVerdict(List<String> failures, Double heapGrowthPct, double heapLimitPct) {

  /** Runs of at least this many minutes are held to the configured heap growth limit. */
  public static final int LONG_RUN_MINUTES = 10;
  /** The heap growth limit of the long runs unless configured: {@value} %. */
  public static final double DEFAULT_HEAP_GROWTH_LIMIT_PCT = 10;
  /** The heap growth limit of runs shorter than {@link #LONG_RUN_MINUTES}: {@value} %. */
  public static final double SHORT_RUN_HEAP_GROWTH_LIMIT_PCT = 50;

  public boolean passed() {
    return failures.isEmpty();
  }

  /** The heap growth limit of a run of that many minutes. */
  static double heapLimitPct(int minutes, double longRunLimitPct) {
    return minutes >= LONG_RUN_MINUTES ? longRunLimitPct : Math.max(longRunLimitPct, SHORT_RUN_HEAP_GROWTH_LIMIT_PCT);
  }

  /** Growth of the summed live heap from the first minute's reading to the last's, in percent; null when unknown. */
  static Double heapGrowthPct(List<SoakMinute> minutes) {
    if (minutes.size() < 2) {
      return null;
    }
    long first = minutes.get(0).heapAfterGcKib();
    long last = minutes.get(minutes.size() - 1).heapAfterGcKib();
    if (first <= 0 || last < 0) {
      return null;
    }
    return BenchRunner.round((last - first) * 100.0 / first, 2);
  }

  /**
   * Judges a finished run.
   *
   * @param minutes          the minute readings, in order (as many as the run lasted)
   * @param tally            the persistent clients' settled accounts
   * @param churnDuplicated  notifications the churn connections received twice
   * @param longRunLimitPct  the heap growth limit of long runs, in percent
   */
  static SoakVerdict judge(List<SoakMinute> minutes, DeliveryAccounting.Tally tally, long churnDuplicated,
                           double longRunLimitPct) {
    List<String> failures = new ArrayList<>();
    if (tally.lost() > 0) {
      failures.add(tally.lost() + " notifications lost");
    }
    if (tally.duplicated() + churnDuplicated > 0) {
      failures.add((tally.duplicated() + churnDuplicated) + " notifications duplicated");
    }
    if (tally.misdelivered() > 0) {
      failures.add(tally.misdelivered() + " notifications misdelivered");
    }
    double limit = heapLimitPct(minutes.size(), longRunLimitPct);
    Double growth = heapGrowthPct(minutes);
    if (growth == null && minutes.size() >= 2) {
      failures.add("the nodes' heap after GC could not be read at the first or the last minute");
    } else if (growth != null && growth > limit) {
      failures.add(String.format(Locale.ROOT, "heap after GC grew %.1f %% (limit %.0f %% for a %d-minute run)",
          growth, limit, minutes.size()));
    }
    return new SoakVerdict(List.copyOf(failures), growth, limit);
  }

  JsonObject json() {
    return new JsonObject().put("passed", passed()).put("failures", failures)
        .put("heap_growth_pct", heapGrowthPct).put("heap_growth_limit_pct", heapLimitPct);
  }
}
