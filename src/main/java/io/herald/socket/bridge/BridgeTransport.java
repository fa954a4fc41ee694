package io.herald.socket.bridge;

import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.session.ClientTransport;
import io.herald.session.Session;
import io.herald.session.SessionLifecycle;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A bridge socket as the session core sees it: each message delivered from an event-bus address is written as the
 * bridge's {@code {"type":"rec","address":...,"body":...}} envelope through Herald's {@link GuardedSocket} (whose
 * count of bytes not yet handed to the connection is the writability the core's slow-client rule uses); the bridge
 * protocol has no error or topic frames (the close reason says why); closing writes a SockJS close frame with the
 * error's wire name (or the close code's name) as reason. Also holds what only the bridge has per socket: the
 * authentication in progress, the user stream's baseline, and the reply labels of client API requests in flight.
 */
final class BridgeTransport implements ClientTransport {

  /** The device recorded for bridge sessions in the session store: the bridge serves browser dashboards. */
  static final String DEVICE = "Dashboard";

  private static final byte[] REC_PREFIX = "{\"type\":\"rec\",\"address\":".getBytes(StandardCharsets.UTF_8);
  private static final byte[] BODY_KEY = ",\"body\":".getBytes(StandardCharsets.UTF_8);

  final GuardedSocket socket;
  /** The session on this socket; null only while it is being opened. */
  Session session;
  /** Null until a token came (with the URL or a frame's headers); then the authentication and admission. */
  Future<SessionLifecycle.Authenticated> authentication;
  /** Whether the user stream was started (the first registration of the user's address). */
  boolean userStreamStarted;
  /** The address of the last message written and its JSON string: a socket's deliveries mostly share one address. */
  private String lastAddress;
  private byte[] lastAddressQuoted;
  /** Reply labels of client API requests in flight, with the nanoTime after which they are forgotten. */
  final Map<String, Long> pendingReplies = new HashMap<>();

  BridgeTransport(GuardedSocket socket) {
    this.socket = socket;
  }

  /** Messages without an address (the core's own frames) do not exist in the bridge protocol and are not written. */
  @Override
  public void write(String address, byte[] message) {
    if (address == null) {
      return;
    }
    if (!address.equals(lastAddress)) {
      lastAddress = address;
      lastAddressQuoted = Json.encode(address).getBytes(StandardCharsets.UTF_8);
    }
    byte[] quoted = lastAddressQuoted;
    socket.write(Buffer.buffer(REC_PREFIX.length + quoted.length + BODY_KEY.length + message.length + 1)
        .appendBytes(REC_PREFIX).appendBytes(quoted).appendBytes(BODY_KEY).appendBytes(message).appendByte((byte) '}'));
  }

  @Override
  public boolean writable() {
    return !socket.writeQueueFull();
  }

  @Override
  public void onWritable(Runnable handler) {
    socket.drainHandler(v -> handler.run());
  }

  @Override
  public byte[] errorMessage(ErrorCode code, String message) {
    return null;
  }

  @Override
  public byte[] topicsRevokedMessage(List<String> revoked, Collection<String> remaining) {
    return null;
  }

  @Override
  public Future<Void> close(CloseCode code, ErrorCode error, String detail) {
    SockJsFrames.close(socket, code.code(), error != null ? error.wireName() : reason(code));
    return Future.succeededFuture();
  }

  /** The close reason of a close that no error code describes: the close code's name in lower case. */
  static String reason(CloseCode code) {
    return code.name().toLowerCase(Locale.ROOT);
  }

  /** A SockJS session's heartbeat frame, written on the loop of the request that holds the session. */
  @Override
  public void ping() {
    SockJsFrames.heartbeat(socket);
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
