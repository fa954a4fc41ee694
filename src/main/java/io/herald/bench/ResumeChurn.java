package io.herald.bench;

import io.vertx.core.Context;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The recover scenario's churn: every period a new random set of the clients (a share of them, drawn afresh each
 * time) closes its connection and resumes on a new one ({@link BenchClient#dropAndResume()}). A client still
 * resuming from an earlier period is left alone. Runs on one context of the clients' Vert.x.
 */
final class ResumeChurn {

  private final Context context;
  private final List<BenchClient> clients;
  private final int perPeriod;
  private final Duration every;
  private final SplittableRandom random;
  /** A permutation of the client indices; its first {@code perPeriod} entries are each period's draw. */
  private final int[] order;
  private long timer = -1;

  ResumeChurn(Context context, List<BenchClient> clients, double share, Duration every, long seed) {
    this.context = context;
    this.clients = List.copyOf(clients);
    this.perPeriod = clients.isEmpty() ? 0 : Math.max(1, (int) Math.round(share * clients.size()));
    this.every = every;
    this.random = new SplittableRandom(seed);
    this.order = new int[clients.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
  }

  /** Clients dropped each period. */
  int perPeriod() {
    return perPeriod;
  }

  void start() {
    context.runOnContext(v -> timer = context.owner().setPeriodic(every.toMillis(), id -> dropSome()));
  }

  void stop() {
    context.runOnContext(v -> context.owner().cancelTimer(timer));
  }

  private void dropSome() {
    // A partial Fisher-Yates shuffle: perPeriod distinct clients, uniformly, without allocating.
    int n = order.length;
    for (int i = 0; i < perPeriod; i++) {
      int j = i + random.nextInt(n - i);
      int chosen = order[j];
      order[j] = order[i];
      order[i] = chosen;
      BenchClient client = clients.get(chosen);
      if (!client.reconnecting()) {
        client.dropAndResume();
      }
    }
  }
}
