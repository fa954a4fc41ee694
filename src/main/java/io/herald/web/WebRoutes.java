package io.herald.web;

import io.herald.config.ApiOptions;
import io.herald.config.AuthOptions;
import io.herald.config.ServerOptions;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The browser-facing routes of the node's front door, mounted on every socket verticle's router: the
 * notification-center page at {@code /}, the JavaScript client at {@code /herald-client.js}, the two scripts its
 * SockJS transport loads under {@code /vendor/}, and, in development mode only, {@link DevSession}.
 * Everything is served from the classpath; nothing here blocks an event loop.
 */
public final class WebRoutes {

  /** Version of the {@code org.webjars.npm:sockjs-client} WebJar in pom.xml: part of its resource path. */
  static final String SOCKJS_CLIENT_VERSION = "1.6.1";

  private static final String WEBROOT = "webroot";
  private static final String REFERRER_POLICY = "Referrer-Policy";
  /** The files served from webroot: the page (at / too), its script and style, the client, the bridge client. */
  private static final String PAGE_FILES =
      "/|/index\\.html|/herald-client\\.js|/notification-center\\.(?:js|css)|/vendor/vertx-eventbus\\.js";
  private static final String SOCKJS_CLIENT_DIST = "META-INF/resources/webjars/sockjs-client/" + SOCKJS_CLIENT_VERSION + "/dist";

  private WebRoutes() {
  }

  /**
   * Adds the routes to a socket verticle's router; {@code /dev/session} only when {@code dev_mode} is on, handing out
   * a token signed with {@code auth}'s {@code jwt_secret} and {@code api}'s {@code api_key}.
   */
  public static void mount(Router router, Vertx vertx, ServerOptions server, AuthOptions auth, ApiOptions api) {
    // No cache headers: after an upgrade a browser must not keep an old client next to a new page.
    StaticHandler pages = StaticHandler.create(WEBROOT).setCachingEnabled(false).setDirectoryListing(false);
    // A regex route: StaticHandler resolves its whole path under webroot (an exact route's path would be stripped).
    // The page may be opened with a token in its address (#token=): no Referer is to carry that address anywhere,
    // neither to this node nor to a link a notification holds. index.html says so too, for a copy served elsewhere.
    router.getWithRegex(PAGE_FILES).handler(ctx -> {
      ctx.response().putHeader(REFERRER_POLICY, "no-referrer");
      ctx.next();
    }).handler(pages);
    // The route's prefix is stripped: /vendor/sockjs-client/sockjs.min.js is <dist>/sockjs.min.js.
    router.get("/vendor/sockjs-client/*").handler(StaticHandler.create(SOCKJS_CLIENT_DIST).setDirectoryListing(false));
    if (server.isDevMode()) {
      DevSession.mount(router, vertx, auth, api);
    }
  }
}
