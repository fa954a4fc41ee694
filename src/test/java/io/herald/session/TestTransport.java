package io.herald.session;

import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

/**
 * A {@link ClientTransport} with no socket behind it: it records what the session core does to a connection (every
 * write with its address and decoded JSON, closes, pauses, resumes, pings) so that a test can see it, and lets the test
 * decide whether the connection is writable and when it becomes writable again. Error and topics-revoked messages are
 * plain JSON objects ({@code {"type":"Error","code","message"}}, {@code {"type":"Unsubscribed","topics","all_topics"}}).
 *
 * <p>The core calls it on its event loop; the test reads it from its own thread, so every access is synchronised and
 * the awaits block (bounded) on this object's monitor until the core has done what they wait for.
 */
final class TestTransport implements ClientTransport {

  /** One message written: the event-bus address it was delivered from (null: a frame of the session itself). */
  record Written(String address, JsonObject json, long atNanos) {

    String type() {
      return json.getString("type");
    }

    /** The offset of a positioned notification (0 when it has none). */
    long offset() {
      return json.getLong("offset", 0L);
    }
  }

  /** One close the core started, with when (wall clock, as token expiries are measured). */
  record Closed(CloseCode code, ErrorCode error, String detail, long atMillis) {
  }

  private final List<Written> writes = new ArrayList<>();
  private final List<Closed> closes = new ArrayList<>();
  private int pauses;
  private int resumes;
  private int pings;
  private boolean writable = true;
  /** Writes left before the transport is full again ({@link #writableFor}); negative: no limit. */
  private int writesBeforeFull = -1;
  private Runnable writableHandler;

  @Override
  public synchronized void write(String address, byte[] message) {
    writes.add(new Written(address, new JsonObject(new String(message, StandardCharsets.UTF_8)), System.nanoTime()));
    if (writesBeforeFull > 0 && --writesBeforeFull == 0) {
      writable = false;
    }
    notifyAll();
  }

  @Override
  public synchronized boolean writable() {
    return writable;
  }

  @Override
  public synchronized void onWritable(Runnable handler) {
    writableHandler = handler;
  }

  @Override
  public byte[] errorMessage(ErrorCode code, String message) {
    return new JsonObject().put("type", "Error").put("code", code.wireName()).put("message", message).encode()
        .getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] topicsRevokedMessage(List<String> revoked, Collection<String> remaining) {
    return new JsonObject().put("type", "Unsubscribed").put("topics", new JsonArray(revoked))
        .put("all_topics", new JsonArray(new ArrayList<>(remaining))).encode().getBytes(StandardCharsets.UTF_8);
  }

  /** Records the close; the connection is closed at once (the core then releases the session). */
  @Override
  public synchronized Future<Void> close(CloseCode code, ErrorCode error, String detail) {
    closes.add(new Closed(code, error, detail, System.currentTimeMillis()));
    notifyAll();
    return Future.succeededFuture();
  }

  @Override
  public synchronized void ping() {
    pings++;
  }

  @Override
  public synchronized void pause() {
    pauses++;
  }

  @Override
  public synchronized void resume() {
    resumes++;
  }

  /** Makes the connection writable or not, as its high-water mark would; the core reads it after each write. */
  synchronized void writable(boolean writable) {
    this.writable = writable;
    writesBeforeFull = -1;
  }

  /** Makes the connection writable for {@code writes} more messages only: it is full again after them. */
  synchronized void writableFor(int writes) {
    writable = true;
    writesBeforeFull = writes;
  }

  /** The handler the core installed for the connection becoming writable again; null when none was installed. */
  synchronized Runnable writableHandler() {
    return writableHandler;
  }

  synchronized List<Written> writes() {
    return List.copyOf(writes);
  }

  /** The writes of the given message type, in order. */
  synchronized List<Written> writes(String type) {
    return writes.stream().filter(w -> type.equals(w.type())).toList();
  }

  synchronized List<Closed> closes() {
    return List.copyOf(closes);
  }

  synchronized int pauses() {
    return pauses;
  }

  synchronized int resumes() {
    return resumes;
  }

  synchronized int pings() {
    return pings;
  }

  /** Waits until {@code count} messages matching {@code which} have been written; returns them. */
  synchronized List<Written> awaitWrites(Predicate<Written> which, int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Written> matching = writes.stream().filter(which).toList();
      if (matching.size() >= count) {
        return matching;
      }
      waitUntil(deadline, "timed out waiting for " + count + " matching writes; written: " + writes);
    }
  }

  /** Waits for the first close the core starts; returns it. */
  synchronized Closed awaitClose(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (closes.isEmpty()) {
      waitUntil(deadline, "timed out waiting for a close; written: " + writes);
    }
    return closes.get(0);
  }

  private void waitUntil(long deadline, String failure) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new AssertionError(failure);
    }
    try {
      wait(Math.max(1, left / 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: " + failure, e);
    }
  }
}
