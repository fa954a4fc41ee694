package io.herald.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Exact accounting of a run of unicast notifications: each has an index (its id is {@code <run>-<index>}), one
 * recipient user, the time it was handed to the ingress and whether the ingress accepted it; each delivery to a
 * client is counted by index with its time. Lost = accepted but never received by its user (live or replayed);
 * duplicated = received more than once. Times are {@link System#nanoTime()} of the test's JVM, which both publishes
 * and receives.
 */
public final class DeliveryLedger {

  /** A notification delivered later than this after its publish counts as "not live yet" for the recovery time. */
  public static final Duration LATE = Duration.ofSeconds(1);

  /** What a run counted. Times in ms; {@code recoveryMs} is 0 when nothing was late after the fault. */
  public record Report(int accepted, int lost, int duplicated, double p99UnaffectedMs, double maxUnaffectedMs,
                       long recoveryMs, List<String> lostIds, List<String> duplicatedIds) {
    @Override
    public String toString() {
      return String.format("accepted %d, lost %d, duplicated %d, p99 of unaffected %.1f ms (max %.1f), "
          + "recovered %d ms after the fault", accepted, lost, duplicated, p99UnaffectedMs, maxUnaffectedMs, recoveryMs);
    }
  }

  private final String run;
  private final int capacity;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicReferenceArray<String> users;
  private final AtomicLongArray publishedAt;
  private final AtomicIntegerArray accepted;
  private final AtomicIntegerArray received;
  private final AtomicLongArray firstReceivedAt;

  /** @param capacity most notifications of the run */
  public DeliveryLedger(String run, int capacity) {
    this.run = run;
    this.capacity = capacity;
    this.users = new AtomicReferenceArray<>(capacity);
    this.publishedAt = new AtomicLongArray(capacity);
    this.accepted = new AtomicIntegerArray(capacity);
    this.received = new AtomicIntegerArray(capacity);
    this.firstReceivedAt = new AtomicLongArray(capacity);
  }

  /** Takes the next index for a notification to {@code user}, stamped now; -1 when the ledger is full. */
  public int allocate(String user) {
    int i = next.getAndIncrement();
    if (i >= capacity) {
      return -1;
    }
    users.set(i, user);
    publishedAt.set(i, System.nanoTime());
    return i;
  }

  public String id(int index) {
    return run + "-" + index;
  }

  public String user(int index) {
    return users.get(index);
  }

  /** The ingress has the notification (JetStream ack, Redis PUBLISH answered). */
  public void accepted(int index) {
    accepted.set(index, 1);
  }

  /** Counts a Notification frame with this id (ids of other runs are ignored). */
  public void received(String id, long atNanos) {
    if (id == null || !id.startsWith(run + "-")) {
      return;
    }
    int index = Integer.parseInt(id.substring(run.length() + 1));
    if (received.getAndIncrement(index) == 0) {
      firstReceivedAt.set(index, atNanos);
    }
  }

  public int acceptedCount() {
    int n = 0;
    for (int i = 0; i < size(); i++) {
      n += accepted.get(i);
    }
    return n;
  }

  /** Whether every accepted notification has been received at least once. */
  public boolean allReceived() {
    for (int i = 0; i < size(); i++) {
      if (accepted.get(i) == 1 && received.get(i) == 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The counts of the run. p99 is over the first deliveries to users not in {@code affectedUsers} (their
   * connection was never closed); the recovery time is from {@code faultAtNanos} to the last first-delivery of a
   * notification published after the fault that came {@link #LATE} or later.
   */
  public Report report(long faultAtNanos, Set<String> affectedUsers) {
    List<String> lost = new ArrayList<>();
    List<String> twice = new ArrayList<>();
    int n = size();
    double[] latencies = new double[n];
    int measured = 0;
    long lastLate = faultAtNanos;
    for (int i = 0; i < n; i++) {
      if (accepted.get(i) == 1 && received.get(i) == 0) {
        lost.add(id(i));
      }
      if (received.get(i) > 1) {
        twice.add(id(i) + "x" + received.get(i));
      }
      if (received.get(i) == 0) {
        continue;
      }
      long latency = firstReceivedAt.get(i) - publishedAt.get(i);
      if (!affectedUsers.contains(users.get(i))) {
        latencies[measured++] = latency / 1e6;
      }
      if (publishedAt.get(i) >= faultAtNanos && latency >= LATE.toNanos()) {
        lastLate = Math.max(lastLate, firstReceivedAt.get(i));
      }
    }
    double[] sorted = Arrays.copyOf(latencies, measured);
    Arrays.sort(sorted);
    double p99 = measured == 0 ? 0 : sorted[Math.min(measured - 1, (int) Math.ceil(measured * 0.99) - 1)];
    double max = measured == 0 ? 0 : sorted[measured - 1];
    return new Report(acceptedCount(), lost.size(), twice.size(), p99, max,
        TimeUnit.NANOSECONDS.toMillis(lastLate - faultAtNanos), head(lost), head(twice));
  }

  /**
   * The delivery latency over the run, per second of publish time from {@code startNanos}: "second: p50/max ms
   * (not received)", for the log of a fault test.
   */
  public String timeline(long startNanos) {
    StringBuilder out = new StringBuilder();
    int n = size();
    int from = 0;
    for (int second = 0; from < n; second++) {
      long end = startNanos + TimeUnit.SECONDS.toNanos(second + 1);
      List<Double> latencies = new ArrayList<>();
      int missing = 0;
      int i = from;
      for (; i < n && publishedAt.get(i) < end; i++) {
        if (received.get(i) == 0) {
          missing++;
        } else {
          latencies.add((firstReceivedAt.get(i) - publishedAt.get(i)) / 1e6);
        }
      }
      from = i;
      latencies.sort(null);
      double p50 = latencies.isEmpty() ? 0 : latencies.get(latencies.size() / 2);
      double max = latencies.isEmpty() ? 0 : latencies.get(latencies.size() - 1);
      out.append(String.format(" %d: %.0f/%.0f", second, p50, max)).append(missing > 0 ? " (" + missing + ")" : "");
    }
    return out.toString().trim();
  }

  private int size() {
    return Math.min(next.get(), capacity);
  }

  private static List<String> head(List<String> ids) {
    return ids.size() <= 20 ? ids : new ArrayList<>(ids.subList(0, 20));
  }
}
