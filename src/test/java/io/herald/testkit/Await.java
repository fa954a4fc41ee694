package io.herald.testkit;

import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Polling waits for conditions that have no event to wait on. */
public final class Await {

  private Await() {
  }

  /**
   * Polls {@code condition} every 10 ms until it is true.
   *
   * @throws AssertionError naming {@code what} when it is still false after {@code timeout}; an exception thrown by
   *                        the condition on the last poll is attached as the cause
   */
  public static void until(BooleanSupplier condition, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
        last = null;
      } catch (RuntimeException e) {
        last = e;
      }
      if (System.nanoTime() - deadline >= 0) {
        AssertionError err = new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
        if (last != null) {
          err.initCause(last);
        }
        throw err;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for: " + what, e);
      }
    }
  }

  /**
   * Blocks the calling (non event-loop) thread until {@code future} completes, at most {@code timeout}.
   *
   * @return the future's result
   * @throws AssertionError naming {@code what} on timeout or failure (the failure is the cause)
   */
  public static <T> T result(Future<T> future, Duration timeout, String what) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new AssertionError(what + " failed: " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for: " + what, e);
    }
  }
}
