package io.herald.bench;

/** A wall clock in nanoseconds built on {@link System#nanoTime()}: monotonic, and comparable across the generator's threads. */
public final class BenchClock {

  private static final long BASE_WALL = System.currentTimeMillis() * 1_000_000L;
  private static final long BASE_NANO = System.nanoTime();

  private BenchClock() {
  }

  public static long nanos() {
    return BASE_WALL + (System.nanoTime() - BASE_NANO);
  }
}
