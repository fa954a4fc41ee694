package io.herald.ingress;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hands items produced on a foreign thread (a jnats dispatcher) to a Vert.x context in batches: one context
 * task drains everything queued so far, instead of one task — and one event-loop wake-up — per item.
 *
 * <p>The queue is bounded: when the context falls {@code capacity} items behind, {@link #offer} blocks the
 * producing thread (never an event loop), which pushes back into the producer's own bounded buffer — for
 * NATS, the subscription's pending limit, past which the server reports a slow consumer.
 */
final class ContextHandOff<T> {

  /** Most items handled in one context task before yielding the event loop to other work. */
  static final int MAX_BATCH = 1024;

  private final Context context;
  private final Handler<T> handler;
  private final ArrayBlockingQueue<T> queue;
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  private final Runnable drain = this::drain;

  ContextHandOff(Context context, int capacity, Handler<T> handler) {
    this.context = context;
    this.handler = handler;
    this.queue = new ArrayBlockingQueue<>(capacity);
  }

  /** Queues {@code item} for the context, waiting while the queue is full; called off the event loop. */
  void offer(T item) throws InterruptedException {
    queue.put(item);
    if (drainScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain.run());
    }
  }

  private void drain() {
    List<T> batch = new ArrayList<>(Math.min(MAX_BATCH, Math.max(16, queue.size())));
    queue.drainTo(batch, MAX_BATCH);
    for (T item : batch) {
      handler.handle(item);
    }
    // Clear the flag before looking again: an item offered after the drainTo either sees the flag cleared
    // and schedules its own drain, or is seen by the check below.
    drainScheduled.set(false);
    if (!queue.isEmpty() && drainScheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain.run());
    }
  }
}
