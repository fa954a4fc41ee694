package io.herald.socket;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.DeflateFrameServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.ArrayList;
import java.util.List;

/**
 * Bounds what a client's compressed WebSocket frame may inflate to, on every connection of the HTTP server: {@code /ws}
 * and the bridge's WebSocket transports alike.
 *
 * <p>Vert.x 5.0 (5.0.10 to 5.0.12 at least) negotiates permessage-deflate (and deflate-frame) with Netty's handshakers built without an
 * allocation cap: {@code max_frame_bytes} then bounds a frame's size on the wire only, and a 64 KiB frame of a
 * repetitive payload inflates, before any check of ours, to 64 MiB held at once. Each new connection's extension
 * handler is replaced here by one with the same parameters whose inflater may allocate at most
 * {@code max_frame_bytes + 1} bytes per frame: a frame that inflates to more fails in the inflater, once that much is
 * written, with a {@link DecompressionException}. That failure is passed on as the {@link CorruptedWebSocketFrameException}
 * ({@code MESSAGE_TOO_BIG}) Netty raises for a frame over the limit on the wire, so the same handlers answer it (close
 * 1009) and Vert.x then closes the connection, as for any exception. A message of several frames is bounded by the
 * existing message-size checks, each of its frames by this.
 */
final class InflationLimit {

  /**
   * The start of the message of the {@link DecompressionException} Netty's zlib decoder throws when the next inflated
   * bytes would pass its allocation cap (checked by the tests against the Netty version in use).
   */
  private static final String CAP_REACHED = "Decompression buffer has reached maximum size";

  private InflationLimit() {
  }

  /**
   * Replaces the connection's WebSocket extension handler, if it has one (none when compression is off), by one whose
   * inflaters allocate at most {@code maxFrameBytes + 1} bytes per frame. Call from the server's connection handler,
   * before the connection reads its first request.
   */
  static void install(HttpConnection connection, HttpServerOptions serverOptions, int maxFrameBytes) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    ChannelPipeline pipeline = base.channel().pipeline();
    ChannelHandlerContext extensions = pipeline.context(WebSocketServerExtensionHandler.class);
    if (extensions == null) {
      return;
    }
    int maxAllocation = maxFrameBytes + 1;
    List<WebSocketServerExtensionHandshaker> handshakers = new ArrayList<>(2);
    // The same handshakers, in the same order and with the same parameters, as Vert.x's HttpServerConnectionHandler.
    if (serverOptions.getPerFrameWebSocketCompressionSupported()) {
      handshakers.add(new DeflateFrameServerExtensionHandshaker(serverOptions.getWebSocketCompressionLevel(), maxAllocation));
    }
    if (serverOptions.getPerMessageWebSocketCompressionSupported()) {
      handshakers.add(new PerMessageDeflateServerExtensionHandshaker(serverOptions.getWebSocketCompressionLevel(),
          ZlibCodecFactory.isSupportingWindowSizeAndMemLevel(), PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE,
          serverOptions.getWebSocketAllowServerNoContext(), serverOptions.getWebSocketPreferredClientNoContext(),
          maxAllocation));
    }
    String name = extensions.name();
    pipeline.replace(name, name, new WebSocketServerExtensionHandler(
        handshakers.toArray(new WebSocketServerExtensionHandshaker[0])));
    // Right after the extension handler: the inflaters it installs at the upgrade go between the two, so their
    // failures pass through here on their way to Vert.x.
    pipeline.addAfter(name, "heraldInflationLimit", new TooLargeOnceInflated(maxFrameBytes));
  }

  /** Passes an inflater's cap failure on as the exception of a frame over the limit; anything else unchanged. */
  private static final class TooLargeOnceInflated extends ChannelInboundHandlerAdapter {

    private final int maxFrameBytes;

    TooLargeOnceInflated(int maxFrameBytes) {
      this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof DecompressionException && String.valueOf(cause.getMessage()).startsWith(CAP_REACHED)) {
        // "Max frame length" as in Netty's own message for a frame over the limit: the bridge recognises the limit
        // by that text (it is handed the error's message only).
        ctx.fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
            "Max frame length of " + maxFrameBytes + " has been exceeded once inflated", cause));
        return;
      }
      ctx.fireExceptionCaught(cause);
    }
  }
}
