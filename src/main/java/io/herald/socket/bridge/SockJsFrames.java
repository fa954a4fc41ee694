package io.herald.socket.bridge;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SockJS frames Herald writes into a SockJS session itself, through the session's private API, because vertx-web's
 * public one does not write them as Herald needs: a close frame with a code, and the heartbeat.
 *
 * <p><b>Close.</b> The raw WebSocket endpoint ({@code /eventbus/websocket}) supports a close code through
 * {@link SockJSSocket#close(int, String)}. A SockJS session (the WebSocket and XHR transports sockjs-client uses) does
 * not in vertx-web 5.0.10: its {@code close()} always sends the close frame {@code c[3000,"Go away!"]}, and
 * {@code close(int, String)} falls back to it. The SockJS protocol allows any code in that frame, and the session has
 * the method that writes it ({@code writeClosed(listener, code, reason)}, private): this class calls it on the
 * session's transport context, then closes the session (whose own close frame, sent after ours, is ignored by
 * clients). Should a later vertx-web drop that method, sessions close with 3000 and a warning is logged once; the
 * close-code assertions of {@code BridgeLimitsIT} (4029, 4010, 4011 over SockJS transports) then fail.
 *
 * <p><b>Heartbeat.</b> vertx-web (5.0.12) writes a session's heartbeat frame {@code h} from a timer on the event loop
 * that created the session, straight into the request that holds the session at that moment. A session's requests
 * come over several connections (each XHR poll, each new XHR stream, a balancer's connection reuse), which the socket
 * verticles take in turn: the request is then often another loop's, and a write from a foreign thread is refused by an
 * HTTP server in strict thread mode (vertx-web's XHR listeners swallow the failure of their {@code end()}, so the
 * request is left unanswered). Herald therefore turns vertx-web's heartbeat off and writes {@code h} itself, through
 * the session's listener ({@code listener.sendFrame}, package-private) on the session's transport context, the loop
 * of the request that holds the session. Should a later vertx-web change these members, {@link #writesHeartbeats()}
 * is false: vertx-web keeps its own heartbeat and the HTTP server does not run in strict thread mode.
 */
final class SockJsFrames {

  private static final Logger log = LoggerFactory.getLogger(SockJsFrames.class);
  private static final String SESSION_CLASS = "io.vertx.ext.web.handler.sockjs.impl.SockJSSession";
  /** A SockJS heartbeat frame. */
  private static final String HEARTBEAT = "h";

  private static final Class<?> SESSION;
  private static final Field LISTENER;
  private static final Field TRANSPORT_CONTEXT;
  private static final Method WRITE_CLOSED;
  private static final Method SEND_FRAME;

  static {
    Class<?> session = null;
    Field listener = null;
    Field transportContext = null;
    Method writeClosed = null;
    Method sendFrame = null;
    try {
      session = Class.forName(SESSION_CLASS);
      listener = session.getDeclaredField("listener");
      transportContext = session.getDeclaredField("transportCtx");
      listener.setAccessible(true);
      transportContext.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("SockJS sessions will close with code 3000 instead of Herald's close codes, and vertx-web writes their "
          + "heartbeats: {}", e.toString());
      listener = null;
    }
    if (listener != null) {
      try {
        writeClosed = session.getDeclaredMethod("writeClosed", listener.getType(), int.class, String.class);
        writeClosed.setAccessible(true);
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.warn("SockJS sessions will close with code 3000 instead of Herald's close codes: {}", e.toString());
        writeClosed = null;
      }
      try {
        sendFrame = listener.getType().getDeclaredMethod("sendFrame", String.class);
        sendFrame.setAccessible(true);
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.warn("vertx-web writes the heartbeats of SockJS sessions: {}", e.toString());
        sendFrame = null;
      }
    }
    SESSION = session;
    LISTENER = listener;
    TRANSPORT_CONTEXT = transportContext;
    WRITE_CLOSED = writeClosed;
    SEND_FRAME = sendFrame;
  }

  private SockJsFrames() {
  }

  /** Whether {@link #heartbeat} writes SockJS sessions' heartbeats (so vertx-web's own must be off). */
  static boolean writesHeartbeats() {
    return SEND_FRAME != null;
  }

  /**
   * Writes a heartbeat frame into the SockJS session of {@code bridgeSocket}, on the loop of the request that holds
   * it; nothing when no request holds it (a polling client between two polls: its next poll is answered at once when
   * something is pending, else by the next heartbeat), nor for a socket of the raw WebSocket endpoint (the raw
   * protocol has no heartbeat frame).
   */
  static void heartbeat(SockJSSocket bridgeSocket) {
    SockJSSocket socket = bridgeSocket instanceof GuardedSocket guarded ? guarded.delegate() : bridgeSocket;
    if (SEND_FRAME == null || !SESSION.isInstance(socket)) {
      return;
    }
    Context transport;
    try {
      transport = (Context) TRANSPORT_CONTEXT.get(socket);
    } catch (IllegalAccessException e) {
      return;
    }
    if (transport == null || transport == Vertx.currentContext()) {
      writeHeartbeat(socket);
    } else {
      transport.runOnContext(v -> writeHeartbeat(socket));
    }
  }

  private static void writeHeartbeat(SockJSSocket session) {
    try {
      Object listener = LISTENER.get(session);
      if (listener != null) {
        SEND_FRAME.invoke(listener, HEARTBEAT);
      }
    } catch (ReflectiveOperationException e) {
      log.debug("could not write a heartbeat: {}", e.toString());
    }
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
