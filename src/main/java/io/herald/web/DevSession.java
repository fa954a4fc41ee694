package io.herald.web;

import io.herald.auth.JwtIssuer;
import io.herald.config.ApiOptions;
import io.herald.config.AuthOptions;
import io.netty.util.NetUtil;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code GET /dev/session}, mounted only in development mode ({@code herald run --dev}): a fresh token for the demo
 * user and the node's API key, so that the notification-center page connects and publishes with no other step.
 * Served only to a request that is the developer's own browser talking straight to the node (403 otherwise):
 * <ul>
 *   <li>from a loopback address — the node still listens on every interface by default, and the key must not
 *   reach the network;</li>
 *   <li>with a {@code Host} of {@code localhost}, {@code 127.0.0.1} or {@code [::1]}, with the node's port or none —
 *   a page of another site whose name was re-bound to 127.0.0.1 (DNS rebinding) sends its own name;</li>
 *   <li>with no {@code Forwarded}, {@code X-Forwarded-*} or {@code X-Real-IP} header — behind a proxy on the same
 *   machine every client would otherwise look like loopback.</li>
 * </ul>
 */
public final class DevSession {

  /** The user the development token is for: the one {@code herald run} prints a token for. */
  public static final String USER = "demo";

  /** Lifetime of each development token; the page's client fetches a new one before every reconnect. */
  static final Duration TOKEN_TTL = Duration.ofHours(1);

  /** Topic grants of the development token: every topic, so that subscriptions can be tried from the page. */
  private static final List<String> TOPIC_GRANTS = List.of("*");

  /** The names a developer's browser uses for this machine; a Host naming anything else is refused. */
  private static final Set<String> LOCAL_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");

  private DevSession() {
  }

  static void mount(Router router, Vertx vertx, AuthOptions auth, ApiOptions api) {
    JwtIssuer issuer = new JwtIssuer(vertx, auth.getJwtSecret());
    String apiKey = api.getApiKey();
    router.get("/dev/session").handler(ctx -> {
      ctx.response().putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
      String refusal = refusal(ctx.request());
      if (refusal != null) {
        ctx.response().setStatusCode(403).end(new JsonObject().put("error", refusal).encode());
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

  /** Why the request may not have the development session, or null when it may. */
  static String refusal(HttpServerRequest request) {
    if (!isLoopback(request.remoteAddress())) {
      return "the development session is served to loopback clients only";
    }
    for (String name : request.headers().names()) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("forwarded") || lower.startsWith("x-forwarded-") || lower.equals("x-real-ip")) {
        return "the development session is not served through a proxy";
      }
    }
    // The Host (or :authority) the client sent: the router rebuilds none from forwarding headers (allowForward is
    // off), and a request carrying any was refused above.
    if (!isLocalHost(request.authority(), request.localAddress())) {
      return "the development session is served to http://localhost:<port>/ only";
    }
    return null;
  }

  /**
   * Whether the request's authority ({@code Host}, or HTTP/2's {@code :authority}) names this machine by a loopback
   * name or address ({@code localhost}, {@code 127.0.0.1}, {@code [::1]}, any case) with no port or the port the
   * request came in on.
   */
  static boolean isLocalHost(HostAndPort authority, SocketAddress local) {
    if (authority == null || !LOCAL_NAMES.contains(authority.host().toLowerCase(Locale.ROOT))) {
      return false;
    }
    return authority.port() < 0 || (local != null && authority.port() == local.port());
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
