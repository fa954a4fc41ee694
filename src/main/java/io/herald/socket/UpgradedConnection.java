package io.herald.socket;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets go of what Vert.x keeps for an upgraded {@code /ws} WebSocket's whole life but never uses again: about 7 KiB
 * of a connection that otherwise costs about 12 KiB of heap (Vert.x 5.0.12 on a server in strict thread mode, measured
 * with {@code jcmd GC.class_histogram}).
 *
 * <ul>
 *   <li><b>The request headers.</b> The WebSocket keeps the upgrade request's headers ({@code ServerWebSocket#headers}):
 *   a browser's cookies, user agent and the rest, often more than a kilobyte. Herald reads what it needs (origin,
 *   token, client address, user agent) before the upgrade: they are cleared.</li>
 *   <li><b>The upgrade request.</b> The Netty handler through which Vert.x runs the WebSocket keeps, for the
 *   channel's life, the function that created its connection at the upgrade, and that function holds the upgrade's
 *   handshaker, hence the HTTP request, its response, the HTTP connection and their headers, buffers and handlers
 *   (≈ 2.2 KiB). The function is called once, when the handler joins the pipeline: it is dropped here.</li>
 *   <li><b>The cross-thread write queue.</b> Vert.x gives every WebSocket connection a queue through which other
 *   threads' writes reach its event loop, whose first chunk is a 1,024-slot array (≈ 4.6 KiB with the queue), even on
 *   a server in strict thread mode, which skips it for HTTP connections only. Every write to a {@code /ws} socket is
 *   made on its event loop (Herald's frames go straight to the Netty channel, see {@link FrameWriter}; pings and
 *   closes are made by the socket verticle that owns the connection): the queue is replaced by the direct writer
 *   Vert.x itself uses on a strict-mode HTTP connection. That writer writes on the calling thread, so a write from
 *   another thread would be unsafe; none is made (Vert.x asserts it: with assertions on, as in the tests, such a write
 *   fails).</li>
 * </ul>
 *
 * <p>Both are private to Vert.x: they are reached by reflection, resolved once. Should a later Vert.x not have them,
 * {@link #release} does nothing (and says so once in the log): connections then cost what they cost before, and
 * {@code UpgradedConnectionIT} fails, saying which part no longer applies.
 */
final class UpgradedConnection {

  private static final Logger log = LoggerFactory.getLogger(UpgradedConnection.class);

  /** {@code VertxHandler.connectionFactory}: the function that created the handler's connection. */
  private static final Field CONNECTION_FACTORY;
  /** {@code VertxConnection.outboundMessageQueue}: the connection's write path. */
  private static final Field OUTBOUND_QUEUE;
  /** {@code VertxConnection.DirectOutboundMessageQueue(VertxConnection)}: the write path of strict thread mode. */
  private static final Constructor<?> DIRECT_QUEUE;

  static {
    Field factory = null;
    try {
      factory = VertxHandler.class.getDeclaredField("connectionFactory");
      factory.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("each WebSocket connection will keep its upgrade request (Vert.x changed): {}", e.toString());
      factory = null;
    }
    Field queue = null;
    Constructor<?> direct = null;
    try {
      queue = VertxConnection.class.getDeclaredField("outboundMessageQueue");
      direct = Class.forName(VertxConnection.class.getName() + "$DirectOutboundMessageQueue")
          .getDeclaredConstructor(VertxConnection.class);
      queue.setAccessible(true);
      direct.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("each WebSocket connection will keep a cross-thread write queue (Vert.x changed): {}", e.toString());
      queue = null;
      direct = null;
    }
    CONNECTION_FACTORY = factory;
    OUTBOUND_QUEUE = queue;
    DIRECT_QUEUE = direct;
  }

  private UpgradedConnection() {
  }

  /** What {@link #release} let go of: the parts reached by reflection. */
  record Released(boolean upgradeRequest, boolean writeQueue) {
  }

  /**
   * Lets go of the request headers, the upgrade request and the cross-thread write queue of {@code socket}, whose
   * Vert.x handler is {@code webSocketHandler} (see {@link FrameWriter#webSocketContext}). Call on the connection's event
   * loop right after the upgrade, before anything is written to the socket. The queue is kept when the channel is not
   * writable (it may then hold writes).
   */
  static Released release(ServerWebSocket socket, ChannelHandlerContext webSocketHandler) {
    try {
      socket.headers().clear();
    } catch (UnsupportedOperationException e) {
      log.debug("request headers kept (read-only): {}", e.toString());
    }
    ChannelHandler handler = webSocketHandler.handler();
    if (!(handler instanceof VertxHandler<?> vertxHandler)) {
      return new Released(false, false);
    }
    boolean upgradeRequest = false;
    if (CONNECTION_FACTORY != null) {
      try {
        CONNECTION_FACTORY.set(vertxHandler, null);
        upgradeRequest = true;
      } catch (IllegalAccessException | RuntimeException e) {
        log.debug("upgrade request kept: {}", e.toString());
      }
    }
    boolean writeQueue = false;
    VertxConnection connection = vertxHandler.getConnection();
    if (DIRECT_QUEUE != null && connection != null && webSocketHandler.channel().isWritable()) {
      try {
        OUTBOUND_QUEUE.set(connection, DIRECT_QUEUE.newInstance(connection));
        writeQueue = true;
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.debug("write queue kept: {}", e.toString());
      }
    }
    return new Released(upgradeRequest, writeQueue);
  }
}
