package io.herald.testkit;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Blocking-style WebSocket test client over a real Vert.x {@link WebSocketClient}, meant to be driven from JUnit
 * (non event-loop) threads.
 * <p>
 * Every received text message is parsed as JSON (a text that is not a JSON object becomes {@code {"_raw": text}}) and
 * queued; {@link #next}, {@link #awaitType}, {@link #assertNoFrame} and {@link #drain} consume that queue. Binary
 * messages go to a separate queue ({@link #nextBinary}). Pings are answered by Vert.x automatically.
 */
public final class WsClient implements AutoCloseable {

  /** Default wait of {@link #next()} and of the connect methods. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  private final WebSocketClient client; // field reference: a collected client is shut down
  private final Context context;
  private final WebSocket ws;
  private final MultiMap handshakeHeaders;
  private final LinkedBlockingQueue<JsonObject> frames;
  private final LinkedBlockingQueue<Buffer> binaryFrames;
  private final CompletableFuture<CloseInfo> closed;
  private final List<Throwable> errors;

  private WsClient(WebSocketClient client, Context context, WebSocket ws, MultiMap handshakeHeaders,
                   LinkedBlockingQueue<JsonObject> frames, LinkedBlockingQueue<Buffer> binaryFrames,
                   CompletableFuture<CloseInfo> closed, List<Throwable> errors) {
    this.client = client;
    this.context = context;
    this.ws = ws;
    this.handshakeHeaders = handshakeHeaders;
    this.frames = frames;
    this.binaryFrames = binaryFrames;
    this.closed = closed;
    this.errors = errors;
  }

  /** Client options used by {@link #connect(Vertx, int, String)}: generous frame/message limits, 5 s connect timeout. */
  public static WebSocketClientOptions defaultClientOptions() {
    return new WebSocketClientOptions()
      .setConnectTimeout((int) DEFAULT_TIMEOUT.toMillis())
      .setMaxFrameSize(1 << 20)
      .setMaxMessageSize(1 << 24);
  }

  /**
   * Connects to {@code ws://localhost:port + pathAndQuery} (e.g. {@code "/ws"} or {@code "/ws?token=..."}), waiting
   * up to 5 s.
   *
   * @throws AssertionError carrying the cause when the connection or the upgrade fails
   */
  public static WsClient connect(Vertx vertx, int port, String pathAndQuery) {
    WebSocketConnectOptions options = new WebSocketConnectOptions()
      .setHost("localhost")
      .setPort(port)
      .setURI(pathAndQuery);
    return connect(vertx, options, defaultClientOptions());
  }

  /**
   * General form: headers, Origin, sub-protocols... go in {@code options}; compression offer and limits in
   * {@code clientOptions} ({@code null} means {@link #defaultClientOptions()}). Waits up to 5 s.
   *
   * @throws AssertionError carrying the cause when the connection or the upgrade fails
   */
  public static WsClient connect(Vertx vertx, WebSocketConnectOptions options, WebSocketClientOptions clientOptions) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(options, "options");
    WebSocketClient client = vertx.createWebSocketClient(clientOptions != null ? clientOptions : defaultClientOptions());
    // A fresh event-loop context: connecting from inside it binds the connection to it, and the handlers below are
    // installed in the same event-loop task that completes the connect, so no frame can be missed.
    Context context = vertx.getOrCreateContext();
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    LinkedBlockingQueue<Buffer> binaryFrames = new LinkedBlockingQueue<>();
    CompletableFuture<CloseInfo> closed = new CompletableFuture<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    Promise<WsClient> promise = Promise.promise();
    context.runOnContext(v -> client.connect(options).onComplete(ar -> {
      if (ar.failed()) {
        promise.fail(ar.cause());
        return;
      }
      WebSocket ws = ar.result();
      MultiMap headers = MultiMap.caseInsensitiveMultiMap();
      if (ws.headers() != null) {
        headers.addAll(ws.headers());
      }
      ws.textMessageHandler(text -> frames.add(parse(text)));
      ws.binaryMessageHandler(binaryFrames::add);
      ws.exceptionHandler(errors::add);
      ws.closeHandler(x -> closed.complete(new CloseInfo(ws.closeStatusCode(), ws.closeReason())));
      promise.complete(new WsClient(client, context, ws, headers, frames, binaryFrames, closed, errors));
    }));
    try {
      return Await.result(promise.future(), DEFAULT_TIMEOUT, "WebSocket connect to " + describe(options));
    } catch (AssertionError e) {
      client.close();
      throw e;
    }
  }

  /**
   * Tries an upgrade that is expected to be refused and returns the HTTP status of the refusal (e.g. 403).
   *
   * @throws AssertionError if the upgrade was accepted (the socket is closed again), or failed for another reason
   *                        than an HTTP refusal, or did not finish within 5 s
   */
  public static int upgradeStatus(Vertx vertx, WebSocketConnectOptions options) {
    return upgradeRejection(vertx, options).getStatus();
  }

  /** Like {@link #upgradeStatus} but returns the whole refusal (status, headers, body). */
  public static UpgradeRejectedException upgradeRejection(Vertx vertx, WebSocketConnectOptions options) {
    WebSocketClient client = vertx.createWebSocketClient(defaultClientOptions());
    try {
      Future<WebSocket> attempt = client.connect(options);
      Future<Object> outcome = attempt.map(ws -> (Object) ws).recover(Future::succeededFuture);
      Object result = Await.result(outcome, DEFAULT_TIMEOUT, "upgrade attempt to " + describe(options));
      if (result instanceof WebSocket ws) {
        Await.result(ws.close().recover(t -> Future.succeededFuture()), DEFAULT_TIMEOUT, "closing accepted socket");
        throw new AssertionError("expected the upgrade to " + describe(options) + " to be refused, but it was accepted");
      }
      if (result instanceof UpgradeRejectedException rejected) {
        return rejected;
      }
      Throwable t = (Throwable) result;
      throw new AssertionError("upgrade to " + describe(options) + " failed without an HTTP refusal: " + t, t);
    } finally {
      client.close();
    }
  }

  // ---------------------------------------------------------------- sending

  /** Sends {@code message} encoded as one text frame; waits for the write (5 s). */
  public WsClient send(JsonObject message) {
    return sendText(message.encode());
  }

  /** Sends {@code raw} as one text frame, as is (malformed JSON tests); waits for the write (5 s). */
  public WsClient sendText(String raw) {
    Await.result(ws.writeTextMessage(raw), DEFAULT_TIMEOUT, "sending text frame");
    return this;
  }

  /** Sends a binary frame; waits for the write (5 s). */
  public WsClient sendBinary(Buffer b) {
    Await.result(ws.writeBinaryMessage(b), DEFAULT_TIMEOUT, "sending binary frame");
    return this;
  }

  // ---------------------------------------------------------------- receiving

  /** The next received text frame, parsed; AssertionError ("no frame within ...") on timeout. */
  public JsonObject next(Duration timeout) {
    JsonObject frame = poll(timeout);
    if (frame == null) {
      throw new AssertionError("no frame within " + timeout.toMillis() + " ms" + closedSuffix());
    }
    return frame;
  }

  /** {@link #next(Duration)} with 5 s. */
  public JsonObject next() {
    return next(DEFAULT_TIMEOUT);
  }

  /**
   * Waits for a text frame whose {@code "type"} equals {@code type}; frames of other types received before it are
   * dropped (their types are listed in the timeout message).
   */
  public JsonObject awaitType(String type, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Object> skipped = new ArrayList<>();
    while (true) {
      long left = deadline - System.nanoTime();
      JsonObject frame = left > 0 ? poll(Duration.ofNanos(left)) : frames.poll();
      if (frame == null) {
        throw new AssertionError("no frame of type \"" + type + "\" within " + timeout.toMillis() + " ms (skipped types: "
          + skipped + ")" + closedSuffix());
      }
      Object t = frame.getValue("type");
      if (type.equals(t)) {
        return frame;
      }
      skipped.add(t);
    }
  }

  /** AssertionError if a text frame arrives (or is already queued) within {@code quietPeriod}. */
  public void assertNoFrame(Duration quietPeriod) {
    JsonObject frame = poll(quietPeriod);
    if (frame != null) {
      throw new AssertionError("expected no frame for " + quietPeriod.toMillis() + " ms but got " + frame.encode());
    }
  }

  /** The text frames received so far (removed from the queue); does not block. */
  public List<JsonObject> drain() {
    List<JsonObject> out = new ArrayList<>();
    frames.drainTo(out);
    return out;
  }

  /** The next received binary message; AssertionError on timeout. */
  public Buffer nextBinary(Duration timeout) {
    try {
      Buffer b = binaryFrames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (b == null) {
        throw new AssertionError("no binary frame within " + timeout.toMillis() + " ms" + closedSuffix());
      }
      return b;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  // ---------------------------------------------------------------- closing

  /**
   * Waits until the socket is closed. {@code code} is the close frame's status, {@code null} when it ended without a
   * close frame (1006-like).
   */
  public CloseInfo awaitClose(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("socket not closed within " + timeout.toMillis() + " ms");
    } catch (java.util.concurrent.ExecutionException e) {
      throw new AssertionError(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** True once the close handler has run. */
  public boolean isClosed() {
    return closed.isDone();
  }

  /** Response headers of the upgrade (e.g. {@code sec-websocket-extensions}); case-insensitive copy. */
  public MultiMap handshakeHeaders() {
    return handshakeHeaders;
  }

  /** Exceptions reported by the socket so far (e.g. a frame larger than the client accepts). */
  public List<Throwable> errors() {
    return List.copyOf(errors);
  }

  /** The underlying Vert.x socket, for anything this kit does not cover. */
  public WebSocket socket() {
    return ws;
  }

  /** Stops reading from the socket (slow-client tests): frames pile up in Vert.x, then TCP pushes back. */
  public WsClient pause() {
    onContext(ws::pause);
    return this;
  }

  /** Resumes reading after {@link #pause()}. */
  public WsClient resume() {
    onContext(ws::resume);
    return this;
  }

  /** Closes the socket if it is open (normal close, 1000) and then the client. Never throws. */
  @Override
  public void close() {
    try {
      if (!closed.isDone()) {
        ws.close().toCompletionStage().toCompletableFuture().get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (Exception ignore) {
      // best effort
    }
    try {
      client.close().toCompletionStage().toCompletableFuture().get(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception ignore) {
      // best effort
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Parses a text frame: a JSON object as is, anything else as {@code {"_raw": text}}. */
  static JsonObject parse(String text) {
    String t = text.strip();
    if (t.startsWith("{")) {
      try {
        return new JsonObject(t);
      } catch (DecodeException | ClassCastException ignore) {
        // fall through
      }
    }
    return new JsonObject().put("_raw", text);
  }

  static String describe(WebSocketConnectOptions o) {
    return "ws://" + (o.getHost() == null ? "localhost" : o.getHost()) + ":" + o.getPort() + o.getURI();
  }

  /** The next frame received within {@code timeout}, or null when none came. */
  public JsonObject poll(Duration timeout) {
    try {
      return frames.poll(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private String closedSuffix() {
    CloseInfo info = closed.getNow(null);
    return info == null ? "" : " (socket closed: " + info + ")";
  }

  private void onContext(Runnable action) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.run();
        done.complete();
      } catch (Throwable t) {
        done.fail(t);
      }
    });
    Await.result(done.future(), DEFAULT_TIMEOUT, "running on the socket's context");
  }
}
