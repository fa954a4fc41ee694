package io.herald.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/**
 * A connect run spread over several generator processes ({@code --generator-processes K}). A process needs one
 * descriptor per connection and this machine allows 20,000 per process, so K children of this JVM ({@code herald
 * bench} on the same classpath) each open their share of the connections, from source addresses of their own, with
 * the global indexes of their connections (distinct users, spread evenly over the nodes). Each child prints a
 * {@code connected} line on stdout once connected and holds until released; this parent measures the server once for
 * all of them (RSS and live heap idle and connected, CPU over the hold), releases them after the hold and merges
 * their figures — connections, failures, closes, heartbeats, handshake latencies — into one result.
 *
 * <p>The child's side is {@link #announceConnected} and {@link #awaitRelease}, called by {@link BenchRunner}.
 */
final class GeneratorProcesses {

  /** The {@code event} of a child's stdout line once its connect phase is over. */
  private static final String CONNECTED_EVENT = "connected";
  /** Beyond --connect-within (the children's own bound), how long they may take to start. */
  private static final Duration START_BOUND = Duration.ofMinutes(1);
  /** How long a released child may take to close its connections and report. */
  private static final Duration REPORT_BOUND = Duration.ofMinutes(2);
  /** Beyond the hold, how long a child waits for its release before ending the hold by itself. */
  private static final Duration RELEASE_MARGIN = Duration.ofMinutes(5);

  private final BenchConfig config;
  private final Consumer<String> log;
  /** The server's processes; null when no PID was given (no server figures). */
  private final ServerProcesses server;

  GeneratorProcesses(BenchConfig config, Consumer<String> log) {
    this.config = config.validate();
    this.log = log;
    this.server = config.serverPids.isEmpty() ? null : new ServerProcesses(config.serverPids);
  }

  // ------------------------------------------------------------------------------------------------ the child's side

  /** A child: tells its parent (stdout) that its connect phase is over, with its figures so far. */
  static void announceConnected(JsonObject connect) {
    System.out.println(connect.copy().put("event", CONNECTED_EVENT).encode());
    System.out.flush();
  }

