package io.herald.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.XmlConfigBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where and how a node joins the fleet: the Hazelcast cluster name, the members to join over TCP and the
 * interface to bind, read from {@code HERALD_CLUSTER_*} environment variables, applied to
 * {@code conf/cluster.xml} (or the copy inside the jar), and whether the event bus between nodes uses TLS.
 *
 * @param name    cluster name; nodes only join a cluster of the same name. Default {@value #DEFAULT_NAME}.
 * @param members comma list of {@code host[:port]} to join. Default {@value #DEFAULT_MEMBERS}.
 * @param host    interface Hazelcast and the event bus bind to. Default {@value #DEFAULT_HOST}.
 * @param port    first Hazelcast port tried; Hazelcast increments it when taken. Default {@value #DEFAULT_PORT}.
 * @param configFile the Hazelcast XML to use; null for {@code conf/cluster.xml} when present, else the jar's copy
 * @param eventBusPort port of the event bus between nodes; 0 (default) for a free port chosen at start and
 *                published to the other nodes through Hazelcast
 * @param tls     TLS with client certificates on the event bus ({@code HERALD_CLUSTER_TLS_*}); null for plaintext
 * @param publicAddress {@code host:port} the other members reach this node's Hazelcast at, when not the address it
 *                binds (behind NAT, a port mapping or a proxy); null (default) for the bound address
 */
public record ClusterSettings(String name, String members, String host, int port, Path configFile, int eventBusPort,
    EventBusTls tls, String publicAddress) {

  private static final Logger log = LoggerFactory.getLogger(ClusterSettings.class);

  public static final String DEFAULT_NAME = "herald";
  public static final String DEFAULT_MEMBERS = "127.0.0.1";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 5701;

  /** Settings whose Hazelcast is reached at the address it binds. */
  public ClusterSettings(String name, String members, String host, int port, Path configFile, int eventBusPort,
                         EventBusTls tls) {
    this(name, members, host, port, configFile, eventBusPort, tls, null);
  }

  /** Settings with a plaintext event bus on a free port. */
  public ClusterSettings(String name, String members, String host, int port, Path configFile) {
    this(name, members, host, port, configFile, 0, null);
  }

  /**
   * Settings from {@code HERALD_CLUSTER_NAME}, {@code _MEMBERS}, {@code _HOST}, {@code _PORT}, {@code _CONFIG},
   * {@code _EVENTBUS_PORT}, {@code _PUBLIC_ADDRESS} and the {@code HERALD_CLUSTER_TLS_*} of {@link EventBusTls}; an
   * invalid value throws
   * {@link IllegalArgumentException} naming the variable.
   */
  public static ClusterSettings fromEnv(Map<String, String> env) {
    String config = env.get("HERALD_CLUSTER_CONFIG");
    return new ClusterSettings(
        env.getOrDefault("HERALD_CLUSTER_NAME", DEFAULT_NAME),
        env.getOrDefault("HERALD_CLUSTER_MEMBERS", DEFAULT_MEMBERS),
        env.getOrDefault("HERALD_CLUSTER_HOST", DEFAULT_HOST),
        port(env, "HERALD_CLUSTER_PORT", DEFAULT_PORT),
        config == null || config.isBlank() ? null : Path.of(config),
        port(env, "HERALD_CLUSTER_EVENTBUS_PORT", 0),
        EventBusTls.fromEnv(env),
        publicAddress(env.get("HERALD_CLUSTER_PUBLIC_ADDRESS")));
  }

  /** A {@code host:port} (port 1..65535), or null when blank; else {@link IllegalArgumentException}. */
  private static String publicAddress(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String address = value.trim();
    int colon = address.lastIndexOf(':');
    if (colon > 0 && colon < address.length() - 1 && !address.substring(0, colon).contains(",")) {
      try {
        int port = Integer.parseInt(address.substring(colon + 1));
        if (port >= 1 && port <= 65535) {
          return address;
        }
      } catch (NumberFormatException e) {
        // reported below with the form
      }
    }
    throw new IllegalArgumentException("HERALD_CLUSTER_PUBLIC_ADDRESS: not host:port (port 1..65535)");
  }

  private static int port(Map<String, String> env, String name, int defaultPort) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return defaultPort;
    }
    try {
      int port = Integer.parseInt(value.trim());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below with the range
    }
    throw new IllegalArgumentException(name + ": not a port number (0..65535)");
  }

  /** The Hazelcast configuration with the placeholders filled. */
  public Config hazelcastConfig() {
    Properties properties = new Properties();
    properties.setProperty("herald.cluster.name", name);
    properties.setProperty("herald.cluster.members", members);
    properties.setProperty("herald.cluster.host", host);
    properties.setProperty("herald.cluster.port", Integer.toString(port));
    try (InputStream xml = openConfig()) {
      Config config = new XmlConfigBuilder(xml).setProperties(properties).build();
      if (publicAddress != null) {
        config.getNetworkConfig().setPublicAddress(publicAddress);
      }
      return config;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the cluster configuration", e);
    }
  }

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
  }

  private InputStream openConfig() throws IOException {
    if (configFile != null) {
      return Files.newInputStream(configFile);
    }
    Path local = Path.of("conf", "cluster.xml");
    if (Files.isRegularFile(local)) {
      return Files.newInputStream(local);
    }
    InputStream bundled = ClusterSettings.class.getResourceAsStream("/cluster.xml");
    if (bundled == null) {
      throw new IOException("cluster.xml not found");
    }
    return bundled;
  }

  /**
   * Starts a clustered Vert.x instance whose event bus binds to {@link #host()} and {@link #eventBusPort()}, with
   * {@link #tls()} if set.
   */
  public Future<Vertx> startVertx(VertxOptions options) {
    VertxOptions clustered = clusteredOptions(options);
    if (tls != null) {
      log.info("cluster event bus on {}: TLS, client certificates required ({})", host, tls);
    } else if (!isLoopback(host)) {
      // Whoever reaches the port can publish into every tenant's addresses: say so where operators look.
      log.warn("cluster event bus on {} without TLS: any peer that reaches its port can publish to any connection; "
          + "set HERALD_CLUSTER_TLS_CERT, _KEY and _CA (see README, Running a fleet)", host);
    }
    return Vertx.builder().with(clustered)
        .withClusterManager(new HazelcastClusterManager(hazelcastConfig()))
        .buildClustered();
  }

  /** A copy of {@code options} with this node's event-bus host, port and TLS. */
  VertxOptions clusteredOptions(VertxOptions options) {
    VertxOptions clustered = new VertxOptions(options);
    clustered.getEventBusOptions().setHost(host).setClusterPublicHost(host).setPort(eventBusPort);
    if (tls != null) {
      tls.applyTo(clustered.getEventBusOptions());
    }
    return clustered;
  }
}
