package io.herald.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection whose request line and headers do not arrive within {@code request_header_timeout_secs}
 * (slowloris: a client dribbling header bytes holds a connection, and Vert.x's idle timeout, which any byte resets,
 * never fires). Vert.x 5.0 has no such bound in {@code HttpServerOptions}, so two handlers go around Netty's HTTP
 * decoder ({@code httpDecoder}) of each connection: the one before it sees the bytes arrive, the one after it sees the
 * decoded request. The deadline starts at the first byte of each request; the decoded request (its headers complete)
 * stops it. A connection that sends no byte at all is given {@code connection_timeout_secs}, as a silent WebSocket is:
 * clients and pools that open connections ahead of their first request (browsers' preconnects, the bench's HTTP
 * lanes) are not cut at the header timeout. When a deadline passes, the client gets {@code 408 Request Timeout} and the
 * connection is closed. Once the connection is upgraded (the HTTP decoder is gone) both handlers leave the pipeline:
 * WebSocket traffic never passes through them.
 */
final class HeaderDeadline {

  /** The name of Vert.x's HTTP/1.x request decoder in a connection's pipeline. */
  private static final String HTTP_DECODER = "httpDecoder";
  private static final String BYTES = "heraldHeaderDeadlineBytes";
  private static final String REQUESTS = "heraldHeaderDeadlineRequests";
  private static final byte[] TIMEOUT_RESPONSE =
      "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final long headerTimeoutMs;
  /** Whether a request's headers have been decoded and its last content not yet: its body may take its time. */
  private boolean inRequest;
  /** Whether the running deadline is the one of a connection that has sent nothing yet. */
  private boolean silent;
  private ScheduledFuture<?> deadline;

  private HeaderDeadline(long headerTimeoutMs) {
    this.headerTimeoutMs = headerTimeoutMs;
  }

  /**
   * Puts the deadlines on a new connection and starts the silent one. Call from the server's connection handler, on
   * the connection's event loop; a connection without Vert.x's HTTP/1.x decoder (none here) is left alone.
   */
  static void install(HttpConnection connection, int headerTimeoutSecs, int silentTimeoutSecs) {
    if (!(connection instanceof ConnectionBase base)) {
      return;
    }
    ChannelPipeline pipeline = base.channel().pipeline();
    if (pipeline.context(HTTP_DECODER) == null) {
      return;
    }
    HeaderDeadline state = new HeaderDeadline(TimeUnit.SECONDS.toMillis(headerTimeoutSecs));
    pipeline.addBefore(HTTP_DECODER, BYTES, state.new Bytes());
    pipeline.addAfter(HTTP_DECODER, REQUESTS, state.new Requests());
    state.silent = true;
    state.start(pipeline.context(BYTES), TimeUnit.SECONDS.toMillis(silentTimeoutSecs));
  }

  private void start(ChannelHandlerContext ctx, long timeoutMs) {
    deadline = ctx.executor().schedule(() -> expire(ctx), timeoutMs, TimeUnit.MILLISECONDS);
  }

  private void stop() {
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
  }

  private void expire(ChannelHandlerContext ctx) {
    deadline = null;
    if (!ctx.channel().isActive() || ctx.isRemoved()) {
      return;
    }
    if (ctx.pipeline().context(HTTP_DECODER) == null) {
      // Upgraded after bytes came early (a client that did not wait for the 101): nothing of HTTP is left to bound.
      leave(ctx);
      return;
    }
    // Written from the handler in front of the HTTP encoder: these bytes go to the socket as they are.
    ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT_RESPONSE)).addListener(ChannelFutureListener.CLOSE);
  }

  /** Takes both handlers out of the pipeline of an upgraded connection. */
  private static void leave(ChannelHandlerContext ctx) {
    ChannelPipeline pipeline = ctx.pipeline();
    if (pipeline.context(BYTES) != null) {
      pipeline.remove(BYTES);
    }
    if (pipeline.context(REQUESTS) != null) {
      pipeline.remove(REQUESTS);
    }
  }

  /** In front of the decoder: the first byte of a request starts its deadline. */
  private final class Bytes extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (ctx.pipeline().context(HTTP_DECODER) == null) {
        // Upgraded: what comes now are WebSocket frames, bounded elsewhere.
        stop();
        leave(ctx);
      } else if (!inRequest && (deadline == null || silent) && msg instanceof ByteBuf bytes && bytes.isReadable()) {
        stop();
        silent = false;
        start(ctx, headerTimeoutMs);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      stop();
      ctx.fireChannelInactive();
    }
  }

  /** Behind the decoder: a decoded request has its headers; its last content ends it. */
  private final class Requests extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        stop();
        inRequest = true;
      }
      if (msg instanceof LastHttpContent) {
        inRequest = false;
      }
      ctx.fireChannelRead(msg);
    }
  }
}
