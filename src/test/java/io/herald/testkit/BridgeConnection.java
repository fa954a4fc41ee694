package io.herald.testkit;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A test client of the SockJS event-bus bridge ({@code /eventbus}), speaking the bridge's JSON messages
 * ({@code register}, {@code send}, {@code rec}, {@code err}, ...) over one of its transports (subclasses). Driven from
 * JUnit threads: received messages are queued, and the waits take them in order, keeping those a wait skipped for the
 * next one.
 */
public abstract class BridgeConnection implements AutoCloseable {

  /**
   * Default wait of the methods without a timeout: generous, since the suite shares two cores with other builds and
   * a first request on a cold node can take seconds there.
   */
  public static final Duration WAIT = Duration.ofSeconds(10);

  /** Messages received, as the transport parsed them; filled by the transport's thread. */
  protected final LinkedBlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  /** The close code and reason the server sent, or a 1006-like close when the connection just ended. */
  protected final CompletableFuture<CloseInfo> closed = new CompletableFuture<>();
  /** Messages a wait skipped: the next waits look at them first. Test thread only. */
  private final List<JsonObject> skipped = new ArrayList<>();

  /** Sends one bridge message. */
  public abstract BridgeConnection write(JsonObject message);

  public BridgeConnection register(String address) {
    return register(address, null);
  }

  public BridgeConnection register(String address, JsonObject headers) {
    return write(withHeaders(new JsonObject().put("type", "register").put("address", address), headers));
  }

  public BridgeConnection unregister(String address) {
    return write(new JsonObject().put("type", "unregister").put("address", address));
  }

  public BridgeConnection ping() {
    return write(new JsonObject().put("type", "ping"));
  }

  /** A {@code send}; {@code replyAddress} may be null (no reply expected). */
  public BridgeConnection send(String address, Object body, JsonObject headers, String replyAddress) {
    JsonObject send = withHeaders(new JsonObject().put("type", "send").put("address", address).put("body", body), headers);
    if (replyAddress != null) {
      send.put("replyAddress", replyAddress);
    }
    return write(send);
  }

  /** Sends a request and waits for its answer: the {@code rec} (reply) or {@code err} (failure) for its reply label. */
  public JsonObject request(String address, JsonObject body) {
    return request(address, body, null);
  }

  public JsonObject request(String address, JsonObject body, JsonObject headers) {
    String label = UUID.randomUUID().toString();
    send(address, body, headers, label);
    return await(m -> label.equals(m.getString("address")), WAIT, "the answer to " + address);
  }

  /** The reply body of a request that must succeed. */
  public JsonObject call(String address, JsonObject body) {
    JsonObject answer = request(address, body);
    if (!"rec".equals(answer.getString("type"))) {
      throw new AssertionError("request to " + address + " failed: " + answer.encode());
    }
    return answer.getJsonObject("body");
  }

  /** The next {@code rec} on {@code address}. */
  public JsonObject awaitOn(String address, Duration timeout) {
    return await(m -> "rec".equals(m.getString("type")) && address.equals(m.getString("address")), timeout,
        "a message on " + address);
  }

  /** The next {@code err} message. */
  public JsonObject awaitError(Duration timeout) {
    return await(m -> "err".equals(m.getString("type")), timeout, "an err message");
  }

  /** The first message (skipped ones first, then new ones) matching {@code condition}; the others stay queued. */
  public JsonObject await(Predicate<JsonObject> condition, Duration timeout, String what) {
    for (Iterator<JsonObject> it = skipped.iterator(); it.hasNext(); ) {
      JsonObject m = it.next();
      if (condition.test(m)) {
        it.remove();
        return m;
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonObject m = poll(deadline - System.nanoTime());
      if (m == null) {
        throw new AssertionError("no " + what + " within " + timeout.toMillis() + " ms; received meanwhile: " + skipped
            + (closed.isDone() ? " (closed: " + closed.getNow(null) + ")" : ""));
      }
      if (condition.test(m)) {
        return m;
      }
      skipped.add(m);
    }
  }

  /** Fails if any message arrives (or is already queued) within {@code quiet}. */
  public void assertNothing(Duration quiet) {
    if (!skipped.isEmpty()) {
      throw new AssertionError("expected no message, but had " + skipped);
    }
    JsonObject m = poll(quiet.toNanos());
    if (m != null) {
      throw new AssertionError("expected no message for " + quiet.toMillis() + " ms, got " + m.encode());
    }
  }

  /** Every message received so far and not yet taken. */
  public List<JsonObject> drain() {
    List<JsonObject> all = new ArrayList<>(skipped);
    skipped.clear();
    received.drainTo(all);
    return all;
  }

  public CloseInfo awaitClose(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("bridge connection not closed within " + timeout.toMillis() + " ms; received: " + drain());
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /**
   * Handles one SockJS frame of a session transport: {@code o} (open), {@code h} (heartbeat), {@code a[...]}
   * (messages, each a JSON string) and {@code c[code,"reason"]} (close).
   */
  protected void onSockJsFrame(String frame) {
    if (frame.startsWith("a")) {
      for (Object message : new JsonArray(frame.substring(1))) {
        received.add(new JsonObject((String) message));
      }
    } else if (frame.startsWith("c")) {
      JsonArray close = new JsonArray(frame.substring(1));
      closed.complete(new CloseInfo(close.getInteger(0).shortValue(), close.getString(1)));
    }
  }

  private static JsonObject withHeaders(JsonObject message, JsonObject headers) {
    return headers == null ? message : message.put("headers", headers);
  }

  private JsonObject poll(long nanos) {
    try {
      return received.poll(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
