package io.herald.socket.bridge;

import io.herald.config.HeraldOptions;
import io.herald.model.LogText;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.runtime.NodeInfo;
import io.herald.session.Admission;
import io.herald.session.ClientAddress;
import io.herald.session.Session;
import io.herald.session.SessionCore;
import io.herald.session.SessionLifecycle;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge sockets of one socket verticle, each a session of the verticle's {@link SessionCore} on a
 * {@link BridgeTransport}: opening (draining and unauthenticated-slot refusals), authentication (token in the URL or in
 * the first frame's {@code headers.token}), and the check of every message from the client before vertx-web's bridge
 * sees it. Registrations ({@code register}, {@code unregister}) are Herald's own ({@link BridgeRegistrations}); only
 * {@code send} (the client API) and {@code ping} go on to vertx-web. Everything here runs on the verticle's event loop.
 */
final class BridgeSessions {

  private static final Logger log = LoggerFactory.getLogger(BridgeSessions.class);

  /** The message types of vertx-web's bridge protocol. */
  private static final Set<String> BRIDGE_TYPES = Set.of("ping", "send", "publish", "register", "unregister");

  /** Characters of a client-supplied string that go into a log line. */
  static final int LOGGED_CHARS = 64;

  private final NodeInfo node;
  private final SessionLifecycle lifecycle;
  private final Admission admission;
  private final ClientAddress clientAddresses;
  private final int writeQueueMaxBytes;
  private final BridgeRegistrations registrations;
  private final Map<SockJSSocket, BridgeTransport> bySocket = new HashMap<>();

  BridgeSessions(HeraldOptions options, NodeInfo node, Admission admission, SessionCore core) {
    this.node = node;
    this.lifecycle = core.lifecycle();
    this.admission = admission;
    this.clientAddresses = new ClientAddress(options.access().getTrustedProxies());
    this.writeQueueMaxBytes = options.limits().getWriteQueueMaxBytes();
    this.registrations = new BridgeRegistrations(options.access(), node, core);
  }

  /** The bridge transport of the socket, or null once it is released. */
  BridgeTransport get(SockJSSocket socket) {
    BridgeTransport t = bySocket.get(socket);
    if (t != null && lifecycle.get(t.session.id()) == null) {
      bySocket.remove(socket);
      return null;
    }
    return t;
  }

  /**
   * Starts a session for a new socket once it holds one of the node's slots for unauthenticated connections
   * (node-wide and per client address, as {@code /ws}) and one of its client address's bridge socket slots
   * ({@code max_sockjs_sessions_per_address}); or closes it and completes with null when the node drains or is isolated, no slot is
   * free or this verticle already holds {@code max_connections} sessions (4029 {@code connection_limit}).
   */
  Future<BridgeTransport> open(GuardedSocket socket) {
    if (node.unavailableReason() != null) {
      CloseCode code = node.isDraining() ? CloseCode.SHUTDOWN : CloseCode.ISOLATED;
      node.metrics().closed(code);
      SockJsFrames.close(socket, code.code(), BridgeTransport.reason(code));
      return Future.succeededFuture();
    }
    String ip = clientAddresses.of(socket.remoteAddress(), socket.headers());
    Admission.Ticket ticket = new Admission.Ticket();
    return admission.admitBridgeSocket(ticket, ip).transform(admitted -> {
      if (admitted.failed()) {
        log.debug("bridge socket from {} refused: {}", ip, admitted.cause().getMessage());
        node.metrics().closed(CloseCode.LIMIT_EXCEEDED);
        SockJsFrames.close(socket, CloseCode.LIMIT_EXCEEDED.code(), ErrorCode.CONNECTION_LIMIT.wireName());
        return Future.succeededFuture();
      }
      BridgeTransport transport = new BridgeTransport(socket);
      String userAgent = socket.headers() == null ? null : socket.headers().get(HttpHeaders.USER_AGENT);
      Session s = lifecycle.open(transport, ticket, ip, userAgent);
      if (s == null) {
        return Future.succeededFuture();
      }
      transport.session = s;
      socket.setWriteQueueMaxSize(writeQueueMaxBytes);
      bySocket.put(socket, transport);
      return Future.succeededFuture(transport);
    });
  }

  /** Starts authenticating with the token of the socket's URL ({@code ?token=}), when it has one. */
  void authenticateFromUri(BridgeTransport t) {
    String uri = t.socket.uri();
    List<String> values = uri == null ? null : new QueryStringDecoder(uri).parameters().get("token");
    if (values != null && !values.isEmpty() && !values.get(0).isBlank()) {
      authenticate(t, values.get(0));
    }
  }

  /**
   * Authenticates the token and admits the user (the session core's lifecycle, as {@code /ws}); a refused token closes
   * the socket with the failure's close code and its error code's wire name as reason ({@code 4001 token_invalid}).
   */
  Future<SessionLifecycle.Authenticated> authenticate(BridgeTransport t, String token) {
    t.authentication = lifecycle.authenticate(t.session, token, BridgeTransport.DEVICE);
    return t.authentication;
  }

  /** Releases the socket's session (its transport has closed); idempotent. */
  void release(SockJSSocket socket) {
    BridgeTransport t = bySocket.remove(socket);
    if (t != null) {
      lifecycle.release(t.session);
    }
  }

  /** Closes the socket's session with a code (a transport error of the bridge). */
  void close(BridgeTransport t, CloseCode code, ErrorCode error) {
    lifecycle.close(t.session, code, error, null);
  }

  /**
   * Decides one message from the client before vertx-web's bridge parses it (see {@link GuardedSocket}): every
   * message, ping included, draws from the rate limit (a refused one is answered {@code err rejected}, and persistent
   * excess closes the socket with 4029), and only a JSON object with a known {@code type} and, but for {@code ping},
   * a string {@code address} goes on. Anything else is answered here with the {@code err} frame vertx-web would send
   * ({@code invalid_json}, {@code missing_type}, {@code invalid_type}, {@code missing_address}) and logged at debug
   * level, escaped and truncated; a socket that has not presented a token is closed instead (4000 {@code malformed}),
   * as {@code /ws} does. {@code register} and {@code unregister} are decided here ({@link BridgeRegistrations}) and
   * never reach vertx-web. Messages of a socket being closed are dropped, so the rest of a many-message SockJS frame
   * costs nothing once the rate limit has closed it.
   */
  boolean inbound(GuardedSocket socket, Buffer data) {
    BridgeTransport t = get(socket);
    if (t == null || t.session.closing()) {
      return false;
    }
    Session s = t.session;
    if (!lifecycle.admitMessage(s)) {
      if (!s.closing()) {
        answer(t, "rejected");
      }
      return false;
    }
    Object parsed = parse(s.id(), data);
    String problem = parsed instanceof String p ? p : null;
    if (problem != null) {
      node.metrics().clientError();
      if (t.authentication == null) {
        lifecycle.close(s, CloseCode.AUTH_MISSING, ErrorCode.MALFORMED, null);
      } else {
        answer(t, problem);
      }
      return false;
    }
    JsonObject message = (JsonObject) parsed;
    String type = message.getString("type");
    if (!type.equals("register") && !type.equals("unregister")) {
      return true;
    }
    String address = message.getString("address");
    if (t.authentication == null) {
      String token = BridgeHook.headerToken(message);
      if (token == null) {
        registrations.refuse(t, type, address, "not authenticated");
        return false;
      }
      authenticate(t, token);
    }
    t.authentication.onComplete(result -> {
      if (result.succeeded() && !s.closing()) {
        registrations.decide(t, type, address);
      }
    });
    return false;
  }

  /**
   * The message as a JSON object vertx-web's bridge can take, else (a String) the body of the {@code err} it deserves.
   * Pure but for its debug log line ({@code socketId} names the socket there), so it is fuzzed on its own.
   */
  static Object parse(String socketId, Buffer data) {
    Object parsed;
    try {
      parsed = Json.decodeValue(data);
    } catch (DecodeException e) {
      log.debug("bridge socket {}: invalid JSON {}", socketId, LogText.quoted(data.toString(), LOGGED_CHARS));
      return "invalid_json";
    }
    if (!(parsed instanceof JsonObject message)) {
      log.debug("bridge socket {}: not a JSON object {}", socketId, LogText.quoted(data.toString(), LOGGED_CHARS));
      return "invalid_json";
    }
    Object type = message.getValue("type");
    if (!(type instanceof String typeName)) {
      log.debug("bridge socket {}: no string type", socketId);
      return "missing_type";
    }
    if (!BRIDGE_TYPES.contains(typeName)) {
      log.debug("bridge socket {}: unknown type {}", socketId, LogText.quoted(typeName, LOGGED_CHARS));
      return "invalid_type";
    }
    if (!typeName.equals("ping") && !(message.getValue("address") instanceof String)) {
      log.debug("bridge socket {}: {} without a string address", socketId, typeName);
      return "missing_address";
    }
    return message;
  }

  /** Writes vertx-web's {@code err} frame (no address: the JS client's {@code onerror}). */
  static void answer(BridgeTransport t, String errBody) {
    t.socket.write(new JsonObject().put("type", "err").put("body", errBody).toBuffer());
  }
}
