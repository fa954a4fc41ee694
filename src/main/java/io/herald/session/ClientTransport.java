package io.herald.session;

import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.vertx.core.Future;
import java.util.Collection;
import java.util.List;

/**
 * One client connection as the session core sees it, whatever carries it: {@code /ws} (a WebSocket) or the SockJS
 * event-bus bridge (any SockJS transport). The core decides what is written, when, and when the connection ends; the
 * transport knows how a message looks on its wire. All methods are called on the event loop that owns the session.
 */
public interface ClientTransport {

  /**
   * Writes one server message now, a UTF-8 JSON object: a notification or user event delivered from an event-bus
   * {@code address}, or, with a null address, a frame of the session itself (Authenticated, InitialState, a reply).
   * The bridge wraps it in a {@code rec} envelope on its address; {@code /ws} writes it as a text frame.
   */
  void write(String address, byte[] message);

  /** Whether the connection takes more bytes without passing its high-water mark ({@code write_queue_max_bytes}). */
  boolean writable();

  /** Installs the handler run each time the connection becomes writable again; installed once per session. */
  void onWritable(Runnable handler);

  /**
   * The message telling the client about an error (the {@code /ws} Error frame), or null when the transport's protocol
   * has none (the bridge says why in its close reason).
   */
  byte[] errorMessage(ErrorCode code, String message);

  /**
   * The message telling the client that a renewed proof of its identity no longer grants some of its topics (the
   * {@code /ws} Unsubscribed frame), or null when the transport's protocol has none.
   */
  byte[] topicsRevokedMessage(List<String> revoked, Collection<String> remaining);

  /**
   * Starts closing the connection with the code; {@code error} is the error that caused the close (null when none did)
   * and {@code detail} a human-readable reason (null for the close code's own). Each transport picks its close reason
   * from them ({@code /ws}: the detail; the bridge: the error's wire name). Completes when the connection may be
   * released: the core then releases the session, if the transport's own close handler has not done so already.
   */
  Future<Void> close(CloseCode code, ErrorCode error, String detail);

  /** Sends a keep-alive ping, when the transport has none of its own. */
  void ping();

  /** Stops reading the client's messages (while a reply they must follow is being prepared). */
  void pause();

  /** Reads the client's messages again. */
  void resume();
}
