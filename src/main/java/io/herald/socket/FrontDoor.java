package io.herald.socket;

import io.herald.auth.Tokens;
import io.herald.config.HeraldOptions;
import io.herald.session.Admission;
import io.herald.web.HttpApi;
import io.herald.runtime.NodeInfo;
import io.herald.socket.bridge.EventBusBridge;
import io.herald.web.WebRoutes;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The node's HTTP front door on one socket verticle: the server (WebSocket limits, compression and its inflation cap)
 * and the routes of the port — {@code /ws}, the browser bridge under {@code /eventbus}, the HTTP API
 * ({@code /api/v1/notifications}, {@code /admin/drain}, {@code /health}, {@code /metrics}) and the page. What each
 * route does lives with its owner; this class only puts them on one router.
 */
final class FrontDoor {

  /** Where WebSocket clients connect. */
  static final String WS_PATH = "/ws";

  /**
   * Longest request line accepted, in bytes: a token of {@link Tokens#MAX_TOKEN_LENGTH} in {@code ?token=} and room for
   * the method, path and other parameters. A longer one is answered 414 and the connection closed, before routing.
   */
  static final int MAX_REQUEST_LINE_BYTES = Tokens.MAX_TOKEN_LENGTH + 4096;

  /**
   * Most bytes of request headers accepted (all of them together): a token of {@link Tokens#MAX_TOKEN_LENGTH} in
   * {@code Authorization} and room for what browsers and proxies send. More is answered 431 and the connection closed.
   */
  static final int MAX_HEADER_BYTES = Tokens.MAX_TOKEN_LENGTH + 8192;

  private FrontDoor() {
  }

  /**
   * The routes of the port, in the order they are matched.
   *
   * @param router a router on which all the routes are
   * @param ready  completes when the bridge's client API is registered
   */
  record Routes(Router router, Future<Void> ready) {
  }

  static Routes routes(Vertx vertx, HeraldOptions options, NodeInfo node, Admission admission,
                       Handler<RoutingContext> wsUpgrade, EventBusBridge bridge) {
    Router router = Router.router(vertx);
    router.get(WS_PATH).handler(wsUpgrade);
    WebRoutes.mount(router, vertx, options.server(), options.auth(), options.api());
    Future<Void> bridgeMounted = bridge.mount(router);
    HttpApi.mount(router, vertx, options.api(), node, admission::admitApiRequest);
    return new Routes(router, bridgeMounted);
  }

  /** The HTTP server of the port (not listening yet), serving {@code router}. */
  static HttpServer server(Vertx vertx, HeraldOptions options, Router router) {
    HttpServerOptions serverOptions = new HttpServerOptions()
        .setHost(options.server().getWebsocketHost())
        .setMaxInitialLineLength(MAX_REQUEST_LINE_BYTES)
        .setMaxHeaderSize(MAX_HEADER_BYTES)
        // HTTP/1.1 only: no client of Herald speaks cleartext HTTP/2, and with it on Vert.x sets a connection up (and
        // calls the connection handler, which starts the header deadline) only once its first bytes have arrived.
        .setHttp2ClearTextEnabled(false)
        .setMaxWebSocketFrameSize(options.server().getMaxFrameBytes())
        .setMaxWebSocketMessageSize(options.server().getMaxFrameBytes())
        .setPerMessageWebSocketCompressionSupported(options.server().isCompression())
        .setPerFrameWebSocketCompressionSupported(options.server().isCompression())
        .setWebSocketCompressionLevel(options.server().getCompressionLevel())
        .setTcpNoDelay(true)
        // Every response of this server is written on its connection's event loop: Vert.x then gives an HTTP
        // connection no cross-thread write queue (a 4 KiB array, kept for the life of every upgraded WebSocket).
        // vertx-web's SockJS heartbeat alone does not follow that rule: the bridge writes it when it can.
        .setStrictThreadMode(EventBusBridge.writesOnConnectionLoops());
    // Bounds inflation on every connection of this server (/ws and the bridge's WebSocket transports), the time each
    // request's headers may take, and how long a connection may stay silent before its first request.
    int headerTimeoutSecs = options.server().getRequestHeaderTimeoutSecs();
    int silentTimeoutSecs = options.limits().getConnectionTimeoutSecs();
    return vertx.createHttpServer(serverOptions).requestHandler(router)
        .connectionHandler(connection -> {
          InflationLimit.install(connection, serverOptions, options.server().getMaxFrameBytes());
          HeaderDeadline.install(connection, headerTimeoutSecs, silentTimeoutSecs);
        });
  }

  /** The port to listen on: 0 in the options ("any free port") becomes -1, so that every instance shares one. */
  static int listenPort(HeraldOptions options) {
    return options.server().getWebsocketPort() == 0 ? -1 : options.server().getWebsocketPort();
  }
}
