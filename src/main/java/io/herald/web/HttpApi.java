package io.herald.web;

import io.herald.cluster.QuorumVerticle;
import io.herald.runtime.NodeInfo;
import io.herald.config.ApiOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;

/**
 * The plain-HTTP routes of the node's front door, mounted on every socket verticle's router (they share the
 * port). They hold no state: each forwards over the node-local event bus to the verticle that owns the
 * concern — the ingress verticle for {@code POST /api/v1/notifications}, the connection registry and the
 * ingress verticle for {@code GET /health}.
 */
public final class HttpApi {

  /** Largest accepted body of {@code POST /api/v1/notifications}, in bytes. */
  public static final long MAX_BODY_BYTES = 1024 * 1024;

  private static final long STATUS_TIMEOUT_MS = 2000;

  private HttpApi() {
  }

  /**
   * The node-wide rate of HTTP API requests per key: completes when one more request made with the (verified) key
   * named {@code keyName} may go on now, fails when the key has used its rate up.
   */
  @FunctionalInterface
  public interface RequestRate {
    Future<Void> admit(String keyName);
  }

  /** @param apiRate the rate {@code /api/v1/} requests draw from, per key, once their key is verified */
  public static void mount(Router router, Vertx vertx, ApiOptions keys, NodeInfo node, RequestRate apiRate) {
    byte[] apiKey = bytes(keys.getApiKey());
    byte[] adminKey = bytes(keys.getAdminKey());
    byte[] metricsKey = bytes(keys.getMetricsKey());
    router.post("/api/v1/notifications")
        .handler(ctx -> {
          if (!authorised(ctx, apiKey)) {
            unauthorised(ctx, "API key");
            return;
          }
          ctx.next();
        });
    // A second route, so that the API key is checked before any body is read.
    router.post("/api/v1/notifications")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        // The rate is drawn once the body is in (at most MAX_BODY_BYTES): a request held across the registry's answer
        // before its body is read would leave the body handler's 413 unanswered to a client still sending.
        .handler(ctx -> apiRate.admit("api_key").onComplete(admitted -> {
          if (admitted.failed()) {
            // Retry-After 1: a bucket of api_rate_per_sec >= 1 has a token again within a second.
            ctx.response().setStatusCode(429).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.RETRY_AFTER, "1").end(error(admitted.cause().getMessage()));
            return;
          }
          publish(ctx, vertx, node);
        }));
    // Operator routes take admin_key only: a publisher's api_key must never drain the fleet node by node.
    router.post("/admin/drain").handler(ctx -> {
      if (adminKey == null) {
        ctx.response().setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(error("operator routes are off: no admin_key configured"));
        return;
      }
      if (!authorised(ctx, adminKey)) {
        unauthorised(ctx, "admin key");
        return;
      }
      node.startDraining(vertx.eventBus());
      ctx.response().setStatusCode(202).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(new JsonObject().put("draining", true).put("node_id", node.nodeId()).encode());
    });
    router.get("/health").handler(ctx -> health(ctx, vertx, node));
    router.get("/metrics").handler(ctx -> {
      if (metricsKey != null && !authorised(ctx, metricsKey)) {
        unauthorised(ctx, "metrics key");
        return;
      }
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
          .end(node.metrics().scrape());
    });
  }

  private static byte[] bytes(String key) {
    return key == null ? null : key.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether the request carries {@code Authorization: Bearer <key>}; never with no key configured. */
  private static boolean authorised(RoutingContext ctx, byte[] apiKey) {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (apiKey == null || header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return MessageDigest.isEqual(apiKey, header.substring(7).trim().getBytes(StandardCharsets.UTF_8));
  }

  private static void publish(RoutingContext ctx, Vertx vertx, NodeInfo node) {
    if (node.isIsolated()) {
      // Published here it would reach only this node's side of the partition: the publisher retries through the
      // balancer, which routes to a node that still has its fleet.
      ctx.response().setStatusCode(503).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.RETRY_AFTER, "1").end(error(NodeInfo.ISOLATED));
      return;
    }
    vertx.eventBus().<JsonObject>request(node.httpIngressAddress(), ctx.body().buffer(), local())
        .onSuccess(reply -> ctx.response().setStatusCode(202)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(reply.body().encode()))
        .onFailure(e -> {
          boolean invalid = e instanceof ReplyException re && re.failureCode() == 400;
          ctx.response().setStatusCode(invalid ? 400 : 503)
              .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
              .end(error(invalid ? e.getMessage() : "ingress unavailable"));
        });
  }

  private static void health(RoutingContext ctx, Vertx vertx, NodeInfo node) {
    Future<JsonObject> connections = vertx.eventBus().<JsonObject>request(node.connectionStatsAddress(), null, local())
        .map(m -> m.body());
    Future<JsonObject> dependencies = vertx.eventBus().<JsonObject>request(node.ingressStatusAddress(), null, local())
        .map(m -> m.body());
    // Answered only on a clustered node with a quorum (cluster_min_members > 1): else no consumer, and no field.
    Future<JsonObject> quorum = vertx.eventBus().<JsonObject>request(QuorumVerticle.statusAddress(node), null, local())
        .map(m -> m.body());
    Future.join(connections, dependencies, quorum).onComplete(done -> {
      JsonObject deps = dependencies.succeeded() ? dependencies.result() : new JsonObject();
      boolean up = dependencies.succeeded() && connections.succeeded() && node.unavailableReason() == null;
      for (String name : deps.fieldNames()) {
        JsonObject dep = deps.getJsonObject(name);
        if (dep.getBoolean("required", true) && !"up".equals(dep.getString("status"))) {
          up = false;
        }
      }
      JsonObject body = new JsonObject()
          // "degraded": a dependency is down but the node itself serves (live delivery goes on).
          .put("status", node.isDraining() ? "draining" : node.isIsolated() ? "isolated"
              : up ? "up" : connections.succeeded() ? "degraded" : "down")
          .put("node_id", node.nodeId())
          .put("started_at", node.startedAt().toString())
          .put("uptime_secs", Duration.between(node.startedAt(), Instant.now()).toSeconds())
          .put("connections", connections.succeeded() ? connections.result().getInteger("connections") : null)
          .put("users", connections.succeeded() ? connections.result().getInteger("users") : null)
          .put("dependencies", deps);
      if (node.unavailableReason() != null) {
        body.put("reason", node.unavailableReason());
      }
      if (quorum.succeeded()) {
        body.put("cluster", quorum.result());
      }
      ctx.response().setStatusCode(up ? 200 : 503)
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    });
  }

  private static DeliveryOptions local() {
    return new DeliveryOptions().setLocalOnly(true).setSendTimeout(STATUS_TIMEOUT_MS);
  }

  /** 401 with a Bearer challenge: the request lacks the key this route takes ({@code what} names it). */
  private static void unauthorised(RoutingContext ctx, String what) {
    ctx.response().setStatusCode(401).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader("WWW-Authenticate", "Bearer").end(error("missing or invalid " + what));
  }

  private static String error(String message) {
    return new JsonObject().put("error", message).encode();
  }
}
