package io.herald.session;

import io.herald.model.Notification;
import io.herald.state.AppendResult;
import io.herald.state.HistoryStore;
import io.herald.state.Position;
import io.herald.state.Replay;
import io.herald.state.StoredNotification;
import io.herald.state.StreamKey;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A real (in-memory) history store whose replay reads ({@link #since}) a test can hold back: the read happens when it
 * is asked for, but its answer is handed over only when the test opens the gate, as a slow Redis would. This is how a
 * test publishes live notifications while a session's replay is being read. It also counts the reads, and can fail
 * the next ones as an unreachable Redis would.
 */
final class GatedHistoryStore implements HistoryStore {

  private final HistoryStore delegate;
  /** While non-null, replay answers wait for it. */
  private Promise<Void> gate;
  /** Completed when a replay read is asked for while the gate is closed. */
  private CompletableFuture<Void> replayRequested = new CompletableFuture<>();
  private int reads;
  private int positionReads;
  private int readsToFail;
  private int failedReads;

  GatedHistoryStore(HistoryStore delegate) {
    this.delegate = delegate;
  }

  /** Holds back the answers of the next replay reads until {@link #release}; returns when one is asked for. */
  synchronized CompletableFuture<Void> holdReplays() {
    gate = Promise.promise();
    replayRequested = new CompletableFuture<>();
    return replayRequested;
  }

  /** Hands the held answers over; call it on the session core's event loop (their callbacks run there). */
  void release() {
    Promise<Void> held;
    synchronized (this) {
      held = gate;
      gate = null;
    }
    if (held != null) {
      held.complete();
    }
  }

  /** Fails the next {@code count} reads ({@link #since}). */
  synchronized void failNextReads(int count) {
    readsToFail = count;
  }

  /** How many reads ({@link #since}) were asked for. */
  synchronized int reads() {
    return reads;
  }

  /** How many reads of a stream's current position ({@link #current}) were asked for. */
  synchronized int positionReads() {
    return positionReads;
  }

  /** How many reads were failed by {@link #failNextReads}. */
  synchronized int failedReads() {
    return failedReads;
  }

  @Override
  public Future<Replay> since(StreamKey stream, String epoch, long lastOffset) {
    synchronized (this) {
      reads++;
      if (readsToFail > 0) {
        readsToFail--;
        failedReads++;
        return Future.failedFuture(new IllegalStateException("history unreachable (test)"));
      }
    }
    Future<Replay> read = delegate.since(stream, epoch, lastOffset);
    Promise<Void> held;
    CompletableFuture<Void> requested;
    synchronized (this) {
      held = gate;
      requested = replayRequested;
    }
    if (held == null) {
      return read;
    }
    requested.complete(null);
    return held.future().compose(v -> read);
  }

  @Override
  public Future<AppendResult> appendForUser(String tenant, String userId, Notification notification) {
    return delegate.appendForUser(tenant, userId, notification);
  }

  @Override
  public Future<Position> append(StreamKey stream, Notification notification) {
    return delegate.append(stream, notification);
  }

  @Override
  public Future<Position> current(StreamKey stream) {
    synchronized (this) {
      positionReads++;
    }
    return delegate.current(stream);
  }

  @Override
  public Future<List<StoredNotification>> takeOfflineQueue(String tenant, String userId) {
    return delegate.takeOfflineQueue(tenant, userId);
  }

  @Override
  public Future<Optional<QueueTake>> lastQueueTake(String tenant, String userId) {
    return delegate.lastQueueTake(tenant, userId);
  }
}
