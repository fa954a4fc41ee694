package io.herald.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code herald bench}: the load generator and its report. Loopback targets only; every run bounded in count and time. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmark a Herald node on this machine: connections, deliveries, latency, server CPU and memory.",
        "Scenarios: connect, user, topic, broadcast, mixed. Exit code 1 when a notification was lost or duplicated."})
public final class BenchCommand implements Callable<Integer> {

  @Option(names = "--scenario", defaultValue = "user", description = "connect, user, topic, broadcast or mixed (default: ${DEFAULT-VALUE}).")
  String scenario;

  @Option(names = "--ingress", defaultValue = "http", description = "http, nats or redis (default: ${DEFAULT-VALUE}).")
  String ingress;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Node host; loopback only (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "Node port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = {"--connections", "-n"}, defaultValue = "100", description = "WebSocket connections (default: ${DEFAULT-VALUE}).")
  int connections;

  @Option(names = "--devices", defaultValue = "1", description = "Connections per user (default: ${DEFAULT-VALUE}).")
  int devices;

  @Option(names = "--topics", defaultValue = "10", description = "Topics (default: ${DEFAULT-VALUE}).")
  int topics;

  @Option(names = "--topics-per-connection", defaultValue = "2", description = "Topics each connection joins (topic and mixed; default: ${DEFAULT-VALUE}).")
  int topicsPerConnection;

  @Option(names = "--rate", defaultValue = "1000", description = "Notifications per second, paced (token bucket), or max (default: ${DEFAULT-VALUE}).")
  String rate;

  @Option(names = "--window", defaultValue = "20000", description = "With --rate max: most deliveries outstanding (default: ${DEFAULT-VALUE}).")
  int window;

  @Option(names = "--duration", defaultValue = "10s", description = "Publishing time (default: ${DEFAULT-VALUE}; at most 30m).")
  String duration;

  @Option(names = "--messages", defaultValue = "0", description = "Stop after this many notifications (0: the duration only).")
  long messages;

  @Option(names = "--hold", defaultValue = "0s", description = "connect: hold the connections this long (default: ${DEFAULT-VALUE}).")
  String hold;

  @Option(names = "--connect-rate", defaultValue = "max", description = "New connections per second, or max (default: ${DEFAULT-VALUE}).")
  String connectRate;

  @Option(names = "--connect-concurrency", defaultValue = "200", description = "Handshakes in flight (default: ${DEFAULT-VALUE}).")
  int connectConcurrency;

  @Option(names = "--drain", defaultValue = "5s", description = "Wait for outstanding deliveries after the last publish (default: ${DEFAULT-VALUE}).")
  String drain;

  @Option(names = "--settle", defaultValue = "1s", description = "Pause after connecting, before reading the connected RSS (default: ${DEFAULT-VALUE}).")
  String settle;

  @Option(names = "--jwt-secret", description = "HS256 secret of the node (default: $JWT_SECRET).")
  String jwtSecret;

  @Option(names = "--api-key", description = "API key for --ingress http (default: $HERALD_API_KEY).")
  String apiKey;

  @Option(names = "--tenant", defaultValue = "bench", description = "Tenant of every connection and notification (default: ${DEFAULT-VALUE}).")
  String tenant;

  @Option(names = "--nats-url", description = "NATS server (default: $NATS_URL, else nats://127.0.0.1:4222).")
  String natsUrl;

  @Option(names = "--nats-subject", defaultValue = "notifications.websocket", description = "The node's nats_subject (default: ${DEFAULT-VALUE}).")
  String natsSubject;

  @Option(names = "--redis-url", description = "Redis server (default: $REDIS_URL, else redis://127.0.0.1:6379).")
  String redisUrl;

  @Option(names = "--redis-channel-prefix", defaultValue = "notifications", description = "The node's redis_channel_prefix (default: ${DEFAULT-VALUE}).")
  String redisChannelPrefix;

  @Option(names = "--client-threads", defaultValue = "2", description = "Event loops of the generator's clients (default: ${DEFAULT-VALUE}).")
  int clientThreads;

  @Option(names = "--http-connections", defaultValue = "8", description = "HTTP ingress connections (default: ${DEFAULT-VALUE}).")
  int httpConnections;

  @Option(names = "--source-addresses", description = "Local addresses to connect from: a count (127.0.0.2, 127.0.0.3, ...) or a comma list; "
      + "default: one per 20,000 connections above 20,000, else the system's choice.")
  String sourceAddresses;

  @Option(names = "--server-pid", description = "PID of the node, for its CPU and RSS (from /proc).")
  Long serverPid;

  @Option(names = "--json", description = "Print one JSON line with the results on stdout (the table goes to stderr).")
  boolean json;

  @Option(names = "--plot", paramLabel = "FILE.svg", description = "Write latency-over-time and throughput-over-time charts (SVG).")
  Path plot;

  @Option(names = "--progress", description = "Print a line per second while publishing.")
  boolean progress;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed of target choice (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    BenchConfig config;
    try {
      config = toConfig();
      config.validate();
    } catch (IllegalArgumentException e) {
      System.err.println("herald bench: " + e.getMessage());
      return 2;
    }
    BenchResult result;
    try {
      result = new BenchRunner(config, System.err::println).run();
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("herald bench: " + e.getMessage());
      return 2;
    }
    if (json) {
      System.err.print(result.table());
      System.out.println(result.json().encode());
    } else {
      System.out.print(result.table());
    }
    if (plot != null) {
      try {
        if (plot.getParent() != null) {
          Files.createDirectories(plot.getParent());
        }
        String title = "herald bench " + config.scenario.label()
            + (config.scenario == BenchConfig.Scenario.CONNECT ? "" : " via " + config.ingress.label())
            + ", " + config.connections + " connections, rate " + rate;
        Files.writeString(plot, SvgPlot.render(title, result.series()), StandardCharsets.UTF_8);
      } catch (IOException e) {
        System.err.println("herald bench: cannot write " + plot + ": " + e.getMessage());
        return 2;
      }
    }
    return result.lost() > 0 || result.duplicated() > 0 ? 1 : 0;
  }

  BenchConfig toConfig() {
    BenchConfig c = new BenchConfig();
    c.scenario = parseEnum(BenchConfig.Scenario.class, scenario, "--scenario");
    c.ingress = parseEnum(BenchConfig.Ingress.class, ingress, "--ingress");
    c.host = host;
    c.port = port;
    c.connections = connections;
    c.devices = devices;
    c.topics = topics;
    c.topicsPerConnection = topicsPerConnection;
    c.rate = parseRate(rate, "--rate");
    c.windowDeliveries = window;
    c.duration = parseDuration(duration, "--duration");
    c.messages = messages;
    c.hold = parseDuration(hold, "--hold");
    c.connectRate = parseRate(connectRate, "--connect-rate");
    c.connectConcurrency = connectConcurrency;
    c.drain = parseDuration(drain, "--drain");
    c.settle = parseDuration(settle, "--settle");
    c.jwtSecret = jwtSecret != null ? jwtSecret : System.getenv("JWT_SECRET");
    c.apiKey = apiKey != null ? apiKey : System.getenv("HERALD_API_KEY");
    c.tenant = tenant;
    c.natsUrl = firstNonBlank(natsUrl, System.getenv("NATS_URL"), "nats://127.0.0.1:4222");
    c.natsSubject = natsSubject;
    c.redisUrl = firstNonBlank(redisUrl, System.getenv("REDIS_URL"), "redis://127.0.0.1:6379");
    c.redisChannelPrefix = redisChannelPrefix;
    c.clientThreads = clientThreads;
    c.httpConnections = httpConnections;
    c.sourceAddresses = parseSources(sourceAddresses, connections);
    c.serverPid = serverPid == null ? 0 : serverPid;
    c.progress = progress;
    c.seed = seed;
    return c;
  }

  static List<String> parseSources(String spec, int connections) {
    if (spec == null || spec.isBlank()) {
      return connections > 20_000 ? BenchConfig.loopbackSources((connections + 19_999) / 20_000) : new ArrayList<>();
    }
    if (spec.trim().matches("\\d+")) {
      int n = Integer.parseInt(spec.trim());
      if (n < 0 || n > 250) {
        throw new IllegalArgumentException("--source-addresses: 0..250");
      }
      return BenchConfig.loopbackSources(n);
    }
    List<String> out = new ArrayList<>();
    for (String s : spec.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  private static <E extends Enum<E>> E parseEnum(Class<E> type, String value, String option) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": unknown value " + value);
    }
  }

  static double parseRate(String value, String option) {
    if ("max".equalsIgnoreCase(value.trim())) {
      return 0;
    }
    try {
      double r = Double.parseDouble(value.trim());
      if (r <= 0) {
        throw new NumberFormatException();
      }
      return r;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + ": a positive number or max");
    }
  }

  /** {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, or a number of seconds. */
  static Duration parseDuration(String value, String option) {
    String t = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      char unit = t.charAt(t.length() - 1);
      if (Character.isDigit(unit)) {
        return Duration.ofMillis((long) (Double.parseDouble(t) * 1000));
      }
      double n = Double.parseDouble(t.substring(0, t.length() - 1));
      switch (unit) {
        case 's':
          return Duration.ofMillis((long) (n * 1000));
        case 'm':
          return Duration.ofMillis((long) (n * 60_000));
        case 'h':
          return Duration.ofMillis((long) (n * 3_600_000));
        default:
          throw new NumberFormatException();
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(option + ": a duration like 500ms, 30s, 5m");
    }
  }
}
