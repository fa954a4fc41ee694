package io.herald.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.herald.auth.JwtIssuer;
import io.herald.config.ConfigException;
import io.herald.config.HeraldOptions;
import io.herald.node.HeraldNode;
import io.herald.cluster.ClusterSettings;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.herald.web.DevSession;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code herald run}: starts a node and keeps it running until SIGTERM/SIGINT, then stops it gracefully. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Start a Herald node.")
public final class RunCommand implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);
  private static volatile boolean running;

  @Mixin
  ConfigOption config = new ConfigOption();

  @Option(names = "--instances", paramLabel = "N", description = "Socket verticle instances (default: instances option, else one per event-loop thread).")
  Integer instances;

  @Option(names = "--port", paramLabel = "PORT", description = "WebSocket/HTTP port (overrides websocket_port).")
  Integer port;

  @Option(names = "--cluster", description = "Join the fleet's Hazelcast cluster (same as cluster: true); see conf/cluster.xml and HERALD_CLUSTER_*.")
  boolean cluster;

  /** Whether a node was started and the JVM must stay up after main returns. */
  public static boolean isRunning() {
    return running;
  }

  @Override
  public Integer call() {
    HeraldOptions options;
    ClusterSettings clusterSettings = null;
    try {
      options = config.load();
      if (instances != null) {
        options.setInstances(instances);
      }
      if (port != null) {
        options.setWebsocketPort(port);
      }
      if (cluster) {
        options.setCluster(true);
      }
      options.validate();
      if (options.isCluster()) {
        clusterSettings = ClusterSettings.fromEnv(System.getenv());
      }
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return 2;
    }
    applyLogLevel(options.getLogLevel());
    boolean devSecret = options.getJwtSecret() == null && options.getJwtPublicKey() == null;
    if (devSecret) {
      options.setJwtSecret(randomHex(32));
    }
    boolean devApiKey = options.getApiKey() == null;
    if (devApiKey) {
      options.setApiKey(randomHex(24));
    }
    if (devSecret && devApiKey) {
      // Both secrets exist only for this run: the page may hand them to the browser (see DevSession). A
      // configured secret or key is never handed out unless dev_mode is set explicitly.
      options.setDevMode(true);
    }
    log.info("configuration: {}", options);
    // Netty's epoll transport (bundled for linux-x86_64) writes with plain write/writev calls and no NIO
    // selector bookkeeping: less CPU per delivered frame. Vert.x falls back to NIO where it cannot load.
    VertxOptions vertxOptions = new VertxOptions().setPreferNativeTransport(true);
    Vertx vertx;
    try {
      vertx = clusterSettings != null
          ? clusterSettings.startVertx(vertxOptions).await(90, TimeUnit.SECONDS)
          : Vertx.vertx(vertxOptions);
    } catch (Exception e) {
      System.err.println("herald: cannot join the cluster: " + e.getMessage());
      return 1;
    }
    if (vertx.isNativeTransportEnabled()) {
      log.info("network transport: native epoll");
    } else {
      log.info("network transport: NIO ({})", vertx.unavailableNativeTransportCause() == null
          ? "native transport unavailable" : vertx.unavailableNativeTransportCause().getMessage());
    }
    HeraldNode node;
    try {
      node = HeraldNode.deploy(vertx, options).await(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("herald: start failed: " + e.getMessage());
      vertx.close();
      return 1;
    }
    running = true;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutting down: closing connections with 1001");
      try {
        node.stop().await(30, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("shutdown incomplete: {}", e.getMessage());
      }
    }, "herald-shutdown"));
    if (options.isDevMode()) {
      queueWelcome(vertx, node);
    }
    printWelcome(vertx, options, node, devSecret, devApiKey);
    return 0;
  }

  /**
   * Development mode: a first notification for the page's demo user, published like any HTTP notification. Nobody is
   * connected yet, so it waits in the user's offline queue and is the first thing the page shows when opened.
   */
  private static void queueWelcome(Vertx vertx, HeraldNode node) {
    JsonObject welcome = new JsonObject().put("user_id", DevSession.USER)
        .put("alert_name", "Welcome to Herald")
        .put("notification_type", "welcome")
        .put("message", "This node is running on embedded defaults. Publish another notification with the form.")
        .put("actions", new JsonArray().add(new JsonObject().put("label", "Node health").put("url", "/health")));
    vertx.eventBus().request(node.info().httpIngressAddress(), welcome.toBuffer())
        .onFailure(e -> log.warn("the welcome notification was not published: {}", e.getMessage()));
  }

  private static void printWelcome(Vertx vertx, HeraldOptions options, HeraldNode node, boolean devSecret, boolean devApiKey) {
    String base = "localhost:" + node.port();
    StringBuilder out = new StringBuilder();
    out.append("\nHerald node ").append(node.nodeId()).append(" is up\n");
    out.append("  Notification center: http://").append(base).append('/')
        .append(options.isDevMode() ? "   (development mode: the page connects as user \"demo\")" : "?token=<token>").append('\n');
    out.append("  WebSocket endpoint: ws://").append(base).append("/ws\n");
    out.append("  HTTP ingress:       POST http://").append(base).append("/api/v1/notifications\n");
    out.append("  Health:             http://").append(base).append("/health   Metrics: http://").append(base).append("/metrics\n");
    out.append("  Redis: ").append(options.redisEnabled() ? "on" : "off (set REDIS_URL)")
        .append("   NATS: ").append(options.natsEnabled() ? "on" : "off (set NATS_URL)").append('\n');
    if (devSecret) {
      String token = new JwtIssuer(vertx, options.getJwtSecret()).issue("demo", Duration.ofHours(24), null, List.of());
      out.append("\nDevelopment mode: a JWT secret was generated for this run (set JWT_SECRET or JWT_PUBLIC_KEY in production).\n");
      out.append("  JWT_SECRET=").append(options.getJwtSecret()).append('\n');
      out.append("  Token for user \"demo\" (24 h):\n  ").append(token).append('\n');
      out.append("  Connect:  websocat 'ws://").append(base).append("/ws'  then send {\"type\":\"Authenticate\",\"token\":\"<token>\"}\n");
    }
    if (devApiKey) {
      out.append("\nDevelopment API key (set HERALD_API_KEY in production):\n  HERALD_API_KEY=").append(options.getApiKey()).append('\n');
      out.append("  Publish: HERALD_API_KEY=").append(options.getApiKey())
          .append(" WEBSOCKET_PORT=").append(node.port())
          .append(" scripts/herald publish --user demo --message 'Hello from Herald'\n");
    }
    System.out.println(out);
    System.out.flush();
  }

  static void applyLogLevel(String level) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("io.herald").setLevel(Level.toLevel(level, Level.INFO));
    }
  }

  private static String randomHex(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
