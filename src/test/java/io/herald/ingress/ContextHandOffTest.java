package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.Await;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ContextHandOffTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private Vertx vertx;
  private Context context;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() {
    Await.result(vertx.close(), WAIT, "vertx closed");
  }

  @Test
  void everyItemReachesTheContextInOfferOrder() throws Exception {
    List<Integer> received = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean offContext = new AtomicBoolean();
    ContextHandOff<Integer> handOff = new ContextHandOff<>(context, 128, item -> {
      if (Vertx.currentContext() != context) {
        offContext.set(true);
      }
      received.add(item);
    });
    int count = 20_000;
    Thread producer = new Thread(() -> {
      try {
        for (int i = 0; i < count; i++) {
          handOff.offer(i);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    producer.start();
    producer.join(WAIT.toMillis());
    Await.until(() -> received.size() == count, WAIT, "all items handled");
    synchronized (received) {
      for (int i = 0; i < count; i++) {
        assertEquals(i, received.get(i), "item " + i + " out of order");
      }
    }
    assertFalse(offContext.get(), "an item was handled off the context");
  }

  @Test
  void aBurstIsHandledInOneContextTask() throws Exception {
    CountDownLatch release = blockContext();
    AtomicInteger handled = new AtomicInteger();
    ContextHandOff<Integer> handOff = new ContextHandOff<>(context, 1000, item -> handled.incrementAndGet());
    for (int i = 0; i < 500; i++) {
      handOff.offer(i);
    }
    // The first offer scheduled the drain; this marker task is queued after it. One drain task handles the
    // whole burst, so by the time the marker runs every item has been handled.
    AtomicInteger handledWhenMarkerRan = new AtomicInteger(-1);
    context.runOnContext(v -> handledWhenMarkerRan.set(handled.get()));
    release.countDown();
    Await.until(() -> handledWhenMarkerRan.get() >= 0, WAIT, "marker task ran");
    assertEquals(500, handledWhenMarkerRan.get(), "500 items queued while the context was busy are handled in one task");
  }

  @Test
  void aFullQueueMakesTheProducerWaitInsteadOfGrowing() throws Exception {
    CountDownLatch release = blockContext();
    AtomicInteger handled = new AtomicInteger();
    ContextHandOff<Integer> handOff = new ContextHandOff<>(context, 4, item -> handled.incrementAndGet());
    AtomicInteger offered = new AtomicInteger();
    Thread producer = new Thread(() -> {
      try {
        for (int i = 0; i < 6; i++) {
          handOff.offer(i);
          offered.incrementAndGet();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    producer.start();
    Await.until(() -> producer.getState() == Thread.State.WAITING, WAIT, "producer waiting on the full queue");
    assertEquals(4, offered.get(), "only the queue's capacity was accepted while the context was busy");
    release.countDown();
    producer.join(WAIT.toMillis());
    Await.until(() -> handled.get() == 6, WAIT, "the waiting items handled once the context is free");
  }

  /** Keeps the context's event loop busy until the returned latch is counted down (at most 10 s). */
  private CountDownLatch blockContext() throws InterruptedException {
    CountDownLatch contextBusy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    context.runOnContext(v -> {
      contextBusy.countDown();
      awaitQuietly(release);
    });
    assertTrue(contextBusy.await(10, TimeUnit.SECONDS));
    return release;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
