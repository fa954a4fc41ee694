package io.herald.socket.bridge;

import io.herald.model.LogText;
import io.herald.auth.Tokens;
import io.herald.config.HeraldOptions;
import io.herald.runtime.NodeInfo;
import io.herald.session.Admission;
import io.herald.session.ClientAddress;
import io.herald.session.OriginPolicy;
import io.herald.session.SessionCore;
import io.herald.state.State;
import io.netty.util.AsciiString;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.Transport;
import io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SockJS event-bus bridge of one socket verticle, at {@code /eventbus} on the verticle's router (the port of
 * {@code /ws}). Browsers reach the user's notifications through vertx's event-bus client: they register the user's,
 * the tenant's broadcast and permitted topics' addresses, and call the client API ({@code herald.client.*}) with
 * request/reply. The same authentication, admission and limits as {@code /ws} apply; see README "Browser bridge".
 *
 * <p>In front of the SockJS handler: WebSocket upgrades from an origin outside {@code allowed_origins} are refused
 * (403) as on {@code /ws}; a strict CORS handler answers the XHR and EventSource transports only for those origins;
 * POST bodies (xhr_send) are limited to {@code max_frame_bytes}; the iframe page is not served, and the JSONP and
 * htmlfile transports are off (only WebSocket, XHR and EventSource remain).
 */
public final class EventBusBridge {

  private static final Logger log = LoggerFactory.getLogger(EventBusBridge.class);

  /** Where the bridge is mounted. */
  public static final String PATH = "/eventbus";

  /** SockJS's iframe page ({@code /iframe.html}, {@code /iframe-<version>.html}): not served. */
  private static final Pattern IFRAME = Pattern.compile(Pattern.quote(PATH) + "/iframe[^/]*\\.html");

  /**
   * The bridge's own ping timer (SOCKET_IDLE after this long without a client ping): far beyond any idle timeout,
   * because Herald's sweep does the idle timeout, counting every frame as activity.
   */
  private static final long BRIDGE_PING_TIMEOUT_MS = TimeUnit.DAYS.toMillis(365);

  /**
   * The local map where vertx-web (5.0.12, {@code SockJSImpl}) keeps the node's SockJS sessions, shared by every
   * SockJS handler of the Vert.x instance. Should a later vertx-web rename it, the map read here stays empty and
   * {@code max_sockjs_sessions} no longer refuses anything: {@code BridgeLimitsIT} asserts the refusal.
   */
  private static final String SOCKJS_SESSIONS_MAP = "_vertx.sockjssessions";

  /**
   * A SockJS transport request ({@code /eventbus/<server>/<session>/<transport>}) of a transport that creates its
   * session when none has that id: every one left on (the WebSocket, XHR and EventSource ones), not {@code xhr_send}.
   */
  private static final Pattern SESSION_REQUEST = Pattern.compile(
      Pattern.quote(PATH) + "/[^/.]+/([^/.]+)/(?:websocket|xhr|xhr_streaming|eventsource)");

  /** The routing context key under which {@link #gate} flags a request that makes a new socket, and how. */
  private static final String ATTEMPT = "herald.attempt";
  private static final String UPGRADE = "upgrade";
  private static final String SESSION = "session";

  /** The bridge's limit on address length: the longest user or topic address is 206 characters. */
  private static final int MAX_ADDRESS_LENGTH = 256;

  private final Vertx vertx;
  private final HeraldOptions options;
  private final NodeInfo node;
  private final Admission admission;
  private final ClientAddress clientAddresses;
  /** vertx-web's SockJS sessions of this node (all socket verticles), read for their count only. */
  private final LocalMap<String, ?> sockJsSessions;
  private final BridgeSessions sessions;
  private final ClientApi api;

  /** The bridge of the socket verticle whose session core is {@code core}: its sockets are sessions of that core. */
  public EventBusBridge(Vertx vertx, HeraldOptions options, NodeInfo node, State state, Admission admission,
                        SessionCore core) {
    this.vertx = vertx;
    this.options = options;
    this.node = node;
    this.admission = admission;
    this.clientAddresses = new ClientAddress(options.access().getTrustedProxies());
    this.sockJsSessions = vertx.sharedData().getLocalMap(SOCKJS_SESSIONS_MAP);
    this.sessions = new BridgeSessions(options, node, admission, core);
    String ownerAddress = "herald.node." + node.nodeId() + ".bridge." + UUID.randomUUID();
    this.api = new ClientApi(vertx, options.access(), node, state, core.lifecycle(), ownerAddress);
  }

