package io.herald.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code herald soak}: the benchmark's mixed traffic for N minutes against a running fleet, with resumes of every
 * stream and connection churn, reported per minute and judged at the end ({@link SoakRunner}, {@link SoakVerdict}).
 * {@code scripts/soak} starts the fleet and runs it. Loopback targets only; bounded by {@link #minutes}.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = {"Soak a Herald fleet on this machine: mixed user/topic/broadcast traffic for N minutes while clients",
        "drop and resume every stream and others connect and disconnect; a report line (and a JSONL record) per minute:",
        "published, delivered, lost, duplicated, p99, and per node the heap after a full GC, descriptors and RSS.",
        "Exit code 1 when a notification was lost, duplicated or misdelivered, or the heap grew over its limit."})
public final class SoakCommand implements Callable<Integer> {

  /** Most minutes of a soak: the benchmark's longest run. */
  public static final int MAX_MINUTES = (int) BenchConfig.MAX_DURATION.toMinutes();
  /** Persistent clients unless configured: {@value}. */
  public static final int DEFAULT_CONNECTIONS = 600;
  /** Notifications per second unless configured: {@value} (mixed: 90 % user, 9 % topic, 1 % broadcast). */
  public static final double DEFAULT_RATE = 300;

  /** Minutes of publishing, 1 to {@link #MAX_MINUTES}; required. */
  @Option(names = "--minutes", required = true, description = "Minutes of publishing, 1..30.")
  int minutes;

  /** The fleet's node ports on {@link #host}; required. */
  @Option(names = "--ports", split = ",", required = true, paramLabel = "PORT",
      description = "Ports of the fleet's nodes: persistent clients spread over them, each resume moves to the next.")
  List<Integer> ports = new ArrayList<>();

  /** The nodes' PIDs, in the order of {@link #ports}; required (their heap, descriptors and RSS are the report). */
  @Option(names = "--server-pid", split = ",", required = true, paramLabel = "PID",
      description = "PIDs of the nodes, in the order of --ports.")
  List<Long> serverPids = new ArrayList<>();

  /** Host of the nodes; loopback only; default 127.0.0.1. */
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Node host; loopback only (default: ${DEFAULT-VALUE}).")
  String host;

  /** How notifications enter the fleet; default nats. */
  @Option(names = "--ingress", defaultValue = "nats", converter = BenchConverters.IngressConverter.class,
      description = "http, nats or redis (default: ${DEFAULT-VALUE}).")
  BenchConfig.Ingress ingress;

  /** Persistent clients (accounted exactly); default {@value #DEFAULT_CONNECTIONS}. */
  @Option(names = "--connections", defaultValue = "" + DEFAULT_CONNECTIONS,
      description = "Persistent clients, each accounted for every notification (default: ${DEFAULT-VALUE}).")
  int connections;

  /** Persistent clients per user; default 2. */
  @Option(names = "--devices", defaultValue = "2", description = "Persistent clients per user (default: ${DEFAULT-VALUE}).")
  int devices;

  /** Topics; default 50. */
  @Option(names = "--topics", defaultValue = "50", description = "Topics (default: ${DEFAULT-VALUE}).")
  int topics;

  /** Topics each client joins; default 2. */
  @Option(names = "--topics-per-connection", defaultValue = "2",
      description = "Topics each client joins (default: ${DEFAULT-VALUE}).")
  int topicsPerConnection;

  /** Notifications per second, paced; default {@value #DEFAULT_RATE}. */
  @Option(names = "--rate", defaultValue = "" + (int) DEFAULT_RATE, description = "Notifications per second (default: ${DEFAULT-VALUE}).")
  double rate;

  /** Share of the persistent clients that drop and resume every stream each {@link #resumeEvery}; default 2 %. */
  @Option(names = "--resume-share", defaultValue = "2%", converter = BenchConverters.ShareConverter.class,
      description = "Share of the persistent clients closed and resumed (every stream) each period (default: 2%%).")
  double resumeShare;

  /** Period of the drops; default 1 s. */
  @Option(names = "--resume-every", defaultValue = "1s", converter = BenchConverters.DurationConverter.class,
      description = "Period of the drops (default: ${DEFAULT-VALUE}).")
  Duration resumeEvery;

  /**
   * The position the persistent clients resume each stream from: {@code highest} (default: the highest offset
   * received, as the protocol describes it and herald-client.js keeps it; each connection writes every stream in
   * offset order, so nothing below it is still on its way) or {@code contiguous} (the highest offset below which
   * nothing is missing, see {@link ReceivedOffsets}).
   */
  @Option(names = "--resume-from", defaultValue = "highest",
      description = "highest or contiguous: the offset each stream resumes from (default: ${DEFAULT-VALUE}).")
  String resumeFrom;

  /** Churn connections opened per second; 0 means none; default 2/s. */
  @Option(names = "--churn-rate", defaultValue = "2", description = "Churn connections opened per second (default: ${DEFAULT-VALUE}).")
  double churnRate;

  /** The longest a churn connection lives (each lives a tenth of it to all of it); default 30 s. */
  @Option(names = "--churn-life", defaultValue = "30s", converter = BenchConverters.DurationConverter.class,
      description = "The longest a churn connection lives (default: ${DEFAULT-VALUE}).")
  Duration churnLife;

  /** Most churn connections open at once; default 100. */
  @Option(names = "--churn-max", defaultValue = "100", description = "Most churn connections open at once (default: ${DEFAULT-VALUE}).")
  int churnMax;

