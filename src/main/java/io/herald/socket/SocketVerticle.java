package io.herald.socket;

import io.herald.auth.AuthException;
import io.herald.auth.Authenticator;
import io.herald.auth.Tokens;
import io.herald.config.HeraldOptions;
import io.herald.model.LogText;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.runtime.NodeInfo;
import io.herald.session.Admission;
import io.herald.session.ClientAddress;
import io.herald.session.ConnectionRegistry;
import io.herald.session.OriginPolicy;
import io.herald.session.Session;
import io.herald.session.SessionCore;
import io.herald.session.SessionLifecycle;
import io.herald.socket.bridge.EventBusBridge;
import io.herald.state.State;
import io.herald.state.StateFactory;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's share of the node's client connections: it owns the sessions of the {@code /ws} connections and
 * bridge sockets it accepts (the {@link SessionCore}, whose state lives on this loop and is never shared), their
 * timers (heartbeat sweep, metrics flush), and the {@code /ws} upgrade. Deployed as several instances sharing the port
 * ({@link FrontDoor} assembles its routes and server). What a {@code /ws} client sends is read by {@link WsInbound}
 * and answered by {@link WsCommands}; the SockJS bridge is {@link EventBusBridge}, over the same core.
 */
public final class SocketVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SocketVerticle.class);

  /** How often this verticle adds its counters to the hourly metrics in the state store. */
  static final long METRICS_FLUSH_MS = 10_000;

  private final HeraldOptions options;
  private final NodeInfo node;
  private final StateFactory stateFactory;
  private final ConnectionRegistry registry;
  private State state;
  private HttpServer server;
  private Redis redis;
  private FrameWriter frames;
  private Admission admission;
  private ClientAddress clientAddresses;
  private SessionCore core;
  private WsInbound inbound;
  private EventBusBridge bridge;
  private long heartbeatTimer = -1;
  private long metricsTimer = -1;

  /** @param registry the node's connection counts, shared by every socket verticle instance of the node */
  public SocketVerticle(HeraldOptions options, NodeInfo node, StateFactory stateFactory, ConnectionRegistry registry) {
    this.options = options;
    this.node = node;
    this.stateFactory = stateFactory;
    this.registry = registry;
  }

  /** The port the server listens on (meaningful after start; differs from the option when that was 0). */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    if (options.state().redisEnabled()) {
      redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(options.state().getRedisUrl()).setMaxPoolSize(4).setMaxPoolWaiting(256));
    }
    Authenticator authenticator = new Authenticator(vertx, options.auth(), redis, options.state().getRedisKeyPrefix());
    frames = new FrameWriter(context);
    state = stateFactory.create(vertx);
    admission = new Admission(vertx, node, registry, state.sessions(), options.limits().getMaxConnectionsPerUser());
    clientAddresses = new ClientAddress(options.access().getTrustedProxies());
    core = new SessionCore(vertx, options, node, state, authenticator, admission);
    inbound = new WsInbound(options.server().getMaxFrameBytes(), core.lifecycle(),
        new WsCommands(vertx, options.access(), node, state, authenticator, core));
    bridge = new EventBusBridge(vertx, options, node, state, admission, core);
    FrontDoor.Routes routes = FrontDoor.routes(vertx, options, node, admission, this::upgrade, bridge);
    server = FrontDoor.server(vertx, options, routes.router());
    long sweepTickMs = Math.max(1, TimeUnit.SECONDS.toMillis(options.limits().getHeartbeatIntervalSecs())
        / SessionLifecycle.SWEEP_SLICES);
    heartbeatTimer = vertx.setPeriodic(sweepTickMs, id -> core.lifecycle().sweepSlice());
    metricsTimer = vertx.setPeriodic(METRICS_FLUSH_MS, id -> core.flushMetrics());
    return Future.all(routes.ready(),
            vertx.eventBus().localConsumer(node.drainAddress(), m -> core.lifecycle().drain()).completion(),
            vertx.eventBus().<Boolean>localConsumer(node.isolationAddress(), m -> {
              if (m.body()) {
                core.lifecycle().closeAll(CloseCode.ISOLATED);
              }
            }).completion())
        .compose(v -> server.listen(FrontDoor.listenPort(options)));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(heartbeatTimer);
    vertx.cancelTimer(metricsTimer);
    // The last metrics and the sessions being closed are written before the state store is released: otherwise a
    // stopped node's sessions would count (and keep its users "online") until their TTL.
    List<Future<?>> closing = new ArrayList<>(core.lifecycle().drain());
    closing.add(core.flushMetrics());
    closing.add(server.close());
    if (redis != null) {
      redis.close();
    }
    return Future.join(closing).onComplete(done -> state.release().run());
  }

  // ---------------------------------------------------------------- upgrade

  private void upgrade(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (!OriginPolicy.allows(options.access().getAllowedOrigins(), origin)) {
      log.info("upgrade refused: origin {} not allowed ({})", LogText.of(origin), LogText.of(Tokens.redactUri(request.uri())));
      ctx.response().setStatusCode(403).end("origin not allowed");
      return;
    }
    if (node.unavailableReason() != null) {
      ctx.response().setStatusCode(503).putHeader(HttpHeaders.RETRY_AFTER, "1").end(node.unavailableReason());
      return;
    }
    String token = tokenFromUpgrade(request);
    String ip = clientAddresses.of(request.remoteAddress(), request.headers());
    String userAgent = request.getHeader(HttpHeaders.USER_AGENT);
    // A slot among the node's connections not yet authenticated (node-wide and per client address) before the
    // upgrade: a storm of connections that never authenticate is refused before any WebSocket exists.
    Admission.Ticket ticket = new Admission.Ticket();
    // Upgraded asynchronously: the request must not be read meanwhile.
    request.pause();
    admission.admitUnauthenticated(ticket, ip).onComplete(admitted -> {
      String unavailable = node.unavailableReason();
      if (admitted.failed() || unavailable != null) {
        admission.releaseUnauthenticated(ticket);
        log.debug("upgrade refused for {}: {}", LogText.of(ip), admitted.failed() ? admitted.cause().getMessage() : unavailable);
        boolean tooFast = admitted.failed() && admitted.cause() instanceof AuthException refused
            && refused.errorCode() == ErrorCode.RATE_LIMITED;
        // Retry-After 1: a bucket of upgrade_rate_per_sec >= 1 has a token again within a second.
        ctx.response().setStatusCode(tooFast ? 429 : 503).putHeader(HttpHeaders.RETRY_AFTER, "1")
            .end(tooFast ? "too many connection attempts" : admitted.failed() ? "too many unauthenticated connections" : unavailable);
        return;
      }
      request.toWebSocket().onSuccess(ws -> {
            ChannelHandlerContext channel = FrameWriter.webSocketContext(request);
            UpgradedConnection.release(ws, channel);
            accept(ws, channel, ticket, token, ip, userAgent);
          })
          .onFailure(e -> {
            admission.releaseUnauthenticated(ticket);
            log.debug("upgrade failed for {}: {}", LogText.of(Tokens.redactUri(request.uri())), e.getMessage());
          });
    });
  }

  private static String tokenFromUpgrade(HttpServerRequest request) {
    String fromQuery = request.getParam("token");
    if (fromQuery != null && !fromQuery.isEmpty()) {
      return fromQuery;
    }
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    return null;
  }

  private void accept(ServerWebSocket ws, ChannelHandlerContext channel, Admission.Ticket ticket, String upgradeToken,
                      String ip, String userAgent) {
    WsTransport transport = new WsTransport(ws, channel, frames);
    Session s = core.lifecycle().open(transport, ticket, ip, userAgent);
    if (s == null) {
      return;
    }
    transport.session = s;
    ws.setWriteQueueMaxSize(options.limits().getWriteQueueMaxBytes());
    ws.frameHandler(frame -> inbound.onFrame(transport, frame));
    ws.exceptionHandler(e -> inbound.onSocketException(transport, e));
    ws.closeHandler(v -> core.lifecycle().release(s));
    if (upgradeToken != null) {
      inbound.authenticate(s, upgradeToken);
    }
  }
}