  /**
   * Whether every write of the bridge into an HTTP response is made on the loop of that response's connection, as an
   * HTTP server in strict thread mode requires: true when Herald writes the SockJS sessions' heartbeats
   * ({@link SockJsFrames}).
   */
  public static boolean writesOnConnectionLoops() {
    return SockJsFrames.writesHeartbeats();
  }

  /** Mounts the routes on {@code router} and registers the client API; call from the verticle's start. */
  public Future<Void> mount(Router router) {
    SockJSBridgeOptions bridgeOptions = bridgeOptions();
    router.route(PATH + "/*").handler(this::gate);
    router.route(PATH + "/*").handler(cors()).failureHandler(this::refused);
    router.post(PATH + "/*").handler(BodyHandler.create(false).setBodyLimit(options.server().getMaxFrameBytes()))
        .failureHandler(this::refused);
    router.route(PATH + "/*").handler(this::countAttempt);
    // vertx-web's bridge implementation (public, in its impl package) is what SockJSHandler#bridge mounts; built here
    // so that it sees each socket through Herald's GuardedSocket (inbound checks, outbound byte count). Its
    // SOCKET_IDLE timer would cast the socket to vertx-web's own base class: it never fires (BRIDGE_PING_TIMEOUT_MS).
    EventBusBridgeImpl bridge = new EventBusBridgeImpl(vertx, null, bridgeOptions,
        new BridgeHook(node, sessions, api, bridgeOptions));
    router.route(PATH + "/*").subRouter(SockJSHandler.create(vertx, sockJsOptions())
        .socketHandler(socket -> bridge.handle(new GuardedSocket(socket, sessions::inbound))));
    return api.register();
  }

  private void gate(RoutingContext ctx) {
    if (IFRAME.matcher(ctx.normalizedPath()).matches()) {
      ctx.response().setStatusCode(404).end();
      return;
    }
    boolean upgrade = mayUpgrade(ctx);
    if (upgrade) {
      if (!OriginPolicy.allows(options.access().getAllowedOrigins(), ctx.request().getHeader(HttpHeaders.ORIGIN))) {
        ctx.response().setStatusCode(403).end("origin not allowed");
        return;
      }
      if (node.unavailableReason() != null) {
        ctx.response().setStatusCode(503).putHeader(HttpHeaders.RETRY_AFTER, "1").end(node.unavailableReason());
        return;
      }
    }
    Matcher sessionRequest = SESSION_REQUEST.matcher(ctx.normalizedPath());
    boolean createsSession = sessionRequest.matches() && !sockJsSessions.containsKey(sessionRequest.group(1));
    if (createsSession && sockJsSessions.size() >= options.limits().getMaxSockjsSessions()) {
      log.debug("bridge session refused: {} SockJS sessions on this node", sockJsSessions.size());
      ctx.response().setStatusCode(503).putHeader(HttpHeaders.RETRY_AFTER, "1").end("too many sessions");
      return;
    }
    if (upgrade || createsSession) {
      ctx.put(ATTEMPT, upgrade ? UPGRADE : SESSION);
    }
    ctx.next();
  }

  /**
   * A request that makes a new socket (flagged by {@link #gate}) is one connection attempt of the client's address, as
   * a {@code /ws} upgrade is: 429 when the address has none left. After the body handler, so that a POST's body (bounded)
   * is in before the asynchronous answer; any other request is paused meanwhile, so that nothing of it is read before a
   * handler is there (an upgrade is taken paused, an EventSource GET is resumed here).
   */
  private void countAttempt(RoutingContext ctx) {
    String attempt = ctx.get(ATTEMPT);
    if (attempt == null) {
      ctx.next();
      return;
    }
    boolean bodyRead = ctx.request().method() == HttpMethod.POST;
    if (!bodyRead) {
      ctx.request().pause();
    }
    String ip = clientAddresses.of(ctx.request().remoteAddress(), ctx.request().headers());
    admission.admitUpgrade(ip).onComplete(admitted -> {
      if (admitted.failed()) {
        log.debug("bridge request from {} refused: {}", LogText.of(ip), admitted.cause().getMessage());
        // Retry-After 1: a bucket of upgrade_rate_per_sec >= 1 has a token again within a second.
        ctx.response().setStatusCode(429).putHeader(HttpHeaders.RETRY_AFTER, "1").end("too many connection attempts");
        return;
      }
      if (!bodyRead && attempt.equals(SESSION)) {
        ctx.request().resume();
      }
      ctx.next();
    });
  }

