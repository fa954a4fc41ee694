package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * The soak's connection churn: at a steady rate a new connection opens — another device of a random user of the
 * run, joining that user's topics with a {@code Subscribe} —, lives a random while and disconnects for good, as
 * page loads and closed tabs do. Such a connection is owed what arrives while it is open, from a moment only the
 * node knows, so it is not accounted for losses; every notification it receives twice counts as duplicated. At most
 * {@code maxAlive} are open at once.
 */
final class ConnectionChurn {

  private final Vertx vertx;
  private final double perSecond;
  private final Duration longestLife;
  private final int maxAlive;
  private final int population;
  private final IntFunction<BenchClient> clientOf;
  private final SplittableRandom random;
  private final Set<BenchClient> alive = ConcurrentHashMap.newKeySet();
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong duplicated = new AtomicLong();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();
  private volatile boolean stopped;
  private long timer = -1;

  /**
   * @param perSecond   new connections per second; 0 means none
   * @param longestLife each connection lives between a tenth of this and this, uniformly
   * @param population  the persistent clients' indexes: each new connection is a device of the user of one
   * @param clientOf    a new (unopened) client for the user and topics of a persistent client's index
   */
  ConnectionChurn(Vertx vertx, double perSecond, Duration longestLife, int maxAlive, int population, long seed,
                  IntFunction<BenchClient> clientOf) {
    this.vertx = vertx;
    this.perSecond = perSecond;
    this.longestLife = longestLife;
    this.maxAlive = maxAlive;
    this.population = population;
    this.clientOf = clientOf;
    this.random = new SplittableRandom(seed);
  }

  void start() {
    if (perSecond > 0) {
      timer = vertx.setPeriodic(Math.max(1, Math.round(1000 / perSecond)), id -> openOne());
    }
  }

  /** Stops opening and closes the connections still open, counting their duplicates. */
  Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    List<Future<Void>> retired = new ArrayList<>();
    for (BenchClient client : List.copyOf(alive)) {
      retired.add(retire(client));
    }
    return Future.join(retired).mapEmpty();
  }

  long opened() {
    return opened.get();
  }

  long failed() {
    return failed.get();
  }

  /** Duplicates counted so far: those of the connections already closed. */
  long duplicated() {
    return duplicated.get();
  }

  String firstFailure() {
    return firstFailure.get();
  }

  /** Runs on the timer's event loop: the random draws stay on one thread. */
  private void openOne() {
    if (stopped || alive.size() >= maxAlive) {
      return;
    }
    BenchClient client = clientOf.apply(random.nextInt(population));
    long lifeMs = longestLife.toMillis() / 10 + random.nextLong(Math.max(1, longestLife.toMillis() * 9 / 10));
    alive.add(client);
    opened.incrementAndGet();
    client.open().onComplete(ar -> {
      if (ar.failed()) {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, String.valueOf(ar.cause().getMessage()));
        retire(client);
      } else if (stopped) {
        retire(client); // opened while the churn stopped
      } else {
        vertx.setTimer(lifeMs, t -> retire(client));
      }
    });
  }

  /** Closes the client once, then adds its duplicates (all it will ever read) to the count. */
  private Future<Void> retire(BenchClient client) {
    if (!alive.remove(client)) {
      return Future.succeededFuture();
    }
    return client.close().compose(v -> client.duplicates()).map(d -> {
      duplicated.addAndGet(d);
      return null;
    });
  }
}
