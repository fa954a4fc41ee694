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
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
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

  @Option(names = "--dev", description = "Development mode (scripts/run): generates a JWT secret and an API key, prints"
      + " them, and serves GET /dev/session to the page on localhost. Refused with a configuration file, Redis, NATS,"
      + " a cluster or configured secrets.")
  boolean dev;

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
        options.server().setInstances(instances);
      }
      if (port != null) {
        options.server().setWebsocketPort(port);
      }
      if (cluster) {
        options.cluster().setCluster(true);
      }
      options.validate();
      if (options.cluster().isCluster()) {
        clusterSettings = ClusterSettings.fromEnv(System.getenv());
      }
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return ConfigOption.INVALID_CONFIGURATION_EXIT;
    }
    if (dev) {
      String refused = devRefusal(options, config.chosenFile());
      if (refused != null) {
        System.err.println("herald run --dev: " + refused);
        return ConfigOption.INVALID_CONFIGURATION_EXIT;
      }
      // Secrets that exist only for this run: the page may hand them to the developer's browser (see DevSession).
      options.auth().setJwtSecret(randomHex(32));
      options.api().setApiKey(randomHex(24));
      options.server().setDevMode(true);
    } else {
      String missing = missingSecrets(options);
      if (missing != null) {
        System.err.println("invalid configuration: " + missing);
        return ConfigOption.INVALID_CONFIGURATION_EXIT;
      }
    }
    applyLogLevel(options.server().getLogLevel());
    log.info("configuration: {}", options);
    if (options.api().getAdminKey() == null) {
      log.info("operator routes (POST /admin/drain) are off: no admin_key (HERALD_ADMIN_KEY) configured");
    }
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
    if (options.server().isDevMode()) {
      queueWelcome(vertx, node);
    }
    printWelcome(vertx, options, node);
    return 0;
  }

  /**
   * Why development mode may not start with this configuration, or null when it may. It generates secrets and hands
   * them to whoever loads the page, so it is for a developer's machine on embedded defaults only: never with a
   * configuration file or the services and fleet of a deployment, and never with secrets someone configured.
   */
  static String devRefusal(HeraldOptions options, Path configFile) {
    List<String> reasons = new ArrayList<>();
    if (configFile != null) {
      reasons.add("a configuration file (" + configFile + ", from --conf or HERALD_CONF)");
    }
    if (options.state().redisEnabled()) {
      reasons.add("redis_url (REDIS_URL)");
    }
    if (options.ingress().natsEnabled()) {
      reasons.add("nats_url (NATS_URL)");
    }
    if (options.cluster().isCluster()) {
      reasons.add("a cluster (--cluster, CLUSTER)");
    }
    if (options.auth().getJwtSecret() != null || options.auth().getJwtPublicKey() != null) {
      reasons.add("a configured jwt_secret or jwt_public_key (JWT_SECRET, JWT_PUBLIC_KEY)");
    }
    if (options.api().getApiKey() != null) {
      reasons.add("a configured api_key (HERALD_API_KEY)");
    }
    if (reasons.isEmpty()) {
      return null;
    }
    return "development mode runs on embedded defaults with secrets of its own, not with " + String.join(", ", reasons)
        + "; start a configured node without --dev (scripts/herald run)";
  }

  /**
   * The secrets a node without development mode lacks, named with their environment variables, or null. None is
   * ever generated there: a generated secret would have to be printed to be usable, into logs anyone may read.
   * Without a JWT key a node still authenticates Knox tokens when Redis is configured; admin_key and metrics_key
   * are optional (operator routes off, /metrics open on the node's own port).
   */
  static String missingSecrets(HeraldOptions options) {
    List<String> missing = new ArrayList<>();
    if (options.auth().getJwtSecret() == null && options.auth().getJwtPublicKey() == null && !options.state().redisEnabled()) {
      missing.add("jwt_secret (JWT_SECRET) or jwt_public_key (JWT_PUBLIC_KEY), unless redis_url is set for Knox tokens only");
    }
    if (options.api().getApiKey() == null) {
      missing.add("api_key (HERALD_API_KEY)");
    }
    if (missing.isEmpty()) {
      return null;
    }
    return "missing secrets: " + String.join("; ", missing) + ". A node generates no secret outside development mode"
        + " (scripts/run, herald run --dev)";
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

  /** The node's addresses; in development mode also the secrets it generated, which nothing else prints. */
  private static void printWelcome(Vertx vertx, HeraldOptions options, HeraldNode node) {
    String base = "localhost:" + node.port();
    StringBuilder out = new StringBuilder();
    out.append("\nHerald node ").append(node.nodeId()).append(" is up\n");
    out.append("  Notification center: http://").append(base).append('/')
        .append(options.server().isDevMode() ? "   (development mode: the page connects as user \"demo\")" : "#token=<token>").append('\n');
    out.append("  WebSocket endpoint: ws://").append(base).append("/ws\n");
    out.append("  HTTP ingress:       POST http://").append(base).append("/api/v1/notifications\n");
    out.append("  Health:             http://").append(base).append("/health   Metrics: http://").append(base).append("/metrics\n");
    // Development mode runs without them by design: no hint to set what --dev refuses.
    String hint = options.server().isDevMode() ? "" : " (set %s)";
    out.append("  Redis: ").append(options.state().redisEnabled() ? "on" : "off" + hint.formatted("REDIS_URL"))
        .append("   NATS: ").append(options.ingress().natsEnabled() ? "on" : "off" + hint.formatted("NATS_URL")).append('\n');
    if (options.server().isDevMode()) {
      String token = new JwtIssuer(vertx, options.auth().getJwtSecret()).issue("demo", Duration.ofHours(24), null, List.of());
      out.append("\nDevelopment mode: a JWT secret was generated for this run (set JWT_SECRET or JWT_PUBLIC_KEY in production).\n");
      out.append("  JWT_SECRET=").append(options.auth().getJwtSecret()).append('\n');
      out.append("  Token for user \"demo\" (24 h):\n  ").append(token).append('\n');
      out.append("  Connect:  websocat 'ws://").append(base).append("/ws'  then send {\"type\":\"Authenticate\",\"token\":\"<token>\"}\n");
      out.append("\nDevelopment API key (set HERALD_API_KEY in production):\n  HERALD_API_KEY=").append(options.api().getApiKey()).append('\n');
      out.append("  Publish: HERALD_API_KEY=").append(options.api().getApiKey())
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
