package io.herald.bench;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The parameters of one benchmark run. Each field is its own {@code herald bench} option (picocli reads them
 * straight into this object: the declaration, the default and the documentation are in one place); tests and
 * other callers start from {@link #defaults()}. {@link #validate()} enforces the bounds and the loopback-only rule.
 */
public final class BenchConfig {

  public enum Scenario { CONNECT, USER, TOPIC, BROADCAST, MIXED, RECOVER;
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public enum Ingress { HTTP, NATS, REDIS;
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Hard limits: every run is bounded in count and time. */
  public static final int MAX_CONNECTIONS = 100_000;
  public static final Duration MAX_DURATION = Duration.ofMinutes(30);
  public static final long MAX_MESSAGES = 100_000_000L;
  /** Most generator processes of a spread connect run. */
  public static final int MAX_GENERATOR_PROCESSES = 16;
  /** Past this many connections per source address, {@link #sources()} spreads them over several addresses. */
  static final int CONNECTIONS_PER_SOURCE = 20_000;

  /** The run's scenario; default user. */
  @Option(names = "--scenario", defaultValue = "user", converter = BenchConverters.ScenarioConverter.class,
      description = "connect, user, topic, broadcast, mixed or recover (default: ${DEFAULT-VALUE}).")
  public Scenario scenario;

  /** How notifications enter the node; default http. */
  @Option(names = "--ingress", defaultValue = "http", converter = BenchConverters.IngressConverter.class,
      description = "http, nats or redis (default: ${DEFAULT-VALUE}).")
  public Ingress ingress;

  /** Host of the node(s); loopback only; default 127.0.0.1. */
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Node host; loopback only (default: ${DEFAULT-VALUE}).")
  public String host;

  /** Port of the node; default 8080. Ignored when {@link #ports} is given. */
  @Option(names = "--port", defaultValue = "8080", description = "Node port (default: ${DEFAULT-VALUE}).")
  public int port;

  /** Ports of several nodes on {@link #host}: connections are spread over them round-robin; empty means {@link #port}. */
  @Option(names = "--ports", split = ",", paramLabel = "PORT",
      description = "Ports of several nodes (a fleet, reached directly): connections round-robin over them, "
          + "HTTP ingress connections too; replaces --port.")
  public List<Integer> ports = new ArrayList<>();

  /** WebSocket connections; default 100. */
  @Option(names = {"--connections", "-n"}, defaultValue = "100", description = "WebSocket connections (default: ${DEFAULT-VALUE}).")
  public int connections;

  /** Connections per user; default 1. */
  @Option(names = "--devices", defaultValue = "1", description = "Connections per user (default: ${DEFAULT-VALUE}).")
  public int devices;

  /** Topics; default 10. */
  @Option(names = "--topics", defaultValue = "10", description = "Topics (default: ${DEFAULT-VALUE}).")
  public int topics;

  /** Topics each connection joins (topic and mixed scenarios); default 2. */
  @Option(names = "--topics-per-connection", defaultValue = "2",
      description = "Topics each connection joins (topic and mixed; default: ${DEFAULT-VALUE}).")
  public int topicsPerConnection;

  /** Notifications per second; 0 means as fast as the window allows ({@code --rate max}); default 1000/s. */
  @Option(names = "--rate", defaultValue = "1000", converter = BenchConverters.RateConverter.class,
      description = "Notifications per second, paced (token bucket), or max (default: 1000).")
  public double rate;

  /** In {@code max} mode: at most this many deliveries outstanding (sent but not yet received); default 20,000. */
  @Option(names = "--window", defaultValue = "20000",
      description = "With --rate max: most deliveries outstanding (default: ${DEFAULT-VALUE}).")
  public int windowDeliveries;

  /** Publishing time; default 10 s, at most {@link #MAX_DURATION}. */
  @Option(names = "--duration", defaultValue = "10s", converter = BenchConverters.DurationConverter.class,
      description = "Publishing time (default: 10s; at most 30m).")
  public Duration duration;

  /** Stop after this many notifications; 0 (default) means bounded by the duration only. */
  @Option(names = "--messages", defaultValue = "0", description = "Stop after this many notifications (0: the duration only).")
  public long messages;

  /** connect scenario: how long to hold the connections after the last one authenticated; default 0 s. */
  @Option(names = "--hold", defaultValue = "0s", converter = BenchConverters.DurationConverter.class,
      description = "connect: hold the connections this long (default: 0s).")
  public Duration hold;

  /** New connections per second; 0 (default, {@code max}) means as fast as {@link #connectConcurrency} allows. */
  @Option(names = "--connect-rate", defaultValue = "max", converter = BenchConverters.RateConverter.class,
      description = "New connections per second, or max (default: max).")
  public double connectRate;

  /** The longest the connect phase may take before the run fails; default 5 minutes, at most {@link #MAX_DURATION}. */
  @Option(names = "--connect-within", defaultValue = "5m", converter = BenchConverters.DurationConverter.class,
      description = "The run fails when the connections are not all open (or refused) within this (default: 5m; at most 30m).")
  public Duration connectWithin;

  /** Handshakes in flight; default 200. */
  @Option(names = "--connect-concurrency", defaultValue = "200", description = "Handshakes in flight (default: ${DEFAULT-VALUE}).")
  public int connectConcurrency;

  /** After the last publish: how long to wait for outstanding deliveries before counting them lost; default 5 s. */
  @Option(names = "--drain", defaultValue = "5s", converter = BenchConverters.DurationConverter.class,
      description = "Wait for outstanding deliveries after the last publish (default: 5s).")
  public Duration drain;

  /** After the last connection authenticated: a pause before the connected RSS is read and publishing starts; default 1 s. */
  @Option(names = "--settle", defaultValue = "1s", converter = BenchConverters.DurationConverter.class,
      description = "Pause after connecting, before reading the connected RSS (default: 1s).")
  public Duration settle;

  /** recover scenario: the share of the connections dropped and resumed each {@link #recoverEvery}, 0 &lt; share ≤ 1; default 10 %. */
  @Option(names = "--recover-share", defaultValue = "10%", converter = BenchConverters.ShareConverter.class,
      description = "recover: share of the connections closed and resumed each period, as 10%% or 0.1 (default: 10%%).")
  public double recoverShare;

  /** recover scenario: the period of the drops; default 1 s, at least 10 ms. */
  @Option(names = "--recover-every", defaultValue = "1s", converter = BenchConverters.DurationConverter.class,
      description = "recover: a different random set of connections is closed and resumed this often (default: 1s).")
  public Duration recoverEvery;

  /**
   * connect scenario: each connection sends a protocol {@code Ping} this often (as the browser client does every
   * 25 s) and counts the {@code Pong} answers; 0 (default) means none. The server's own WebSocket pings (every
   * {@code heartbeat_interval_secs}) are answered and counted whatever this says.
   */
  @Option(names = "--ping-every", defaultValue = "0s", converter = BenchConverters.DurationConverter.class,
      description = "connect: each connection sends a protocol Ping this often and counts the Pongs (default: 0s, none).")
  public Duration pingEvery;

  /**
   * connect scenario: the connections are opened by this many generator processes of this machine (children of this
   * one, each with its own descriptor limit and source addresses), their figures merged; default 1 (this process).
   */
  @Option(names = "--generator-processes", defaultValue = "1",
      description = "connect: spread the connections over this many generator processes, each with its own descriptor "
          + "limit and source addresses, and merge their figures (default: ${DEFAULT-VALUE}).")
  public int generatorProcesses;

  /**
   * A generator process of a spread run: the global index of its first connection (users and nodes follow the global
   * index, so the processes' connections are distinct users spread evenly over the nodes); default 0.
   */
  @Option(names = "--first-connection", defaultValue = "0", hidden = true)
  public int firstConnection;

  /**
   * A generator process of a spread run: it prints a {@code connected} line on stdout once connected, and its hold
   * ends when a line arrives on stdin or stdin closes (its parent's release, or its parent's end), at the latest after
   * {@code --hold}; default off.
   */
  @Option(names = "--hold-until-released", hidden = true)
  public boolean holdUntilReleased;

  /** HS256 secret of the node; default {@code $JWT_SECRET}. */
  @Option(names = "--jwt-secret", defaultValue = "${env:JWT_SECRET}", description = "HS256 secret of the node (default: $JWT_SECRET).")
  public String jwtSecret;

  /** API key for the HTTP ingress; default {@code $HERALD_API_KEY}. */
  @Option(names = "--api-key", defaultValue = "${env:HERALD_API_KEY}", description = "API key for --ingress http (default: $HERALD_API_KEY).")
  public String apiKey;

  /** Tenant of every connection and notification; default bench. */
  @Option(names = "--tenant", defaultValue = "bench", description = "Tenant of every connection and notification (default: ${DEFAULT-VALUE}).")
  public String tenant;

  /** NATS server(s), comma list; default {@code $NATS_URL}, else nats://127.0.0.1:4222. */
  @Option(names = "--nats-url", defaultValue = "${env:NATS_URL:-nats://127.0.0.1:4222}",
      description = "NATS server (default: $NATS_URL, else nats://127.0.0.1:4222).")
  public String natsUrl;

  /** The node's {@code nats_subject}; default notifications.websocket. */
  @Option(names = "--nats-subject", defaultValue = "notifications.websocket", description = "The node's nats_subject (default: ${DEFAULT-VALUE}).")
  public String natsSubject;

  /** Redis server; default {@code $REDIS_URL}, else redis://127.0.0.1:6379. */
  @Option(names = "--redis-url", defaultValue = "${env:REDIS_URL:-redis://127.0.0.1:6379}",
      description = "Redis server (default: $REDIS_URL, else redis://127.0.0.1:6379).")
  public String redisUrl;

  /** The node's {@code redis_channel_prefix}; default notifications. */
  @Option(names = "--redis-channel-prefix", defaultValue = "notifications",
      description = "The node's redis_channel_prefix (default: ${DEFAULT-VALUE}).")
  public String redisChannelPrefix;

  /** Event loops of the generator's WebSocket clients; default 2. */
  @Option(names = "--client-threads", defaultValue = "2", description = "Event loops of the generator's clients (default: ${DEFAULT-VALUE}).")
  public int clientThreads;

  /** HTTP ingress connections; default 8. */
  @Option(names = "--http-connections", defaultValue = "8", description = "HTTP ingress connections (default: ${DEFAULT-VALUE}).")
  public int httpConnections;

  /** Local source addresses: a count (127.0.0.2, 127.0.0.3, ...) or a comma list; unset means one per 20,000 connections above 20,000. */
  @Option(names = "--source-addresses", description = "Local addresses to connect from: a count (127.0.0.2, 127.0.0.3, ...) "
      + "or a comma list; default: one per 20,000 connections above 20,000, else the system's choice.")
  public String sourceAddresses;

  /** The server processes to read /proc of (a node, or every node of a fleet); empty (default) means no server figures. */
  @Option(names = "--server-pid", split = ",", paramLabel = "PID",
      description = "PID of a node, for its CPU and RSS (from /proc); repeat it or give a comma list for several nodes: "
          + "CPU is summed, RSS reported per PID and summed.")
  public List<Long> serverPids = new ArrayList<>();

  /**
   * Unified GC logs of the server's JVMs ({@code -Xlog:gc*:file=...:utctime,...}); empty (default) means no GC figures.
   * The pauses that ended during the measured phase (publishing and its drain, or a connect run's hold) are counted
   * and the longest reported.
   */
  @Option(names = "--server-gc-log", split = ",", paramLabel = "FILE",
      description = "A node's GC log (-Xlog:gc*:file=FILE:utctime,...), repeatable or a comma list: the GC pauses of the measured "
          + "phase (count, longest, total, over --gc-pause-target) are reported.")
  public List<Path> serverGcLogs = new ArrayList<>();

  /** The longest GC pause a node should take while measured, in the GC figures; default 5 ms (the target). */
  @Option(names = "--gc-pause-target", defaultValue = "5ms", converter = BenchConverters.DurationConverter.class,
      description = "GC pauses longer than this are counted as over the target (default: 5ms).")
  public Duration gcPauseTarget;

  /** Random seed of target choice (and of the recover scenario's drops); default 42. */
  @Option(names = "--seed", defaultValue = "42", description = "Random seed of target choice and drops (default: ${DEFAULT-VALUE}).")
  public long seed;

  /** Per-second progress lines on stderr; default off. */
  @Option(names = "--progress", description = "Print a line per second while publishing.")
  public boolean progress;

  /** Built by picocli (as the mixin of {@link BenchCommand}) or by {@link #defaults()}: the defaults are the options' own. */
  private BenchConfig() {
  }

  /** A configuration with every option at its default, as {@code herald bench} with no option would have it. */
  public static BenchConfig defaults() {
    BenchConfig config = new BenchConfig();
    new CommandLine(config).parseArgs();
    return config;
  }

  public boolean maxRate() {
    return rate <= 0;
  }

  public int users() {
    return (connections + devices - 1) / devices;
  }

  /** The ports the connections are spread over: {@link #ports}, else {@link #port} alone. */
  public List<Integer> targetPorts() {
    return ports.isEmpty() ? List.of(port) : List.copyOf(ports);
  }

  /** The local addresses the connections are spread over; empty means the system's choice (127.0.0.1). */
  public List<String> sources() {
    String spec = sourceAddresses;
    if (spec == null || spec.isBlank()) {
      int needed = connections > CONNECTIONS_PER_SOURCE ? (connections + CONNECTIONS_PER_SOURCE - 1) / CONNECTIONS_PER_SOURCE : 0;
      // Each generator process of a spread run connects from an address of its own.
      return loopbackSources(generatorProcesses > 1 ? Math.max(needed, generatorProcesses) : needed);
    }
    if (spec.trim().matches("\\d+")) {
      int n = Integer.parseInt(spec.trim());
      if (n > 250) {
        throw new IllegalArgumentException("--source-addresses: 0..250");
      }
      return loopbackSources(n);
    }
    List<String> out = new ArrayList<>();
    for (String s : spec.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  /**
   * The source addresses of generator process {@code process} of a spread run: every {@link #generatorProcesses}-th
   * of {@link #sources()} from its own index, or one of them when there are fewer addresses than processes; empty
   * (the system's choice) when {@link #sources()} is.
   */
  public List<String> sourcesOfProcess(int process) {
    List<String> all = sources();
    if (all.isEmpty()) {
      return List.of();
    }
    if (all.size() < generatorProcesses) {
      return List.of(all.get(process % all.size()));
    }
    List<String> own = new ArrayList<>();
    for (int i = process; i < all.size(); i += generatorProcesses) {
      own.add(all.get(i));
    }
    return own;
  }

  /** Source addresses 127.0.0.2 .. 127.0.0.(1+count). */
  public static List<String> loopbackSources(int count) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add("127.0.0." + (2 + i));
    }
    return out;
  }

  public BenchConfig validate() {
    if (connections < 1 || connections > MAX_CONNECTIONS) {
      throw new IllegalArgumentException("--connections: 1.." + MAX_CONNECTIONS);
    }
    if (devices < 1 || devices > connections) {
      throw new IllegalArgumentException("--devices: 1..connections");
    }
    if (topics < 1 || topics > 100_000 || topicsPerConnection < 0 || topicsPerConnection > Math.min(topics, 256)) {
      throw new IllegalArgumentException("--topics 1..100000, --topics-per-connection 0..min(topics, 256)");
    }
    if (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException("--duration: more than 0, at most " + MAX_DURATION.toMinutes() + " minutes");
    }
    if (hold.isNegative() || hold.compareTo(MAX_DURATION) > 0 || drain.isNegative() || drain.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException("--hold at most 30 minutes, --drain at most 5 minutes");
    }
    if (connectWithin.compareTo(Duration.ofSeconds(1)) < 0 || connectWithin.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException("--connect-within: 1 s to 30 minutes");
    }
    if (settle.isNegative() || settle.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("--settle: 0 to 1 minute");
    }
    if (messages < 0 || messages > MAX_MESSAGES) {
      throw new IllegalArgumentException("--messages: 0.." + MAX_MESSAGES);
    }
    if (rate > 10_000_000) {
      throw new IllegalArgumentException("--rate: at most 10000000 (or max)");
    }
    if (!(recoverShare > 0 && recoverShare <= 1) || recoverEvery.compareTo(Duration.ofMillis(10)) < 0
        || recoverEvery.compareTo(MAX_DURATION) > 0) {
      throw new IllegalArgumentException("--recover-share: more than 0, at most 100%; --recover-every: 10ms to 30m");
    }
    if (clientThreads < 1 || clientThreads > 64 || httpConnections < 1 || httpConnections > 256
        || connectConcurrency < 1 || connectConcurrency > 10_000 || windowDeliveries < 1) {
      throw new IllegalArgumentException("--client-threads 1..64, --http-connections 1..256, --connect-concurrency 1..10000");
    }
    if (pingEvery.isNegative() || pingEvery.compareTo(MAX_DURATION) > 0
        || !pingEvery.isZero() && pingEvery.compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException("--ping-every: 0 (none) or 100ms to 30m");
    }
    if (generatorProcesses < 1 || generatorProcesses > MAX_GENERATOR_PROCESSES) {
      throw new IllegalArgumentException("--generator-processes: 1.." + MAX_GENERATOR_PROCESSES);
    }
    if (generatorProcesses > 1 && (scenario != Scenario.CONNECT || connections < generatorProcesses)) {
      throw new IllegalArgumentException("--generator-processes: for the connect scenario only, at most one per connection");
    }
    if (firstConnection < 0 || firstConnection > MAX_CONNECTIONS) {
      throw new IllegalArgumentException("--first-connection: 0.." + MAX_CONNECTIONS);
    }
    for (int p : targetPorts()) {
      if (p < 1 || p > 65_535) {
        throw new IllegalArgumentException("--port/--ports: 1..65535");
      }
    }
    for (long pid : serverPids) {
      if (pid < 1) {
        throw new IllegalArgumentException("--server-pid: a positive process id");
      }
    }
    if (gcPauseTarget.isNegative()) {
      throw new IllegalArgumentException("--gc-pause-target: not negative");
    }
    for (Path log : serverGcLogs) {
      if (!Files.isReadable(log)) {
        throw new IllegalArgumentException("--server-gc-log " + log + ": no such readable file");
      }
    }
    if (jwtSecret == null || jwtSecret.isEmpty()) {
      throw new IllegalArgumentException("--jwt-secret (or JWT_SECRET) is required: the connections authenticate with tokens signed by it");
    }
    if (scenario != Scenario.CONNECT && ingress == Ingress.HTTP && (apiKey == null || apiKey.isEmpty())) {
      throw new IllegalArgumentException("--api-key (or HERALD_API_KEY) is required for --ingress http");
    }
    requireLoopback("--host", host);
    for (String source : sources()) {
      requireLoopback("--source-addresses", source);
    }
    if (scenario != Scenario.CONNECT) {
      if (ingress == Ingress.NATS && (natsUrl == null || natsUrl.isBlank())
          || ingress == Ingress.REDIS && (redisUrl == null || redisUrl.isBlank())) {
        throw new IllegalArgumentException("--nats-url / --redis-url: empty (is NATS_URL or REDIS_URL set to nothing?)");
      }
      if (ingress == Ingress.NATS) {
        for (String url : natsUrl.split(",")) {
          requireLoopback("--nats-url", URI.create(url.trim()).getHost());
        }
      }
      if (ingress == Ingress.REDIS) {
        requireLoopback("--redis-url", URI.create(redisUrl).getHost());
      }
    }
    return this;
  }

  /** The benchmark sends traffic to this machine only. */
  static void requireLoopback(String what, String host) {
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(what + ": no host");
    }
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          throw new IllegalArgumentException(what + ": " + host + " is not a loopback address; the benchmark targets this machine only");
        }
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(what + ": unknown host " + host);
    }
  }
}
