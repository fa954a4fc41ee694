package io.herald.session;

import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.runtime.NodeInfo;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The one writer of every session, with the slow-client rule: while the transport is not writable (its own buffer past
 * {@code write_queue_max_bytes}) messages wait in a queue of at most {@code slow_client_max_pending}; the client is
 * disconnected with {@link CloseCode#SLOW_CLIENT} when that queue overflows or the transport stays unwritable for
 * {@code slow_client_grace_secs}. The frames of a replay (a resume, an offline-queue take) wait without counting
 * against that bound: a replay is read from history in one piece, bounded by {@code history_size} per stream, and a
 * client catching up after an absence is not slow — counted, a replay longer than the bound would close it again
 * each time it resumed. A client that stops reading therefore never makes the node hold more than about
 * {@code write_queue_max_bytes} plus {@code slow_client_max_pending} live messages plus one replay.
 */
public final class BoundedWriter {

  /** A message waiting for a slow client, with the address it was delivered from; {@code replayed} for a replay's. */
  record Outgoing(String address, byte[] message, boolean replayed) {
  }

  /** How the writer closes a session (the lifecycle's close). */
  interface Closer {
    void close(Session s, CloseCode code, String reason);
  }

  private final Vertx vertx;
  private final NodeInfo node;
  private final int maxPending;
  private final long graceMs;
  private final Closer closer;

  BoundedWriter(Vertx vertx, NodeInfo node, int slowClientMaxPending, int slowClientGraceSecs, Closer closer) {
    this.vertx = vertx;
    this.node = node;
    this.maxPending = slowClientMaxPending;
    this.graceMs = TimeUnit.SECONDS.toMillis(slowClientGraceSecs);
    this.closer = closer;
  }

  /** Writes a session frame (no address); see {@link #write(Session, String, byte[])}. */
  public boolean write(Session s, String message) {
    return write(s, null, message.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes a message unless the session is closing; false when nothing was written or queued (closing, or the
   * client was just disconnected as slow).
   */
  public boolean write(Session s, String address, byte[] message) {
    return write(s, address, message, false);
  }

  /**
   * Writes a message, a replay's when {@code replayed} (it may wait beyond {@code slow_client_max_pending}); false
   * when nothing was written or queued.
   */
  boolean write(Session s, String address, byte[] message, boolean replayed) {
    if (s.closing) {
      return false;
    }
    if (s.pending != null) {
      if (!replayed && s.pending.size() - s.pendingReplayed >= maxPending) {
        closer.close(s, CloseCode.SLOW_CLIENT, null);
        return false;
      }
      s.pending.add(new Outgoing(address, message, replayed));
      if (replayed) {
        s.pendingReplayed++;
      }
      return true;
    }
    s.transport.write(address, message);
    if (!s.transport.writable()) {
      s.pending = new ArrayDeque<>();
      s.slowTimer = vertx.setTimer(graceMs, id -> {
        s.slowTimer = Session.NO_TIMER;
        closer.close(s, CloseCode.SLOW_CLIENT, null);
      });
      if (!s.writabilityWatched) {
        s.writabilityWatched = true;
        s.transport.onWritable(() -> flushPending(s));
      }
    }
    return true;
  }

  /** Writes the transport's error message (when its protocol has one) and counts the error. */
  public void sendError(Session s, ErrorCode code, String message) {
    node.metrics().clientError();
    byte[] error = s.transport.errorMessage(code, message);
    if (error != null) {
      write(s, null, error);
    }
  }

  /** Whether the session is keeping up (nothing waits for it). */
  boolean keepingUp(Session s) {
    return s.pending == null;
  }

  private void flushPending(Session s) {
    if (s.closing || s.pending == null) {
      return;
    }
    while (!s.pending.isEmpty() && s.transport.writable()) {
      Outgoing next = s.pending.poll();
      if (next.replayed()) {
        s.pendingReplayed--;
      }
      s.transport.write(next.address(), next.message());
    }
    if (s.pending.isEmpty() && s.transport.writable()) {
      s.pending = null;
      cancel(s.slowTimer);
      s.slowTimer = Session.NO_TIMER;
    }
  }

  private void cancel(long timer) {
    if (timer != Session.NO_TIMER) {
      vertx.cancelTimer(timer);
    }
  }
}
