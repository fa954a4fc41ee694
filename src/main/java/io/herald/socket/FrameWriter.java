package io.herald.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a socket verticle's text frames straight to each connection's Netty channel, and flushes every
 * channel written during an event-loop turn once, at the end of that turn.
 *
 * <p>Vert.x's {@code ServerWebSocket.writeFinalTextFrame} encodes the string to UTF-8 for every connection and
 * flushes (one {@code write} system call) after every frame. Here a notification's bytes are encoded once per
 * node; on connections without a WebSocket extension (no permessage-deflate) the whole frame — header and
 * payload, the same bytes for each, a server's frames being unmasked — is built once per loop and shared by
 * every connection the loop writes it to (a broadcast costs a buffer duplicate and the system call per
 * connection, no copy); on the others Netty's encoder (and compressor) frames it per connection. When the loop
 * is behind — a burst of notifications queued for it — the frames a connection gets from the whole burst leave
 * in one system call.
 *
 * <p>All methods run on the verticle's event loop, which is also every channel's: the channels' own
 * write buffers (bounded by {@code write_queue_max_bytes}, their high-water mark) and writability are
 * Netty's, so Vert.x's view of the socket stays consistent.
 */
final class FrameWriter {

  private final Context context;
  private final List<WsTransport> unflushed = new ArrayList<>();
  private boolean flushScheduled;
  /** The payload whose encoded frame is {@link #sharedFrame}; kept until the end of the turn. */
  private byte[] sharedPayload;
  /** The encoded frame of {@link #sharedPayload} (one reference held here, released at the end of the turn). */
  private ByteBuf sharedFrame;

  FrameWriter(Context context) {
    this.context = context;
  }

  /**
   * The Netty context through which Vert.x itself writes an upgraded WebSocket's frames: its connection handler,
   * which Vert.x names {@code "handler"} on the HTTP connection and again, replaced, on the WebSocket. Reached
   * through the request's connection because vertx-web wraps the {@code ServerWebSocket} of a routed upgrade.
   *
   * @throws IllegalStateException when the pipeline does not have that shape (another Vert.x version)
   */
  static ChannelHandlerContext webSocketContext(HttpServerRequest upgradedRequest) {
    if (!(upgradedRequest.connection() instanceof ConnectionBase connection)) {
      throw new IllegalStateException("unexpected HTTP connection type " + upgradedRequest.connection().getClass());
    }
    ChannelHandlerContext ctx = connection.channel().pipeline().context("handler");
    if (ctx == null) {
      throw new IllegalStateException("no Vert.x handler in the WebSocket's pipeline");
    }
    return ctx;
  }

  /** Whether the connection's channel takes more bytes without passing its high-water mark. */
  static boolean writable(WsTransport c) {
    return c.channel.channel().isWritable();
  }

  /** Writes a text frame now; the flush follows at the end of the current event-loop turn. */
  void write(WsTransport c, byte[] utf8) {
    if (!c.channel.channel().isActive()) {
      // Closed under us (the client's close frame or a reset came first): its close handler releases it.
      return;
    }
    if (c.plainFrames) {
      // A ByteBuf passes the WebSocket encoder untouched (it encodes WebSocketFrame messages only).
      c.channel.write(sharedFrame(c, utf8).retainedDuplicate(), c.channel.voidPromise());
    } else {
      c.channel.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(utf8)), c.channel.voidPromise());
    }
    if (!c.flushScheduled) {
      c.flushScheduled = true;
      unflushed.add(c);
    }
    if (!flushScheduled) {
      flushScheduled = true;
      // Queued behind the tasks already waiting on this loop (the rest of a burst), so they share the flush.
      context.runOnContext(v -> flushAll());
    }
  }

  /** The final text frame carrying {@code utf8}, encoded at its first write of this turn. */
  private ByteBuf sharedFrame(WsTransport c, byte[] utf8) {
    if (utf8 != sharedPayload) {
      releaseSharedFrame();
      sharedFrame = TextFrames.encode(c.channel.alloc(), utf8);
      sharedPayload = utf8;
    }
    return sharedFrame;
  }

  private void releaseSharedFrame() {
    if (sharedFrame != null) {
      sharedFrame.release();
      sharedFrame = null;
      sharedPayload = null;
    }
  }

  private void flushAll() {
    flushScheduled = false;
    releaseSharedFrame();
    for (WsTransport c : unflushed) {
      c.flushScheduled = false;
      c.channel.flush();
    }
    unflushed.clear();
  }

  /**
   * Calls {@code onWritable} on the verticle's context each time the connection's channel becomes writable
   * again. Installed only on connections that fell behind (slow clients), first in the pipeline, so it sees
   * the event before Vert.x's own handler and passes it on.
   */
  void onWritable(WsTransport c, Handler<Void> onWritable) {
    c.channel.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
          context.runOnContext(onWritable);
        }
        ctx.fireChannelWritabilityChanged();
      }
    });
  }
}