  /** After the last minute: how long to wait for the last resumes and deliveries before counting losses; default 60 s. */
  @Option(names = "--drain", defaultValue = "60s", converter = BenchConverters.DurationConverter.class,
      description = "Wait for the last deliveries after publishing (default: ${DEFAULT-VALUE}).")
  Duration drain;

  /** Heap growth limit of runs of 10 minutes or more, in percent; default 10. */
  @Option(names = "--heap-growth-limit", defaultValue = "10",
      description = "Heap growth (after GC, first minute to last) allowed in runs of 10 minutes or more, in %% (default: ${DEFAULT-VALUE}).")
  double heapGrowthLimit;

  /** The JSONL file; default target/soak/soak-&lt;time&gt;.jsonl. */
  @Option(names = "--jsonl", description = "JSONL file of the minute records and the summary (default: target/soak/soak-<time>.jsonl).")
  Path jsonl;

  /** The benchmark's options the soak passes on as they are (secrets, brokers, seed). */
  @Option(names = "--jwt-secret", defaultValue = "${env:JWT_SECRET}", description = "HS256 secret of the nodes (default: $JWT_SECRET).")
  String jwtSecret;

  @Option(names = "--api-key", defaultValue = "${env:HERALD_API_KEY}", description = "API key for --ingress http (default: $HERALD_API_KEY).")
  String apiKey;

  @Option(names = "--nats-url", defaultValue = "${env:NATS_URL:-nats://127.0.0.1:4222}", description = "NATS server (default: $NATS_URL, else nats://127.0.0.1:4222).")
  String natsUrl;

  @Option(names = "--nats-subject", defaultValue = "notifications.websocket", description = "The nodes' nats_subject (default: ${DEFAULT-VALUE}).")
  String natsSubject;

  @Option(names = "--redis-url", defaultValue = "${env:REDIS_URL:-redis://127.0.0.1:6379}", description = "Redis server (default: $REDIS_URL, else redis://127.0.0.1:6379).")
  String redisUrl;

  @Option(names = "--redis-channel-prefix", defaultValue = "notifications", description = "The nodes' redis_channel_prefix (default: ${DEFAULT-VALUE}).")
  String redisChannelPrefix;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed of targets, drops and churn (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    SoakVerdict verdict;
    try {
      verdict = new SoakRunner(benchConfig(), plan(), System.err::println).run();
    } catch (IllegalArgumentException | IllegalStateException | TimeoutException e) {
      // The soak could not run (bad options, clients that could not connect, a generator step that never answered).
      System.err.println("herald soak: " + e);
      return 2;
    }
    return verdict.passed() ? 0 : 1;
  }

  /** The soak's plan; throws {@link IllegalArgumentException} for options out of bounds. */
  SoakRunner.Plan plan() {
    if (minutes < 1 || minutes > MAX_MINUTES) {
      throw new IllegalArgumentException("--minutes: 1.." + MAX_MINUTES);
    }
    if (churnRate < 0 || churnRate > 100 || churnMax < 0 || churnMax > 10_000
        || churnLife.compareTo(Duration.ofSeconds(1)) < 0 || churnLife.compareTo(Duration.ofMinutes(30)) > 0) {
      throw new IllegalArgumentException("--churn-rate 0..100, --churn-max 0..10000, --churn-life 1s..30m");
    }
    if (!(heapGrowthLimit > 0) || heapGrowthLimit > 1000) {
      throw new IllegalArgumentException("--heap-growth-limit: more than 0, at most 1000 (%)");
    }
    if (serverPids.size() != ports.size()) {
      throw new IllegalArgumentException("--server-pid: one PID per port of --ports, in the same order");
    }
    Path file = jsonl != null ? jsonl : Path.of("target", "soak",
        "soak-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".jsonl");
    ReceivedOffsets.ResumeFrom from = switch (resumeFrom) {
      case "highest" -> ReceivedOffsets.ResumeFrom.HIGHEST;
      case "contiguous" -> ReceivedOffsets.ResumeFrom.CONTIGUOUS;
      default -> throw new IllegalArgumentException("--resume-from: highest or contiguous");
    };
    return new SoakRunner.Plan(minutes, churnRate, churnLife, churnMax, heapGrowthLimit, from, file);
  }

  /** The benchmark options of the soak's traffic: the mixed scenario for {@link #minutes}, validated. */
  BenchConfig benchConfig() {
    BenchConfig c = BenchConfig.defaults();
    c.scenario = BenchConfig.Scenario.MIXED;
    c.ingress = ingress;
    c.host = host;
    c.ports = List.copyOf(ports);
    c.serverPids = List.copyOf(serverPids);
    c.connections = connections;
    c.devices = devices;
    c.topics = topics;
    c.topicsPerConnection = topicsPerConnection;
    c.rate = rate;
    c.duration = Duration.ofMinutes(Math.max(1, Math.min(minutes, MAX_MINUTES)));
    c.drain = drain;
    c.recoverShare = resumeShare;
    c.recoverEvery = resumeEvery;
    c.jwtSecret = jwtSecret;
    c.apiKey = apiKey;
    c.natsUrl = natsUrl;
    c.natsSubject = natsSubject;
    c.redisUrl = redisUrl;
    c.redisChannelPrefix = redisChannelPrefix;
    c.seed = seed;
    if (rate <= 0) {
      throw new IllegalArgumentException("--rate: a paced rate above 0 (a soak is not flat out)");
    }
    return c.validate();
  }
}
