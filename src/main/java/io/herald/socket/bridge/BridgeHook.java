package io.herald.socket.bridge;

import io.herald.model.LogText;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.runtime.NodeInfo;
import io.herald.session.Session;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Herald's decisions on the events of the SockJS event-bus bridge that reach vertx-web (registrations never do: see
 * {@link BridgeSessions#inbound}). Completing an event with {@code true} lets the bridge act on it, {@code false}
 * refuses it (the bridge then answers a client frame with an {@code err} frame).
 *
 * <ul>
 *   <li>SEND and PUBLISH wait for the socket's authentication (the token came with the URL, or comes in this frame's
 *       {@code headers.token}); unauthenticated, they are refused.</li>
 *   <li>SEND: only the client API addresses; the client's headers are replaced by Herald's (the authenticated user),
 *       and a reply label must be a plain id, so a reply is only ever written to this socket.</li>
 *   <li>PUBLISH: never.</li>
 *   <li>RECEIVE: only replies to this socket's own API requests (notifications reach the socket through the session
 *       core, never through vertx-web's consumers); reply addresses and headers of server messages are never passed
 *       on.</li>
 * </ul>
 */
final class BridgeHook implements Handler<BridgeEvent> {

  private static final Logger log = LoggerFactory.getLogger(BridgeHook.class);

  /** Reply labels the client picks (vertx's JS client uses UUIDs): no dot, so never an event-bus address. */
  private static final Pattern REPLY_LABEL = Pattern.compile("[A-Za-z0-9_-]{1,36}");

  /** Client API requests one socket may have in flight. */
  static final int MAX_PENDING_REQUESTS = 32;

  private final NodeInfo node;
  private final BridgeSessions sessions;
  private final ClientApi api;
  private final long replyTimeoutNanos;

  BridgeHook(NodeInfo node, BridgeSessions sessions, ClientApi api, SockJSBridgeOptions bridgeOptions) {
    this.node = node;
    this.sessions = sessions;
    this.api = api;
    this.replyTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(bridgeOptions.getReplyTimeout());
  }

  @Override
  public void handle(BridgeEvent event) {
    BridgeEventType type = event.type();
    switch (type) {
      case SOCKET_CREATED -> {
        // The bridge sets its handlers on the socket only once this event completes, after the node's answer on the
        // unauthenticated slot: what the client sends meanwhile waits, and a frame over the limit (already read) is
        // answered as the bridge's own handler would.
        GuardedSocket socket = (GuardedSocket) event.socket();
        socket.pause();
        socket.exceptionHandler(e -> {
          if (tooLarge(String.valueOf(e.getMessage()))) {
            SockJsFrames.close(socket, CloseCode.FRAME_TOO_LARGE.code(), ErrorCode.TOO_LARGE.wireName());
          }
        });
        sessions.open(socket).onComplete(opened -> {
          BridgeTransport t = opened.result();
          event.complete(t != null);
          // Only once the bridge has accepted the socket (and set its handlers on it), so that a close caused by the
          // token, which may be decided at once, reaches the bridge and frees its state for the socket.
          if (t != null) {
            socket.resume();
            sessions.authenticateFromUri(t);
          }
        });
      }
      case SEND, PUBLISH -> onFrame(event);
      case RECEIVE -> onReceive(event);
      case SOCKET_CLOSED -> {
        sessions.release(event.socket());
        event.complete(true);
      }
      case SOCKET_ERROR -> onSocketError(event);
      // REGISTER and UNREGISTER never come here (BridgeSessions#inbound decides them); SOCKET_PING (counted by
      // BridgeSessions#inbound, like every message), REGISTERED and SOCKET_IDLE: the bridge's ping timer is
      // effectively off, the idle timeout is the session core's sweep.
      case REGISTER, UNREGISTER -> event.complete(false);
      default -> event.complete(true);
    }
  }

  private void onFrame(BridgeEvent event) {
    BridgeTransport t = sessions.get(event.socket());
    // The rate limit has already counted this message (BridgeSessions#inbound).
    if (t == null || t.session.closing()) {
      event.complete(false);
      return;
    }
    JsonObject raw = event.getRawMessage();
    if (t.authentication == null) {
      String token = headerToken(raw);
      if (token == null) {
        refuse(event, t.session, address(raw), "not authenticated");
        return;
      }
      sessions.authenticate(t, token);
    }
    t.authentication.onComplete(result -> {
      if (result.failed() || t.session.closing()) {
        event.complete(false);
        return;
      }
      String address = address(raw);
      if (event.type() == BridgeEventType.SEND) {
        send(event, t, raw, address);
      } else {
        refuse(event, t.session, address, "publishing is not part of the client API");
      }
    });
  }

