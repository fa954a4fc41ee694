package io.herald.socket.bridge;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a bridge socket with a close code and reason the client sees.
 *
 * <p>The raw WebSocket endpoint ({@code /eventbus/websocket}) supports it through {@link SockJSSocket#close(int, String)}.
 * A SockJS session (the WebSocket and XHR transports sockjs-client uses) does not in vertx-web 5.0.10: its
 * {@code close()} always sends the close frame {@code c[3000,"Go away!"]}, and {@code close(int, String)} falls back to
 * it. The SockJS protocol allows any code in that frame, and the session has the method that writes it
 * ({@code writeClosed(listener, code, reason)}, private): this class calls it on the session's transport context,
 * then closes the session (whose own close frame, sent after ours, is ignored by clients). Should a later vertx-web
 * drop that method, sessions close with 3000 and a warning is logged once; the close-code assertions of {@code BridgeLimitsIT} (4029, 4010, 4011 over SockJS transports) then fail.
 */
final class SockJsClose {

  private static final Logger log = LoggerFactory.getLogger(SockJsClose.class);
  private static final String SESSION_CLASS = "io.vertx.ext.web.handler.sockjs.impl.SockJSSession";

  private static final Class<?> SESSION;
  private static final Field LISTENER;
  private static final Field TRANSPORT_CONTEXT;
  private static final Method WRITE_CLOSED;

  static {
    Class<?> session = null;
    Field listener = null;
    Field transportContext = null;
    Method writeClosed = null;
    try {
      session = Class.forName(SESSION_CLASS);
      listener = session.getDeclaredField("listener");
      transportContext = session.getDeclaredField("transportCtx");
      writeClosed = session.getDeclaredMethod("writeClosed", listener.getType(), int.class, String.class);
      listener.setAccessible(true);
      transportContext.setAccessible(true);
      writeClosed.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("SockJS sessions will close with code 3000 instead of Herald's close codes: {}", e.toString());
      writeClosed = null;
    }
    SESSION = session;
    LISTENER = listener;
    TRANSPORT_CONTEXT = transportContext;
    WRITE_CLOSED = writeClosed;
  }

  private SockJsClose() {
  }

  /** Sends a close frame with {@code code} and {@code reason} (a short identifier, no quotes) and closes the socket. */
  static void close(SockJSSocket bridgeSocket, int code, String reason) {
    SockJSSocket socket = bridgeSocket instanceof GuardedSocket guarded ? guarded.delegate() : bridgeSocket;
    if (WRITE_CLOSED == null || !SESSION.isInstance(socket)) {
      socket.close(code, reason);
      return;
    }
    Context transport;
    try {
      transport = (Context) TRANSPORT_CONTEXT.get(socket);
    } catch (IllegalAccessException e) {
      socket.close();
      return;
    }
    if (transport == null || transport == Vertx.currentContext()) {
      writeCloseFrame(socket, code, reason);
    } else {
      transport.runOnContext(v -> writeCloseFrame(socket, code, reason));
    }
  }

  private static void writeCloseFrame(SockJSSocket session, int code, String reason) {
    try {
      Object listener = LISTENER.get(session);
      // Without a transport attached (a polling client between two polls) the frame cannot be written now: the
      // session then answers the next poll with its own close frame.
      if (listener != null) {
        WRITE_CLOSED.invoke(session, listener, code, reason);
      }
    } catch (ReflectiveOperationException e) {
      log.debug("could not write the close frame {}: {}", code, e.toString());
    }
    session.close();
  }
}