  /**
   * Whether Vert.x could take this request as a WebSocket upgrade. Vert.x 5.0.10 ({@code HttpUtils#canUpgradeToWebSocket})
   * looks at every {@code Upgrade} header for one containing {@code websocket}, case-insensitively, and Netty's
   * handshaker accepts any of them being {@code websocket}: {@code Upgrade: foo} followed by {@code Upgrade: websocket}
   * is upgraded, so the first header alone does not tell. Any {@code Upgrade} header containing {@code websocket}
   * counts here, a superset of Vert.x's rule whatever the method or {@code Connection} header, so the origin check and
   * the draining refusal cover every upgrade.
   */
  private static boolean mayUpgrade(RoutingContext ctx) {
    for (String upgrade : ctx.request().headers().getAll(HttpHeaders.UPGRADE)) {
      if (AsciiString.containsIgnoreCase(upgrade, HttpHeaders.WEBSOCKET)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Answers a request the CORS check (403) or the body limit (413) refused: a client's mistake, logged at debug
   * level instead of vertx-web's error log for unhandled failures.
   */
  private void refused(RoutingContext ctx) {
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    log.debug("bridge request {} refused with {}: {}", LogText.of(Tokens.redactUri(ctx.request().uri())), status,
        ctx.failure() == null ? "-" : ctx.failure().getMessage());
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(status).end();
    }
  }

  /**
   * Answers CORS (and preflights) only for {@code allowed_origins}; a request from another origin gets 403. With
   * {@code allowed_origins} empty (any origin) every origin is echoed, as SockJS itself would.
   */
  private CorsHandler cors() {
    List<String> allowed = options.access().getAllowedOrigins();
    CorsHandler cors = CorsHandler.create()
        .allowCredentials(true)
        .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS))
        .allowedHeader(HttpHeaders.CONTENT_TYPE.toString());
    if (allowed.isEmpty() || allowed.contains("*")) {
      return cors.addOriginWithRegex(".*");
    }
    return cors.addOrigins(allowed);
  }

  private SockJSHandlerOptions sockJsOptions() {
    return new SockJSHandlerOptions()
        .addDisabledTransport(Transport.JSON_P.name())
        .addDisabledTransport(Transport.HTML_FILE.name())
        // HAProxy's own cookie (HERALD_NODE) makes sessions sticky; SockJS's JSESSIONID=dummy is not needed.
        .setInsertJSESSIONID(false)
        // Herald's heartbeat sweep writes the sessions' heartbeat frames on the right loop when it can (SockJsFrames);
        // vertx-web's own timer, which would write them from another loop, then never fires.
        .setHeartbeatInterval(SockJsFrames.writesHeartbeats() ? Long.MAX_VALUE
            : TimeUnit.SECONDS.toMillis(options.limits().getHeartbeatIntervalSecs()));
  }

  private static SockJSBridgeOptions bridgeOptions() {
    SockJSBridgeOptions bridge = new SockJSBridgeOptions()
        .setMaxAddressLength(MAX_ADDRESS_LENGTH)
        .setMaxHandlersPerSocket(BridgeHook.MAX_PENDING_REQUESTS)
        .setPingTimeout(BRIDGE_PING_TIMEOUT_MS);
    // No outbound address is permitted: vertx-web never registers a consumer for a socket (registrations are
    // Herald's, BridgeRegistrations), so nothing but the replies to a socket's own requests leaves through it.
    BridgeAddresses.CLIENT_API.forEach(address -> bridge.addInboundPermitted(new PermittedOptions().setAddress(address)));
    return bridge;
  }
}