  /** The token of a frame's {@code headers.token}, or null. */
  static String headerToken(JsonObject raw) {
    Object headers = raw.getValue("headers");
    if (headers instanceof JsonObject h && h.getValue("token") instanceof String token && !token.isBlank()) {
      return token;
    }
    return null;
  }

  private static String address(JsonObject raw) {
    return raw.getValue("address") instanceof String a ? a : null;
  }

  private void send(BridgeEvent event, BridgeTransport t, JsonObject raw, String address) {
    Object replyAddress = raw.getValue("replyAddress");
    String refusal = sendRefusal(address, replyAddress);
    if (refusal != null) {
      refuse(event, t.session, address, refusal);
      return;
    }
    if (replyAddress instanceof String label) {
      long now = System.nanoTime();
      t.pendingReplies.values().removeIf(deadline -> deadline - now < 0);
      if (!t.pendingReplies.containsKey(label) && t.pendingReplies.size() >= MAX_PENDING_REQUESTS) {
        refuse(event, t.session, address, "more than " + MAX_PENDING_REQUESTS + " requests in flight");
        return;
      }
      t.pendingReplies.put(label, now + replyTimeoutNanos);
    }
    event.setRawMessage(rebuiltSend(raw, address, api.headersFor(t.session)));
    event.complete(true);
  }

  /**
   * Why a SEND to {@code address} with this reply label is refused, or null when it may go on: only the client API
   * addresses, and a reply label, when there is one, must be a plain id (no dot: never an event-bus address).
   */
  static String sendRefusal(String address, Object replyAddress) {
    if (!BridgeAddresses.isClientApi(address)) {
      return "not a client API address";
    }
    if (replyAddress != null && !(replyAddress instanceof String label && REPLY_LABEL.matcher(label).matches())) {
      return "reply address must match " + REPLY_LABEL.pattern();
    }
    return null;
  }

  /**
   * The SEND vertx-web's bridge gets instead of the client's, rebuilt rather than edited: only the address, the body,
   * the reply label and Herald's own {@code headers} go on, so a consumer never sees a client header.
   */
  static JsonObject rebuiltSend(JsonObject raw, String address, JsonObject headers) {
    JsonObject send = new JsonObject().put("type", "send").put("address", address)
        .put("headers", headers).put("body", raw.getValue("body"));
    Object replyAddress = raw.getValue("replyAddress");
    if (replyAddress != null) {
      send.put("replyAddress", replyAddress);
    }
    return send;
  }

  private void onReceive(BridgeEvent event) {
    BridgeTransport t = sessions.get(event.socket());
    if (t == null || t.session.closing() || !t.session.authenticated()) {
      event.complete(false);
      return;
    }
    JsonObject envelope = event.getRawMessage();
    String address = envelope.getString("address");
    Long deadline = t.pendingReplies.remove(address);
    if (deadline == null || deadline - System.nanoTime() < 0) {
      log.warn("bridge socket {} of user {}: message on {} not approved for it, dropped", t.session.id(),
          t.session.user().userId(), address);
      event.complete(false);
      return;
    }
    event.setRawMessage(new JsonObject().put("type", "rec").put("address", address).put("body", envelope.getValue("body")));
    event.complete(true);
  }

  /**
   * A transport error. A WebSocket frame over {@code max_frame_bytes} is one (the server's frame and message limits
   * are {@code max_frame_bytes}): the socket is closed with 1009, as {@code /ws} does. The bridge hands the hook only
   * the error's message, so the limit is recognised by the texts Netty and Vert.x use for it.
   */
  private void onSocketError(BridgeEvent event) {
    BridgeTransport t = sessions.get(event.socket());
    if (t != null) {
      String message = String.valueOf(event.getRawMessage() == null ? null : event.getRawMessage().getValue("message"));
      if (tooLarge(message)) {
        sessions.close(t, CloseCode.FRAME_TOO_LARGE, ErrorCode.TOO_LARGE);
      } else {
        sessions.release(event.socket());
      }
    }
    event.complete(true);
  }

  /** Whether a transport error's message is the one of a frame or message over {@code max_frame_bytes}. */
  private static boolean tooLarge(String message) {
    return message.contains("Max frame length") || message.contains("max message size");
  }

  private void refuse(BridgeEvent event, Session s, String address, String why) {
    log.info("bridge {} refused: user {} (tenant {}), address {}: {}", event.type(),
        s.user() == null ? "-" : s.user().userId(), s.user() == null ? "-" : s.user().tenant(), LogText.quoted(address, BridgeSessions.LOGGED_CHARS), why);
    node.metrics().clientError();
    event.complete(false);
  }
}
