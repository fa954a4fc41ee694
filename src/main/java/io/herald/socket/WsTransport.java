package io.herald.socket;

import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.session.ClientTransport;
import io.herald.session.Session;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A {@code /ws} connection as the session core sees it: every message is a text frame written straight to the
 * WebSocket's Netty channel ({@link FrameWriter}); errors are Error frames, and the close reason is the detail of the
 * close (or the close code's own). Also holds what only {@code /ws} has per connection: the text frame being
 * reassembled from continuation frames.
 */
final class WsTransport implements ClientTransport {

  /** Longest close reason: a close frame's payload is at most 125 bytes, 2 of them the code. */
  private static final int MAX_CLOSE_REASON = 120;

  final ServerWebSocket socket;
  /** The socket's Netty channel context, where {@link FrameWriter} writes frames. */
  final ChannelHandlerContext channel;
  private final FrameWriter frames;
  /**
   * No WebSocket extension (permessage-deflate) was negotiated, so a frame's bytes are the same for this connection
   * as for every other such one: {@link FrameWriter} writes them encoded once.
   */
  final boolean plainFrames;
  /** Written to since the last flush: in {@link FrameWriter}'s list of channels to flush. */
  boolean flushScheduled;
  /** Text frame being reassembled from continuation frames. */
  Buffer partialText;
  boolean partialIsBinary;
  /** The session on this connection; null only while it is being opened. */
  Session session;

  WsTransport(ServerWebSocket socket, ChannelHandlerContext channel, FrameWriter frames) {
    this.socket = socket;
    this.channel = channel;
    this.frames = frames;
    this.plainFrames = channel.pipeline().get(WebSocketExtensionEncoder.class) == null;
  }

  @Override
  public void write(String address, byte[] message) {
    frames.write(this, message);
  }

  @Override
  public boolean writable() {
    return FrameWriter.writable(this);
  }

  @Override
  public void onWritable(Runnable handler) {
    frames.onWritable(this, v -> handler.run());
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

  @Override
  public Future<Void> close(CloseCode code, ErrorCode error, String detail) {
    String text = detail == null ? code.reason() : detail;
    if (text.length() > MAX_CLOSE_REASON) {
      text = text.substring(0, MAX_CLOSE_REASON);
    }
    return socket.close(code.code(), text);
  }

  @Override
  public void ping() {
    socket.writePing(Buffer.buffer());
  }

  @Override
  public void pause() {
    socket.pause();
  }

  @Override
  public void resume() {
    socket.resume();
  }
}
