package io.herald.web;

import io.herald.auth.JwtIssuer;
import io.herald.config.HeraldOptions;
import io.netty.util.NetUtil;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * {@code GET /dev/session}, mounted only when {@code dev_mode} is on: a fresh token for the demo user and the
 * node's API key, so that the notification-center page connects and publishes with no other step. Refused (403)
 * to anyone but loopback clients: in development mode the node still listens on every interface by default, and
 * the API key must not reach the network.
 */
public final class DevSession {

  /** The user the development token is for: the one {@code herald run} prints a token for. */
  public static final String USER = "demo";

  /** Lifetime of each development token; the page's client fetches a new one before every reconnect. */
  static final Duration TOKEN_TTL = Duration.ofHours(1);

  /** Topic grants of the development token: every topic, so that subscriptions can be tried from the page. */
  private static final List<String> TOPIC_GRANTS = List.of("*");

  private DevSession() {
  }

  static void mount(Router router, Vertx vertx, HeraldOptions options) {
    JwtIssuer issuer = new JwtIssuer(vertx, options.getJwtSecret());
    String apiKey = options.getApiKey();
    router.get("/dev/session").handler(ctx -> {
      ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
      if (!isLoopback(ctx.request().remoteAddress())) {
        ctx.response().setStatusCode(403)
            .end(new JsonObject().put("error", "the development session is served to loopback clients only").encode());
        return;
      }
      Instant expiresAt = Instant.now().plus(TOKEN_TTL);
      ctx.response().end(new JsonObject()
          .put("user_id", USER)
          .put("token", issuer.issue(USER, TOKEN_TTL, null, TOPIC_GRANTS))
          .put("expires_at", expiresAt.toString())
          .put("api_key", apiKey)
          .encode());
    });
  }

  /** Whether the peer is this machine (127.0.0.0/8 or ::1); false for a Unix socket or an unparsable address. */
  static boolean isLoopback(SocketAddress remote) {
    if (remote == null || remote.hostAddress() == null) {
      return false;
    }
    // Parsed as a literal address only: never a name lookup on the event loop.
    byte[] address = NetUtil.createByteArrayFromIpAddressString(remote.hostAddress());
    if (address == null) {
      return false;
    }
    try {
      return InetAddress.getByAddress(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
