package io.herald.bench;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The parameters of one benchmark run; {@link #validate()} enforces the bounds and the loopback-only rule. */
public final class BenchConfig {

  public enum Scenario { CONNECT, USER, TOPIC, BROADCAST, MIXED;
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

  public Scenario scenario = Scenario.USER;
  public Ingress ingress = Ingress.HTTP;
  public String host = "127.0.0.1";
  public int port = 8080;
  public int connections = 100;
  public int devices = 1;
  public int topics = 10;
  public int topicsPerConnection = 2;
  /** Notifications per second; 0 means as fast as the window allows ({@code --rate max}). */
  public double rate = 1000;
  public Duration duration = Duration.ofSeconds(10);
  /** Stop after this many notifications; 0 means bounded by the duration only. */
  public long messages;
  /** In {@code max} mode: at most this many deliveries outstanding (sent but not yet received). */
  public int windowDeliveries = 20_000;
  /** connect scenario: how long to hold the connections after the last one authenticated. */
  public Duration hold = Duration.ZERO;
  /** New connections per second; 0 means as fast as {@link #connectConcurrency} allows. */
  public double connectRate;
  public int connectConcurrency = 200;
  /** After the last publish: how long to wait for outstanding deliveries before counting them lost. */
  public Duration drain = Duration.ofSeconds(5);
  /** After the last connection authenticated: a pause before the connected RSS is read and publishing starts. */
  public Duration settle = Duration.ofSeconds(1);
  public String jwtSecret;
  public String apiKey;
  public String tenant = "bench";
  public String natsUrl = "nats://127.0.0.1:4222";
  public String natsSubject = "notifications.websocket";
  public String redisUrl = "redis://127.0.0.1:6379";
  public String redisChannelPrefix = "notifications";
  public int clientThreads = 2;
  public int httpConnections = 8;
  /** Local addresses the connections are spread over; empty means the system's choice (127.0.0.1). */
  public List<String> sourceAddresses = new ArrayList<>();
  /** The server process to read /proc of; 0 means none (no server CPU/RSS figures). */
  public long serverPid;
  public long seed = 42;
  /** Per-second progress lines on stderr. */
  public boolean progress;

  public boolean maxRate() {
    return rate <= 0;
  }

  public int users() {
    return (connections + devices - 1) / devices;
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
    if (settle.isNegative() || settle.compareTo(Duration.ofMinutes(1)) > 0) {
      throw new IllegalArgumentException("--settle: 0 to 1 minute");
    }
    if (messages < 0 || messages > MAX_MESSAGES) {
      throw new IllegalArgumentException("--messages: 0.." + MAX_MESSAGES);
    }
    if (rate > 10_000_000) {
      throw new IllegalArgumentException("--rate: at most 10000000 (or max)");
    }
    if (clientThreads < 1 || clientThreads > 64 || httpConnections < 1 || httpConnections > 256
        || connectConcurrency < 1 || connectConcurrency > 10_000 || windowDeliveries < 1) {
      throw new IllegalArgumentException("--client-threads 1..64, --http-connections 1..256, --connect-concurrency 1..10000");
    }
    if (jwtSecret == null || jwtSecret.isEmpty()) {
      throw new IllegalArgumentException("--jwt-secret (or JWT_SECRET) is required: the connections authenticate with tokens signed by it");
    }
    if (scenario != Scenario.CONNECT && ingress == Ingress.HTTP && (apiKey == null || apiKey.isEmpty())) {
      throw new IllegalArgumentException("--api-key (or HERALD_API_KEY) is required for --ingress http");
    }
    requireLoopback("--host", host);
    for (String source : sourceAddresses) {
      requireLoopback("--source-addresses", source);
    }
    if (scenario != Scenario.CONNECT) {
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
