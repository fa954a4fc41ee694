package io.herald.testkit;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes unicast notifications at a steady rate on a thread of its own, round-robin over the users, for a
 * bounded time: each gets an index from the {@link DeliveryLedger}, is handed to the ingress through {@link Send}
 * (asynchronous, at most {@code window} unanswered) and counted accepted when the ingress answers; one the ingress
 * refuses (NATS or Redis down) is sent again, with the same id, until accepted or the publisher has run its time
 * plus a minute. Traffic goes to loopback only and stops by itself.
 */
public final class SteadyPublisher {

  /** Hands notification {@code index} (id, user from the ledger) to the ingress; completes when it is accepted. */
  @FunctionalInterface
  public interface Send {
    CompletionStage<?> send(int index, String id, String user);
  }

  private final DeliveryLedger ledger;
  private final List<String> users;
  private final Send send;
  private final int ratePerSec;
  private final Semaphore window;
  private final int windowSize;
  private final ConcurrentLinkedQueue<Integer> retries = new ConcurrentLinkedQueue<>();
  private final AtomicInteger refused = new AtomicInteger();
  private final AtomicInteger published = new AtomicInteger();
  private final Thread thread;
  private volatile boolean stopRequested;
  private volatile Throwable failure;

  public SteadyPublisher(DeliveryLedger ledger, List<String> users, Send send, int ratePerSec, int window,
                         Duration duration) {
    this.ledger = ledger;
    this.users = List.copyOf(users);
    this.send = send;
    this.ratePerSec = ratePerSec;
    this.window = new Semaphore(window);
    this.windowSize = window;
    this.thread = new Thread(() -> run(duration), "steady-publisher");
    this.thread.setDaemon(true);
  }

  public SteadyPublisher start() {
    thread.start();
    return this;
  }

  /** Notifications handed to the ingress so far (first attempts). */
  public int published() {
    return published.get();
  }

  /** Sends the ingress refused (and that were sent again). */
  public int refused() {
    return refused.get();
  }

  /** Ends the publishing early; the retries of refused sends go on until accepted. */
  public void stop() {
    stopRequested = true;
  }

  /** Waits until the run is over and every notification accepted or given up; fails on a publisher error. */
  public void await(Duration timeout) {
    try {
      thread.join(timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    if (thread.isAlive()) {
      stop();
      throw new AssertionError("publisher still running after " + timeout.toMillis() + " ms");
    }
    if (failure != null) {
      throw new AssertionError("publisher failed", failure);
    }
  }

  private void run(Duration duration) {
    try {
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      long interval = TimeUnit.SECONDS.toNanos(1) / ratePerSec;
      long nextAt = start;
      int n = 0;
      while (!stopRequested && System.nanoTime() < end) {
        drainRetries();
        long wait = nextAt - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
          continue;
        }
        int index = ledger.allocate(users.get(n++ % users.size()));
        if (index < 0) {
          break;
        }
        published.incrementAndGet();
        attempt(index);
        nextAt += interval;
      }
      long giveUpAt = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (System.nanoTime() < giveUpAt && (window.availablePermits() < windowSize || !retries.isEmpty())) {
        drainRetries();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    } catch (RuntimeException | Error e) {
      failure = e;
    }
  }

  private void drainRetries() {
    Integer again;
    while ((again = retries.poll()) != null) {
      // Pause a little between retries while the ingress refuses: it is down, not busy.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
      attempt(again);
    }
  }

  private void attempt(int index) {
    window.acquireUninterruptibly();
    CompletionStage<?> sent;
    try {
      sent = send.send(index, ledger.id(index), ledger.user(index));
    } catch (RuntimeException refusedAtOnce) {
      window.release();
      refused.incrementAndGet();
      retries.add(index);
      return;
    }
    sent.whenComplete((ok, error) -> {
      window.release();
      if (error == null) {
        ledger.accepted(index);
      } else {
        refused.incrementAndGet();
        retries.add(index);
      }
    });
  }
}
