package io.herald.socket.bridge;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.function.BiPredicate;

/**
 * A bridge socket as vertx-web's event-bus bridge sees it: the SockJS socket of any transport, with Herald in front of
 * both directions. {@code EventBusBridge} hands this wrapper, not vertx-web's socket, to the bridge implementation, so:
 *
 * <ul>
 *   <li><b>Inbound</b>, every bridge message (one per raw WebSocket frame; each element of a SockJS frame or
 *       {@code xhr_send} body) goes through {@code inbound} before the bridge parses it. vertx-web answers invalid
 *       JSON, a missing address or an unknown type with an {@code err} frame before any bridge hook runs, and logs
 *       the unknown type raw at ERROR: the guard rate-limits and validates first, so those messages never reach it.</li>
 *   <li><b>Outbound</b>, {@link #writeQueueFull()} counts the bytes written and not yet handed to the connection
 *       (a write's future completes when the transport's own write does). vertx-web's SockJS session counts only its
 *       own queue, emptied at each flush into a WebSocket or HTTP response that never pushes back, so only this count
 *       sees a client that stops reading, and it does so on every transport.</li>
 * </ul>
 *
 * Everything runs on the event loop of the socket verticle that serves the bridge: writes come from the bridge's
 * consumers on that loop, and their futures complete there.
 */
final class GuardedSocket implements SockJSSocket {

  private final SockJSSocket delegate;
  private final BiPredicate<GuardedSocket, Buffer> inbound;
  private int maxPendingBytes = Integer.MAX_VALUE;
  private long pendingBytes;
  private Handler<Void> drainHandler;

  /**
   * @param inbound decides each message from the client before the bridge sees it: true passes it on, false drops it
   *                (the guard answers or closes the socket itself)
   */
  GuardedSocket(SockJSSocket delegate, BiPredicate<GuardedSocket, Buffer> inbound) {
    this.delegate = delegate;
    this.inbound = inbound;
  }

  /** vertx-web's socket, for what only it can do (its close frame, see {@link SockJsFrames}). */
  SockJSSocket delegate() {
    return delegate;
  }

  /** Bytes written to this socket whose write has not completed yet. */
  long pendingBytes() {
    return pendingBytes;
  }

  @Override
  public SockJSSocket handler(Handler<Buffer> handler) {
    delegate.handler(handler == null ? null : data -> {
      if (inbound.test(this, data)) {
        handler.handle(data);
      }
    });
    return this;
  }

  @Override
  public Future<Void> write(Buffer data) {
    return track(data.length(), delegate.write(data));
  }

  @Override
  public Future<Void> write(String data) {
    return track(data.length(), delegate.write(data));
  }

  private Future<Void> track(int bytes, Future<Void> written) {
    pendingBytes += bytes;
    return written.andThen(ar -> {
      boolean wasFull = writeQueueFull();
      pendingBytes -= bytes;
      Handler<Void> drained = drainHandler;
      if (wasFull && pendingBytes <= maxPendingBytes / 2 && drained != null) {
        drained.handle(null);
      }
    });
  }

  /** Full while at least {@code maxSize} written bytes have not been handed to the connection. */
  @Override
  public SockJSSocket setWriteQueueMaxSize(int maxSize) {
    this.maxPendingBytes = maxSize;
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return pendingBytes >= maxPendingBytes;
  }

  /** Called every time the pending bytes fall to half the limit after the queue was full (not only once). */
  @Override
  public SockJSSocket drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    return this;
  }

  @Override
  public SockJSSocket exceptionHandler(Handler<Throwable> handler) {
    delegate.exceptionHandler(handler);
    return this;
  }

  @Override
  public SockJSSocket pause() {
    delegate.pause();
    return this;
  }

  @Override
  public SockJSSocket resume() {
    delegate.resume();
    return this;
  }

  @Override
  public SockJSSocket fetch(long amount) {
    delegate.fetch(amount);
    return this;
  }

  @Override
  public SockJSSocket endHandler(Handler<Void> handler) {
    delegate.endHandler(handler);
    return this;
  }

  @Override
  public SockJSSocket closeHandler(Handler<Void> handler) {
    delegate.closeHandler(handler);
    return this;
  }

  @Override
  public String writeHandlerID() {
    return delegate.writeHandlerID();
  }

  @Override
  public Future<Void> end() {
    return delegate.end();
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public void close(int statusCode, String reason) {
    delegate.close(statusCode, reason);
  }

  @Override
  public SocketAddress remoteAddress() {
    return delegate.remoteAddress();
  }

  @Override
  public SocketAddress localAddress() {
    return delegate.localAddress();
  }

  @Override
  public MultiMap headers() {
    return delegate.headers();
  }

  @Override
  public String uri() {
    return delegate.uri();
  }

  @Override
  public RoutingContext routingContext() {
    return delegate.routingContext();
  }

  @Override
  public Session webSession() {
    return delegate.webSession();
  }

  @Override
  public User webUser() {
    return delegate.webUser();
  }
}
