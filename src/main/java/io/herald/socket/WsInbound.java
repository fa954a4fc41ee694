package io.herald.socket;

import io.herald.model.Filters;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.session.Session;
import io.herald.session.SessionLifecycle;
import io.herald.session.StreamPositions;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@code /ws} client sends, up to a known message: frames reassembled (at most {@code max_frame_bytes} in all),
 * the rate limit, then a JSON object with a string {@code type}. Anything else is answered with an Error, and closes a
 * session that has not started to authenticate (4000); an oversized message closes with 1009.
 */
final class WsInbound {

  private static final Logger log = LoggerFactory.getLogger(WsInbound.class);

  private final int maxFrameBytes;
  private final SessionLifecycle lifecycle;
  private final WsCommands commands;

  WsInbound(int maxFrameBytes, SessionLifecycle lifecycle, WsCommands commands) {
    this.maxFrameBytes = maxFrameBytes;
    this.lifecycle = lifecycle;
    this.commands = commands;
  }

  /** Authenticates with the token the upgrade request carried ({@code ?token=} or {@code Authorization: Bearer}). */
  void authenticate(Session s, String upgradeToken) {
    commands.authenticate(s, upgradeToken, "Unknown", StreamPositions.NONE, Filters.NONE);
  }

  void onFrame(WsTransport t, WebSocketFrame frame) {
    Session s = t.session;
    lifecycle.touched(s);
    if (s.closing()) {
      return;
    }
    if (frame.isText() || frame.isBinary()) {
      t.partialText = null;
      t.partialIsBinary = frame.isBinary();
      if (frame.isFinal()) {
        onMessage(s, frame.binaryData(), frame.isBinary());
      } else {
        t.partialText = frame.binaryData().copy();
      }
    } else if (frame.isContinuation() && t.partialText != null) {
      if (t.partialText.length() + frame.binaryData().length() > maxFrameBytes) {
        t.partialText = null;
        tooLarge(s);
        return;
      }
      t.partialText.appendBuffer(frame.binaryData());
      if (frame.isFinal()) {
        Buffer whole = t.partialText;
        t.partialText = null;
        onMessage(s, whole, t.partialIsBinary);
      }
    }
  }

  void onSocketException(WsTransport t, Throwable e) {
    if (e instanceof CorruptedWebSocketFrameException corrupted && corrupted.closeStatus() != null
        && corrupted.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) {
      tooLarge(t.session);
      return;
    }
    if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size")) {
      tooLarge(t.session);
      return;
    }
    log.debug("connection {}: {}", t.session.id(), e.toString());
  }

  private void tooLarge(Session s) {
    commands.sendError(s, ErrorCode.TOO_LARGE, "frame larger than " + maxFrameBytes + " bytes");
    lifecycle.close(s, CloseCode.FRAME_TOO_LARGE, ErrorCode.TOO_LARGE, null);
  }

  private void onMessage(Session s, Buffer data, boolean binary) {
    if (data.length() > maxFrameBytes) {
      tooLarge(s);
      return;
    }
    if (!lifecycle.admitMessage(s)) {
      return;
    }
    if (binary) {
      refuse(s, ErrorCode.UNSUPPORTED, "binary frames are not supported; send JSON text frames");
      return;
    }
    ClientMessages.Decoded decoded = ClientMessages.decode(data);
    if (decoded instanceof ClientMessages.Refused refused) {
      refuse(s, refused.code(), refused.reason());
      return;
    }
    ClientMessages.Known known = (ClientMessages.Known) decoded;
    try {
      commands.handle(s, known.type(), known.typeName(), known.message());
    } catch (IllegalArgumentException e) {
      commands.sendError(s, ErrorCode.INVALID, e.getMessage());
    }
  }

  private void refuse(Session s, ErrorCode code, String why) {
    commands.sendError(s, code, why);
    commands.closeIfUnauthenticated(s);
  }
}