  /** A child: holds until a line arrives on stdin or stdin closes (its parent released it, or ended), at most {@code max}. */
  static void awaitRelease(Duration max) throws InterruptedException {
    CountDownLatch released = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try {
        System.in.read();
      } catch (IOException e) {
        // a broken stdin: the parent is gone, which releases too
      }
      released.countDown();
    }, "bench-release");
    reader.setDaemon(true);
    reader.start();
    released.await(max.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** A histogram as text for a child's result line (HdrHistogram's compressed form, base64). */
  static String encode(Histogram histogram) {
    ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int length = histogram.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length));
  }

  static Histogram decode(String encoded) {
    try {
      return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(encoded)), 0);
    } catch (DataFormatException e) {
      throw new IllegalStateException("a generator process sent an unreadable histogram", e);
    }
  }

  // ------------------------------------------------------------------------------------------------ the parent's side

  /** One child process: its share of the connections, its stdout lines as they come, its stderr copied to the log. */
  private final class Child {
    final int index;
    final int first;
    final int connections;
    final List<String> sources;
    final Process process;
    final CompletableFuture<JsonObject> connected = new CompletableFuture<>();
    final CompletableFuture<JsonObject> result = new CompletableFuture<>();

    Child(int index, int first, int connections) throws IOException {
      this.index = index;
      this.first = first;
      this.connections = connections;
      this.sources = config.sourcesOfProcess(index);
      ProcessBuilder builder = new ProcessBuilder(command());
      // The secret reaches the child through its environment, not its command line (visible to every user).
      builder.environment().put("JWT_SECRET", config.jwtSecret);
      process = builder.start();
      daemon("bench-generator-" + index + "-out", this::readResults);
      daemon("bench-generator-" + index + "-err", () -> copyLog(process.getErrorStream()));
    }

    private List<String> command() {
      Duration hold = config.hold.compareTo(config.duration) > 0 ? config.duration : config.hold;
      Duration bound = hold.plus(RELEASE_MARGIN).compareTo(BenchConfig.MAX_DURATION) > 0
          ? BenchConfig.MAX_DURATION : hold.plus(RELEASE_MARGIN);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      if (Runtime.version().feature() >= 22) {
        // Netty loads its epoll library; the jar's manifest allows that, a class path needs it said.
        command.add("--enable-native-access=ALL-UNNAMED");
      }
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchCommand.class.getName(),
          "--json", "--hold-until-released", "--scenario", "connect", "--host", config.host,
          "--ports", String.join(",", config.targetPorts().stream().map(String::valueOf).toList()),
          "--connections", String.valueOf(connections), "--first-connection", String.valueOf(first),
          "--devices", String.valueOf(config.devices), "--tenant", config.tenant,
          "--hold", bound.toMillis() + "ms", "--duration", bound.toMillis() + "ms", "--settle", "0s",
          "--connect-within", config.connectWithin.toMillis() + "ms",
          "--connect-rate", config.connectRate > 0 ? String.valueOf(config.connectRate / config.generatorProcesses) : "max",
          "--connect-concurrency", String.valueOf(Math.max(1, config.connectConcurrency / config.generatorProcesses)),
          "--client-threads", String.valueOf(config.clientThreads),
          "--ping-every", config.pingEvery.toMillis() + "ms",
          // "0": the system's choice, not the default's own addresses.
          "--source-addresses", sources.isEmpty() ? "0" : String.join(",", sources)));
      return command;
    }

    private void readResults() {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
          JsonObject message = line.startsWith("{") ? parse(line) : null;
          if (message == null) {
            log.accept("  [generator " + index + "] " + line);
          } else if (CONNECTED_EVENT.equals(message.getString("event"))) {
            connected.complete(message);
          } else {
            result.complete(message);
          }
        }
      } catch (IOException e) {
        // the process is gone: said below
      }
      int exit = waitForExit();
      IllegalStateException ended = new IllegalStateException("generator process " + index + " (pid " + process.pid()
          + ") ended with exit code " + exit + " before reporting; its log lines above say why");
      connected.completeExceptionally(ended);
      result.completeExceptionally(ended);
    }

    private static JsonObject parse(String line) {
      try {
        return new JsonObject(line);
      } catch (RuntimeException notJson) {
        return null;
      }
    }

    private int waitForExit() {
      try {
        return process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }

    private void copyLog(InputStream err) {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(err, StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          log.accept("  [generator " + index + "] " + line);
        }
      } catch (IOException e) {
        // the process is gone
      }
    }

    /** Ends the child's hold: a line on its stdin, then stdin closed. Idempotent. */
    void release() {
      try (OutputStream in = process.getOutputStream()) {
        in.write('\n');
      } catch (IOException e) {
        // already released, or the process is gone
      }
    }
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }

  BenchResult run() throws Exception {
    int k = config.generatorProcesses;
    Instant startedAt = Instant.now();
    ServerProcesses.Sample idle = server != null ? server.sample() : null;
    List<Long> liveHeapIdle = server != null ? server.liveHeapBytes() : null;
    List<Child> children = new ArrayList<>();
    try {
      log.accept(String.format("connecting %d clients from %d generator processes to %s:%s ...", config.connections, k,
          config.host, config.targetPorts()));
      ServerProcesses.Sample beforeConnect = server != null ? server.sample() : null;
      int first = 0;
      for (int i = 0; i < k; i++) {
        int share = config.connections / k + (i < config.connections % k ? 1 : 0);
        children.add(new Child(i, first, share));
        first += share;
      }
      long deadline = System.nanoTime() + config.connectWithin.plus(START_BOUND).toNanos();
      List<JsonObject> connectedEvents = new ArrayList<>();
      for (Child c : children) {
        connectedEvents.add(await(c.connected, deadline, "connected"));
      }
      ServerProcesses.Sample afterConnect = server != null ? server.sample() : null;
      JsonObject connect = mergedConnect(connectedEvents);
      if (server != null && beforeConnect.cpuNanos() >= 0 && connect.getInteger("connected") > 0) {
        connect.put("server_cpu_us_per_connection",
            BenchRunner.round((afterConnect.cpuNanos() - beforeConnect.cpuNanos()) / 1e3 / connect.getInteger("connected"), 1));
      }
      log.accept(String.format(Locale.ROOT, "connected %d (failed %d) in %.2f s: %.0f/s", connect.getInteger("connected"),
          connect.getLong("failed"), connect.getDouble("seconds"), connect.getDouble("per_sec")));

      Thread.sleep(config.settle.toMillis());
      ServerProcesses.Sample connectedSample = server != null ? server.sample() : null;
      List<Long> liveHeapConnected = server != null ? server.liveHeapBytes() : null;
      ServerProcesses.RssPeaks peaks = new ServerProcesses.RssPeaks(connectedSample);

      // ---- the hold: the server's figures over it, a point per second for the chart
      Duration hold = config.hold.compareTo(config.duration) > 0 ? config.duration : config.hold;
      log.accept("holding " + connect.getInteger("connected") + " connections for " + hold.toSeconds() + " s");
      List<BenchResult.Point> series = new ArrayList<>();
      long phaseStart = System.nanoTime();
      Instant phaseStartTime = Instant.now();
      ServerProcesses.Sample phaseStartSample = server != null ? server.sample() : null;
      ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-sampler");
        t.setDaemon(true);
        return t;
      });
      sampler.scheduleAtFixedRate(() -> {
        long rss = -1;
        if (server != null) {
          ServerProcesses.Sample now = server.sample();
          peaks.add(now);
          rss = now.rssKib();
        }
        synchronized (series) {
          series.add(new BenchResult.Point((System.nanoTime() - phaseStart) / 1e9, 0, 0, -1, -1, -1, rss));
        }
      }, 1, 1, TimeUnit.SECONDS);
      CompletableFuture<?> anyEnded = CompletableFuture.anyOf(children.stream().map(c -> c.process.onExit())
          .toArray(CompletableFuture[]::new));
      try {
        anyEnded.get(hold.toMillis(), TimeUnit.MILLISECONDS);
        log.accept("a generator process ended during the hold: its figures are missing");
      } catch (TimeoutException held) {
        // the whole hold, as it should
      }
      long phaseEnd = System.nanoTime();
      ServerProcesses.Sample phaseEndSample = server != null ? server.sample() : null;
      Instant phaseEndTime = Instant.now();
      sampler.shutdown();
      sampler.awaitTermination(5, TimeUnit.SECONDS);

      // ---- release every child, merge what they report
      children.forEach(Child::release);
      long reportDeadline = System.nanoTime() + REPORT_BOUND.toNanos();
      List<JsonObject> results = new ArrayList<>();
      for (Child c : children) {
        results.add(await(c.result, reportDeadline, "its result"));
      }
      double phaseSeconds = (phaseEnd - phaseStart) / 1e9;
      JsonObject result = merged(startedAt, children, results, connect, phaseSeconds);
      if (server != null) {
        peaks.add(phaseEndSample);
        JsonObject figures = ServerFigures.of(server, idle, connectedSample, phaseStartSample, phaseEndSample, peaks, 0,
            connect, config.targetPorts());
        ServerFigures.addLiveHeap(figures, liveHeapIdle, liveHeapConnected, connect);
        figures.put("hold_cpu_cores", BenchRunner.round(figures.getDouble("cpu_s") / Math.max(phaseSeconds, 1e-9), 4));
        result.put("server", figures);
      }
      if (!config.serverGcLogs.isEmpty()) {
        result.put("server_gc", GcLog.phaseFigures(config.serverGcLogs, phaseStartTime, phaseEndTime, config.gcPauseTarget));
      }
      return new BenchResult(result, series);
    } finally {
      for (Child c : children) {
        c.release();
      }
      for (Child c : children) {
        if (!c.process.waitFor(REPORT_BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
          c.process.destroyForcibly();
        }
      }
    }
  }

  private static JsonObject await(CompletableFuture<JsonObject> future, long deadline, String what) throws Exception {
    try {
      return future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("a generator process did not report " + what + " in time");
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * The children's connect figures as one: counts summed, per port summed, handshake latencies from their merged
   * histograms, the duration that of the slowest child (each measures from its first connection to its last).
   */
  private JsonObject mergedConnect(List<JsonObject> events) {
    Histogram handshakes = new Histogram(BenchStats.HIGHEST_NS, 3);
    long connected = 0;
    long failed = 0;
    double seconds = 0;
    JsonObject perPort = new JsonObject();
    String firstFailure = null;
    for (JsonObject e : events) {
      connected += e.getLong("connected");
      failed += e.getLong("failed");
      seconds = Math.max(seconds, e.getDouble("seconds"));
      handshakes.add(decode(e.getString("handshake_histogram")));
      e.getJsonObject("connected_per_port").forEach(p -> perPort.put(p.getKey(), perPort.getInteger(p.getKey(), 0) + ((Number) p.getValue()).intValue()));
      if (firstFailure == null) {
        firstFailure = e.getString("first_failure");
      }
    }
    JsonObject connect = new JsonObject()
        .put("connected", (int) connected).put("failed", failed)
        .put("seconds", BenchRunner.round(seconds, 3))
        .put("per_sec", BenchRunner.round(connected / Math.max(seconds, 1e-9), 1))
        .put("handshake_p50_ms", BenchRunner.round(handshakes.getValueAtPercentile(50) / 1e6, 3))
        .put("handshake_p99_ms", BenchRunner.round(handshakes.getValueAtPercentile(99) / 1e6, 3))
        .put("handshake_max_ms", BenchRunner.round(handshakes.getMaxValue() / 1e6, 3))
        .put("connected_per_port", perPort);
    if (firstFailure != null) {
      connect.put("first_failure", firstFailure);
    }
    return connect;
  }

  /** The run's result line: the merged connect figures, and the children's closes and heartbeats summed and each. */
  private JsonObject merged(Instant startedAt, List<Child> children, List<JsonObject> results, JsonObject connect,
                            double phaseSeconds) {
    long serverPings = 0;
    long clientPings = 0;
    long pongs = 0;
    long unexpectedCloses = 0;
    long serverErrors = 0;
    double generatorCpu = 0;
    JsonObject closeCodes = new JsonObject();
    JsonArray processes = new JsonArray();
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < children.size(); i++) {
      Child c = children.get(i);
      JsonObject r = results.get(i);
      JsonObject heartbeats = r.getJsonObject("heartbeats");
      serverPings += heartbeats.getLong("server_pings");
      clientPings += heartbeats.getLong("client_pings");
      pongs += heartbeats.getLong("pongs");
      unexpectedCloses += r.getLong("unexpected_closes");
      serverErrors += r.getLong("server_errors");
      generatorCpu += r.getJsonObject("generator").getDouble("cpu_s");
      JsonObject codes = r.getJsonObject("close_codes", new JsonObject());
      codes.forEach(e -> closeCodes.put(e.getKey(), closeCodes.getLong(e.getKey(), 0L) + ((Number) e.getValue()).longValue()));
      sources.addAll(r.getJsonArray("source_addresses").getList());
      processes.add(new JsonObject().put("pid", c.process.pid()).put("first_connection", c.first)
          .put("connections", c.connections)
          .put("connected", r.getJsonObject("connect").getValue("connected"))
          .put("failed", r.getJsonObject("connect").getValue("failed"))
          .put("source_addresses", r.getJsonArray("source_addresses"))
          .put("unexpected_closes", r.getValue("unexpected_closes"))
          .put("close_codes", codes)
          .put("heartbeats", heartbeats)
          .put("cpu_s", r.getJsonObject("generator").getValue("cpu_s")));
    }
    JsonObject result = new JsonObject()
        .put("scenario", config.scenario.label())
        .put("ingress", null)
        .put("started_at", startedAt.toString())
        .put("connections", config.connections).put("devices", config.devices)
        .put("topics", config.topics).put("topics_per_connection", 0)
        .put("rate", null)
        .put("duration_s", config.duration.toMillis() / 1000.0)
        .put("hold_s", config.hold.toMillis() / 1000.0)
        .put("ping_every_s", config.pingEvery.toMillis() / 1000.0)
        .put("client_threads", config.clientThreads)
        .put("generator_processes", children.size())
        .put("ports", config.targetPorts())
        .put("source_addresses", sources)
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("java", System.getProperty("java.version"))
        .put("connect", connect)
        .put("phase_seconds", BenchRunner.round(phaseSeconds, 3))
        .put("heartbeats", new JsonObject().put("server_pings", serverPings).put("client_pings", clientPings).put("pongs", pongs))
        .put("unexpected_closes", unexpectedCloses);
    if (!closeCodes.isEmpty()) {
      result.put("close_codes", closeCodes);
    }
    return result.put("server_errors", serverErrors)
        .put("generator", new JsonObject().put("cpu_s", BenchRunner.round(generatorCpu, 3)).put("processes", processes));
  }
}
