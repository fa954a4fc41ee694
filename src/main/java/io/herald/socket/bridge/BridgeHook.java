package io.herald.socket.bridge;

import io.herald.protocol.ProtocolLimits;
import io.herald.model.LogText;
import io.herald.config.HeraldOptions;
import io.herald.model.Addresses;
import io.herald.model.Notification;
import io.herald.runtime.NodeInfo;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Herald's decisions on every event of the SockJS event-bus bridge. Completing an event with {@code true} lets the
 * bridge act on it, {@code false} refuses it (the bridge then answers a client frame with an {@code err} frame).
 *
 * <ul>
 *   <li>Frames (REGISTER, UNREGISTER, SEND, PUBLISH) wait for the socket's authentication (the token came with the
 *       URL, or comes in this frame's {@code headers.token}); unauthenticated, every frame but ping is refused. The
 *       hook itself never writes to the socket: whatever the client sees follows the decision.</li>
 *   <li>REGISTER: only the user's own address, its tenant's broadcast address and permitted topics' addresses.</li>
 *   <li>SEND: only the client API addresses; the client's headers are replaced by Herald's (the authenticated user),
 *       and a reply label must be a plain id, so a reply is only ever written to this socket.</li>
 *   <li>PUBLISH: never.</li>
 *   <li>RECEIVE: only messages of approved addresses (or replies to this socket's own API requests) reach the socket,
 *       notifications through the socket's filters and as the JSON of the {@code /ws} Notification frame; reply
 *       addresses and headers of server messages are never passed on.</li>
 * </ul>
 */
final class BridgeHook implements Handler<BridgeEvent> {

  private static final Logger log = LoggerFactory.getLogger(BridgeHook.class);

  /** Reply labels the client picks (vertx's JS client uses UUIDs): no dot, so never an event-bus address. */
  private static final Pattern REPLY_LABEL = Pattern.compile("[A-Za-z0-9_-]{1,36}");

  /** Client API requests one socket may have in flight. */
  static final int MAX_PENDING_REQUESTS = 32;

  /** Addresses one socket may register: its user and broadcast addresses and its topics. */
  static final int MAX_REGISTRATIONS = 2 + ProtocolLimits.MAX_TOPICS_PER_CONNECTION;

  private final HeraldOptions options;
  private final NodeInfo node;
  private final BridgeSessions sessions;
  private final ClientApi api;
  private final long replyTimeoutNanos;

  BridgeHook(HeraldOptions options, NodeInfo node, BridgeSessions sessions, ClientApi api, SockJSBridgeOptions bridgeOptions) {
    this.options = options;
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
        SockJSSocket socket = event.socket();
        socket.pause();
        socket.exceptionHandler(e -> {
          if (tooLarge(String.valueOf(e.getMessage()))) {
            SockJsClose.close(socket, CloseCode.FRAME_TOO_LARGE.code(), ErrorCode.TOO_LARGE.wireName());
          }
        });
        sessions.open(socket).onComplete(opened -> {
          BridgeSession s = opened.result();
          event.complete(s != null);
          // Only once the bridge has accepted the socket (and set its handlers on it), so that a close caused by the
          // token, which may be decided at once, reaches the bridge and frees its state for the socket.
          if (s != null) {
            socket.resume();
            sessions.authenticateFromUri(s);
          }
        });
      }
      case REGISTER, UNREGISTER, SEND, PUBLISH -> onFrame(event);
      case RECEIVE -> onReceive(event);
      case SOCKET_CLOSED -> {
        BridgeSession s = sessions.get(event.socket());
        if (s != null) {
          sessions.release(s);
        }
        event.complete(true);
      }
      case SOCKET_ERROR -> onSocketError(event);
      // SOCKET_PING (counted by BridgeSessions#inbound, like every message), REGISTERED (a consumer is in place) and
      // SOCKET_IDLE: the bridge's ping timer is effectively off, the idle timeout is Herald's sweep
      // (BridgeSessions#sweep).
      default -> event.complete(true);
    }
  }

  private void onFrame(BridgeEvent event) {
    BridgeSession s = sessions.get(event.socket());
    // The rate limit has already counted this message (BridgeSessions#inbound).
    if (s == null || s.closing) {
      event.complete(false);
      return;
    }
    JsonObject raw = event.getRawMessage();
    if (s.authentication == null) {
      String token = headerToken(raw);
      if (token == null) {
        refuse(event, s, address(raw), "not authenticated");
        return;
      }
      sessions.authenticate(s, token);
    }
    s.authentication.onComplete(result -> {
      if (result.failed() || s.closing || !s.authenticated()) {
        event.complete(false);
        return;
      }
      decide(event, s, raw);
    });
  }

  private static String headerToken(JsonObject raw) {
    Object headers = raw.getValue("headers");
    if (headers instanceof JsonObject h && h.getValue("token") instanceof String token && !token.isBlank()) {
      return token;
    }
    return null;
  }

  private static String address(JsonObject raw) {
    return raw.getValue("address") instanceof String a ? a : null;
  }

  private void decide(BridgeEvent event, BridgeSession s, JsonObject raw) {
    String address = address(raw);
    if (address == null) {
      refuse(event, s, null, "no address");
      return;
    }
    switch (event.type()) {
      case REGISTER -> register(event, s, address);
      case UNREGISTER -> {
        String topic = BridgeAddresses.topicOf(s.user.tenant(), address);
        if (topic != null && s.registered.contains(address) && !sessions.admitTopicChange(s)) {
          refuse(event, s, address, "topic change budget exceeded");
          return;
        }
        if (s.registered.remove(address)) {
          if (topic != null) {
            s.topics.remove(topic);
          }
          event.setRawMessage(new JsonObject().put("type", "unregister").put("address", address));
          event.complete(true);
        } else {
          refuse(event, s, address, "not registered");
        }
      }
      case SEND -> send(event, s, raw, address);
      default -> refuse(event, s, address, "publishing is not part of the client API");
    }
  }

  private void register(BridgeEvent event, BridgeSession s, String address) {
    if (!BridgeAddresses.mayReceive(options, s.user, address)) {
      refuse(event, s, address, "address not permitted");
      return;
    }
    if (!s.registered.contains(address) && s.registered.size() >= MAX_REGISTRATIONS) {
      refuse(event, s, address, "more than " + MAX_REGISTRATIONS + " registrations");
      return;
    }
    String topic = BridgeAddresses.topicOf(s.user.tenant(), address);
    if (topic != null && !s.registered.contains(address) && !sessions.admitTopicChange(s)) {
      refuse(event, s, address, "topic change budget exceeded");
      return;
    }
    s.registered.add(address);
    if (topic != null) {
      s.topics.add(topic);
    }
    // The client's headers (its token among them) go no further.
    event.setRawMessage(new JsonObject().put("type", "register").put("address", address));
    event.complete(true);
  }

  private void send(BridgeEvent event, BridgeSession s, JsonObject raw, String address) {
    if (!BridgeAddresses.isClientApi(address)) {
      refuse(event, s, address, "not a client API address");
      return;
    }
    Object replyAddress = raw.getValue("replyAddress");
    if (replyAddress != null) {
      if (!(replyAddress instanceof String label) || !REPLY_LABEL.matcher(label).matches()) {
        refuse(event, s, address, "reply address must match " + REPLY_LABEL.pattern());
        return;
      }
      long now = System.nanoTime();
      s.pendingReplies.values().removeIf(deadline -> deadline - now < 0);
      if (!s.pendingReplies.containsKey(label) && s.pendingReplies.size() >= MAX_PENDING_REQUESTS) {
        refuse(event, s, address, "more than " + MAX_PENDING_REQUESTS + " requests in flight");
        return;
      }
      s.pendingReplies.put(label, now + replyTimeoutNanos);
    }
    // Rebuilt rather than edited: only the address, the body, the reply label and Herald's own headers go on.
    JsonObject send = new JsonObject().put("type", "send").put("address", address)
        .put("headers", api.headersFor(s)).put("body", raw.getValue("body"));
    if (replyAddress != null) {
      send.put("replyAddress", replyAddress);
    }
    event.setRawMessage(send);
    event.complete(true);
  }

  private void onReceive(BridgeEvent event) {
    BridgeSession s = sessions.get(event.socket());
    if (s == null || s.closing || !s.authenticated()) {
      event.complete(false);
      return;
    }
    JsonObject envelope = event.getRawMessage();
    String address = envelope.getString("address");
    Object body = envelope.getValue("body");
    JsonObject out;
    boolean notificationFrame = false;
    if (s.pendingReplies.remove(address) != null) {
      out = new JsonObject().put("type", "rec").put("address", address).put("body", body);
    } else if (s.registered.contains(address) && BridgeAddresses.mayReceive(options, s.user, address)) {
      if (body instanceof Notification notification) {
        if (!s.filters.accepts(notification)) {
          node.metrics().filteredOut();
          event.complete(false);
          return;
        }
        out = new JsonObject().put("type", "rec").put("address", address).put("body", notification.toFrame());
        notificationFrame = true;
      } else if (body instanceof JsonObject userEvent && address.equals(Addresses.user(s.user.tenant(), s.user.userId()))) {
        out = new JsonObject().put("type", "rec").put("address", address).put("body", userEvent.copy());
      } else {
        log.debug("bridge socket {}: dropped a message of unexpected type on {}", s.id, address);
        event.complete(false);
        return;
      }
    } else {
      log.warn("bridge socket {} of user {}: message on {} not approved for it, dropped", s.id, s.user.userId(), address);
      event.complete(false);
      return;
    }
    if (!sessions.mayWrite(s)) {
      event.complete(false);
      return;
    }
    if (notificationFrame) {
      s.messagesSent++;
      node.metrics().delivered(1);
      sessions.hourly().delivered(1, System.currentTimeMillis() - ((Notification) body).timestamp().toEpochMilli());
    }
    event.setRawMessage(out);
    event.complete(true);
  }

  /**
   * A transport error. A WebSocket frame over {@code max_frame_bytes} is one (the server's frame and message limits
   * are {@code max_frame_bytes}): the socket is closed with 1009, as {@code /ws} does. The bridge hands the hook only
   * the error's message, so the limit is recognised by the texts Netty and Vert.x use for it.
   */
  private void onSocketError(BridgeEvent event) {
    BridgeSession s = sessions.get(event.socket());
    if (s != null) {
      String message = String.valueOf(event.getRawMessage() == null ? null : event.getRawMessage().getValue("message"));
      if (tooLarge(message)) {
        sessions.close(s, CloseCode.FRAME_TOO_LARGE, ErrorCode.TOO_LARGE.wireName());
      } else {
        sessions.release(s);
      }
    }
    event.complete(true);
  }

  /** Whether a transport error's message is the one of a frame or message over {@code max_frame_bytes}. */
  private static boolean tooLarge(String message) {
    return message.contains("Max frame length") || message.contains("max message size");
  }

  private void refuse(BridgeEvent event, BridgeSession s, String address, String why) {
    log.info("bridge {} refused: user {} (tenant {}), address {}: {}", event.type(),
        s.user == null ? "-" : s.user.userId(), s.user == null ? "-" : s.user.tenant(), LogText.quoted(address, BridgeSessions.LOGGED_CHARS), why);
    node.metrics().clientError();
    event.complete(false);
  }
}
