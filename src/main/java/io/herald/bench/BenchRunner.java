package io.herald.bench;

import io.herald.auth.JwtIssuer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * Runs one benchmark: connects the clients (several event loops, several local source addresses, one node or
 * several), publishes through the chosen ingress at a paced rate (token bucket) or flat out within a window — in
 * the recover scenario while a share of the clients drops and resumes every period — waits for the deliveries,
 * settles every client's account and reads the server processes' CPU and memory from /proc.
 */
public final class BenchRunner {

  private final BenchConfig config;
  private final Consumer<String> log;
  private final BenchStats stats = new BenchStats();
  private final BenchAudience audience;
  /** The server's processes; null when no PID was given (no server figures). */
  private final ServerProcesses server;
  private final ProcStats self = ProcStats.self();

  public BenchRunner(BenchConfig config, Consumer<String> log) {
    this.config = config.validate();
    this.log = log;
    this.audience = new BenchAudience(this.config);
    this.server = config.serverPids.isEmpty() ? null : new ServerProcesses(config.serverPids);
  }

  public BenchResult run() throws Exception {
    // The generator shares the cores with the node it measures: the epoll transport keeps its own cost down.
    Vertx clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(config.clientThreads).setWorkerPoolSize(2)
        .setBlockedThreadCheckInterval(10_000).setPreferNativeTransport(true));
    Vertx pubVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2)
        .setBlockedThreadCheckInterval(10_000).setPreferNativeTransport(true));
    List<WebSocketClient> wsClients = new ArrayList<>(); // fields of this run: a collected client is shut down
    List<BenchClient> clients = Collections.synchronizedList(new ArrayList<>());
    try {
      return runWith(clientVertx, pubVertx, wsClients, clients);
    } finally {
      List<Future<Void>> closes = new ArrayList<>();
      synchronized (clients) {
        clients.forEach(c -> closes.add(c.close()));
      }
      // Close handshakes take their time on a loaded machine: a second per thousand connections on top of 15 s.
      long closeSeconds = 15 + config.connections / 1000;
      try {
        Future.join(closes).await(closeSeconds, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // closing anyway
      }
      closeWithin(clientVertx, closeSeconds);
      closeWithin(pubVertx, closeSeconds);
    }
  }

  /**
   * Closes a Vert.x instance of the run, waiting at most the given time: what is still open then goes with the
   * process, and the run's figures, already taken, are reported all the same.
   */
  private void closeWithin(Vertx vertx, long seconds) {
    try {
      vertx.close().await(seconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.accept("the generator's Vert.x did not close within " + seconds + " s (" + e + "); reporting anyway");
    }
  }

  private BenchResult runWith(Vertx clientVertx, Vertx pubVertx, List<WebSocketClient> wsClients, List<BenchClient> clients)
      throws Exception {
    JsonObject result = new JsonObject()
        .put("scenario", config.scenario.label())
        .put("ingress", config.scenario == BenchConfig.Scenario.CONNECT ? null : config.ingress.label())
        .put("started_at", Instant.now().toString())
        .put("connections", config.connections).put("devices", config.devices)
        .put("topics", config.topics).put("topics_per_connection", audience.topicsPerConnection())
        .put("rate", config.scenario == BenchConfig.Scenario.CONNECT ? null : config.maxRate() ? "max" : (Object) config.rate)
        .put("duration_s", config.duration.toMillis() / 1000.0)
        .put("messages_limit", config.messages)
        .put("drain_s", config.drain.toMillis() / 1000.0)
        .put("client_threads", config.clientThreads)
        .put("ports", config.targetPorts())
        .put("source_addresses", config.sources().isEmpty() ? List.of("127.0.0.1") : config.sources())
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("java", System.getProperty("java.version"));
    ServerProcesses.Sample idle = server != null ? server.sample() : null;
    boolean measureLiveHeap = server != null && config.scenario == BenchConfig.Scenario.CONNECT;
    List<Long> liveHeapIdle = measureLiveHeap ? server.liveHeapBytes() : null;
    long selfCpu0 = self.cpuNanos();

    // ---- tokens: one per connection, made before anything is measured
    JwtIssuer issuer = new JwtIssuer(clientVertx, config.jwtSecret);
    // A generator process of a spread run opens connections firstConnection, firstConnection + 1, ...: its users and
    // nodes are those of these global indexes.
    int first = config.firstConnection;
    List<String> tokens = new ArrayList<>(config.connections);
    for (int i = 0; i < config.connections; i++) {
      tokens.add(issuer.issue(audience.userOf(first + i), Duration.ofHours(2), config.tenant, List.of("bench.*")));
    }

    // ---- one WebSocket client per (event loop, source address); the nodes' endpoints
    List<String> sources = config.sources().isEmpty() ? Collections.singletonList(null) : config.sources();
    List<Context> contexts = new ArrayList<>();
    for (int t = 0; t < config.clientThreads; t++) {
      Context ctx = clientVertx.getOrCreateContext();
      for (String source : sources) {
        WebSocketClientOptions options = new WebSocketClientOptions().setMaxConnections(config.connections + 16)
            .setConnectTimeout(10_000).setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 24);
        if (source != null) {
          options.setLocalAddress(source);
        }
        wsClients.add(clientVertx.createWebSocketClient(options));
        contexts.add(ctx);
      }
    }

    List<WebSocketConnectOptions> targets = new ArrayList<>();
    for (int port : config.targetPorts()) {
      targets.add(new WebSocketConnectOptions().setHost(config.host).setPort(port).setURI("/ws"));
    }

    // ---- connect phase
    log.accept(String.format("connecting %d clients (%d users x %d devices) to %s:%s ...", config.connections,
        config.users(), config.devices, config.host, config.targetPorts()));
    ServerProcesses.Sample beforeConnect = server != null ? server.sample() : null;
    Semaphore permits = new Semaphore(config.connectConcurrency);
    CountDownLatch all = new CountDownLatch(config.connections);
    AtomicLong failed = new AtomicLong();
    AtomicReference<String> firstFailure = new AtomicReference<>();
    ConcurrentLinkedQueue<BenchClient> connected = new ConcurrentLinkedQueue<>();
    long connectStart = System.nanoTime();
    long connectDeadline = connectStart + config.connectWithin.toNanos();
    for (int i = 0; i < config.connections; i++) {
      if (config.connectRate > 0) {
        long at = connectStart + (long) (i * 1e9 / config.connectRate);
        long wait = at - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
      }
      long left = connectDeadline - System.nanoTime();
      if (left <= 0 || !permits.tryAcquire(left, TimeUnit.NANOSECONDS)) {
        throw new IllegalStateException("connect phase exceeded --connect-within " + config.connectWithin.toSeconds() + " s");
      }
      int slot = i % wsClients.size();
      int index = first + i;
      BenchClient client = new BenchClient(index, audience.userOf(index), audience.topicsOf(index), contexts.get(slot),
          wsClients.get(slot), targets, tokens.get(i), stats, audience.entitled(index));
      clients.add(client);
      client.open()
          .onComplete(ar -> {
            if (ar.succeeded()) {
              connected.add(client);
            } else {
              failed.incrementAndGet();
              firstFailure.compareAndSet(null, String.valueOf(ar.cause().getMessage()));
            }
            permits.release();
            all.countDown();
          });
    }
    if (!all.await(Math.max(1, (connectDeadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("connect phase exceeded --connect-within " + config.connectWithin.toSeconds() + " s");
    }
    long connectNs = System.nanoTime() - connectStart;
    ServerProcesses.Sample afterConnect = server != null ? server.sample() : null;
    Histogram connectHist = stats.connectLatency.getIntervalHistogram();
    JsonObject connect = new JsonObject()
        .put("connected", connected.size()).put("failed", failed.get())
        .put("seconds", connectNs / 1e9)
        .put("per_sec", round(connected.size() / (connectNs / 1e9), 1))
        .put("handshake_p50_ms", ms(connectHist.getValueAtPercentile(50)))
        .put("handshake_p99_ms", ms(connectHist.getValueAtPercentile(99)))
        .put("handshake_max_ms", ms(connectHist.getMaxValue()));
    JsonObject perPort = new JsonObject();
    for (BenchClient c : connected) {
      String port = String.valueOf(c.port());
      perPort.put(port, perPort.getInteger(port, 0) + 1);
    }
    connect.put("connected_per_port", perPort);
    if (config.holdUntilReleased) {
      // The parent of a spread run merges the processes' handshake latencies exactly.
      connect.put("handshake_histogram", GeneratorProcesses.encode(connectHist));
    }
    if (firstFailure.get() != null) {
      connect.put("first_failure", firstFailure.get());
    }
    if (server != null && beforeConnect.cpuNanos() >= 0 && connected.size() > 0) {
      connect.put("server_cpu_us_per_connection",
          round((afterConnect.cpuNanos() - beforeConnect.cpuNanos()) / 1e3 / connected.size(), 1));
    }
    result.put("connect", connect);
    log.accept(String.format("connected %d (failed %d) in %.2f s: %.0f/s", connected.size(), failed.get(),
        connectNs / 1e9, connected.size() / (connectNs / 1e9)));
    if (!config.pingEvery.isZero()) {
      connected.forEach(c -> c.startPings(config.pingEvery));
    }

    // Let allocation after the handshakes settle before reading the connected footprint.
    Thread.sleep(config.settle.toMillis());
    ServerProcesses.Sample connectedSample = server != null ? server.sample() : null;
    List<Long> liveHeapConnected = measureLiveHeap ? server.liveHeapBytes() : null;
    ServerProcesses.RssPeaks peaks = new ServerProcesses.RssPeaks(connectedSample);

    List<BenchResult.Point> series = Collections.synchronizedList(new ArrayList<>());
    Histogram total = new Histogram(BenchStats.HIGHEST_NS, 3);
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-sampler");
      t.setDaemon(true);
      return t;
    });
    PublishLoop loop = null;
    long phaseStart = System.nanoTime();
    Instant phaseStartTime = Instant.now();
    ServerProcesses.Sample phaseStartSample = server != null ? server.sample() : null;
    long selfPhaseCpu0 = self.cpuNanos();
    stats.latency.getIntervalHistogram(); // discard anything recorded before the phase
    long deliveredBase = stats.delivered.sum();
    AtomicLong lastDelivered = new AtomicLong(deliveredBase);
    AtomicLong lastSent = new AtomicLong();
    PublishLoop[] loopRef = new PublishLoop[1];
    sampler.scheduleAtFixedRate(() -> {
      Histogram interval = stats.latency.getIntervalHistogram();
      synchronized (total) {
        total.add(interval);
      }
      long d = stats.delivered.sum();
      long s = loopRef[0] == null ? 0 : loopRef[0].sent;
      long rss = -1;
      if (server != null) {
        ServerProcesses.Sample now = server.sample();
        peaks.add(now);
        rss = now.rssKib();
      }
      series.add(new BenchResult.Point((System.nanoTime() - phaseStart) / 1e9, s - lastSent.getAndSet(s),
          d - lastDelivered.getAndSet(d), interval.getTotalCount() == 0 ? -1 : ms(interval.getValueAtPercentile(50)),
          interval.getTotalCount() == 0 ? -1 : ms(interval.getValueAtPercentile(99)),
          interval.getTotalCount() == 0 ? -1 : ms(interval.getMaxValue()), rss));
      if (config.progress) {
        log.accept(String.format("  t=%4.0fs sent %d delivered %d", (System.nanoTime() - phaseStart) / 1e9, s, d));
      }
    }, 1, 1, TimeUnit.SECONDS);

    long phaseEnd;
    ResumeChurn churn = null;
    if (config.scenario == BenchConfig.Scenario.CONNECT) {
      Duration hold = config.hold.compareTo(config.duration) > 0 ? config.duration : config.hold;
      if (config.holdUntilReleased) {
        GeneratorProcesses.announceConnected(connect);
        log.accept("holding " + connected.size() + " connections until released (at most " + hold.toSeconds() + " s)");
        GeneratorProcesses.awaitRelease(hold);
      } else {
        log.accept("holding " + connected.size() + " connections for " + hold.toSeconds() + " s");
        Thread.sleep(hold.toMillis());
      }
      phaseEnd = System.nanoTime();
    } else {
      List<BenchClient> live = new ArrayList<>(connected);
      Context pubContext = pubVertx.getOrCreateContext();
      Publisher publisher = Publisher.create(pubVertx, config);
      Promise<Void> started = Promise.promise();
      pubContext.runOnContext(v -> publisher.start().onComplete(started));
      started.future().await(15, TimeUnit.SECONDS);
      loop = new PublishLoop(pubVertx, config, stats, publisher, live);
      loopRef[0] = loop;
      log.accept(String.format("publishing %s via %s at %s for %d s%s ...", config.scenario.label(), config.ingress.label(),
          config.maxRate() ? "max rate" : (long) config.rate + "/s", config.duration.toSeconds(),
          config.messages > 0 ? " or " + config.messages + " notifications" : ""));
      PublishLoop l = loop;
      if (config.scenario == BenchConfig.Scenario.RECOVER) {
        churn = new ResumeChurn(clientVertx.getOrCreateContext(), live, config.recoverShare, config.recoverEvery, config.seed + 1);
        log.accept(String.format("dropping and resuming %d connections every %d ms", churn.perPeriod(),
            config.recoverEvery.toMillis()));
        churn.start();
      }
      pubContext.runOnContext(v -> l.begin());
      l.done.future().await(config.duration.toSeconds() + 60, TimeUnit.SECONDS);
      if (churn != null) {
        // Drops happen while publishing only; resumes under way finish during the drain.
        churn.stop();
      }
      // ---- drain: wait for the outstanding deliveries
      long drainDeadline = System.nanoTime() + config.drain.toNanos();
      while (stats.delivered.sum() - deliveredBase < l.expectedDeliveries && System.nanoTime() < drainDeadline) {
        Thread.sleep(5);
      }
      phaseEnd = System.nanoTime();
      Promise<Void> closed = Promise.promise();
      pubContext.runOnContext(v -> publisher.close().onComplete(closed));
      closed.future().await(10, TimeUnit.SECONDS);
    }
    ServerProcesses.Sample phaseEndSample = server != null ? server.sample() : null;
    Instant phaseEndTime = Instant.now();
    long selfPhaseCpu1 = self.cpuNanos();
    sampler.shutdown();
    sampler.awaitTermination(5, TimeUnit.SECONDS);
    synchronized (total) {
      total.add(stats.latency.getIntervalHistogram());
    }
    double phaseSeconds = (phaseEnd - phaseStart) / 1e9;

    // ---- settle every account
    DeliveryAccounting.Tally tally = DeliveryAccounting.Tally.ZERO;
    if (loop != null) {
      Map<String, Long> sent = loop.sentPerStream;
      List<Future<DeliveryAccounting.Tally>> tallies = new ArrayList<>();
      for (BenchClient c : connected) {
        tallies.add(c.settle(sent));
      }
      for (DeliveryAccounting.Tally t : Future.all(tallies).await(30, TimeUnit.SECONDS).<DeliveryAccounting.Tally>list()) {
        tally = tally.plus(t);
      }
      double publishSeconds = (loop.endNs - loop.startNs) / 1e9;
      result.put("sent", loop.sent)
          .put("publish_errors", loop.errors)
          .put("publish_seconds", round(publishSeconds, 3))
          .put("sent_per_sec", round(loop.sent / Math.max(publishSeconds, 1e-9), 1))
          .put("expected", tally.expected())
          .put("delivered", tally.delivered())
          .put("lost", tally.lost())
          .put("duplicated", tally.duplicated())
          .put("reordered", tally.reordered())
          .put("misdelivered", tally.misdelivered())
          .put("recovered", tally.recovered())
          .put("delivered_per_sec", round(tally.delivered() / Math.max(phaseSeconds, 1e-9), 1))
          .put("latency_ms", new JsonObject()
              .put("p50", ms(total.getValueAtPercentile(50)))
              .put("p90", ms(total.getValueAtPercentile(90)))
              .put("p99", ms(total.getValueAtPercentile(99)))
              .put("p99_9", ms(total.getValueAtPercentile(99.9)))
              .put("max", ms(total.getMaxValue()))
              .put("mean", round(total.getMean() / 1e6, 3)));
    }
    if (churn != null) {
      Histogram reconnect = stats.reconnectLatency.getIntervalHistogram();
      JsonObject recover = new JsonObject()
          .put("share", config.recoverShare)
          .put("every_s", config.recoverEvery.toMillis() / 1000.0)
          .put("per_period", churn.perPeriod())
          .put("reconnects", stats.reconnects.sum())
          .put("reconnect_failures", stats.reconnectFailures.sum())
          .put("resumes_not_recovered", stats.resumesNotRecovered.sum())
          .put("recovered", tally.recovered())
          .put("reconnect_ms", new JsonObject()
              .put("p50", ms(reconnect.getValueAtPercentile(50)))
              .put("p99", ms(reconnect.getValueAtPercentile(99)))
              .put("max", ms(reconnect.getMaxValue())));
      if (stats.firstReconnectFailure.get() != null) {
        recover.put("first_failure", stats.firstReconnectFailure.get());
      }
      result.put("recover", recover);
    }
    result.put("phase_seconds", round(phaseSeconds, 3));
    result.put("heartbeats", new JsonObject().put("server_pings", stats.serverPings.sum())
        .put("client_pings", stats.clientPings.sum()).put("pongs", stats.pongs.sum()));
    result.put("unexpected_closes", stats.unexpectedCloses.sum());
    if (!stats.closeCodes.isEmpty()) {
      JsonObject codes = new JsonObject();
      stats.closeCodes.forEach((code, n) -> codes.put(String.valueOf(code), n.sum()));
      result.put("close_codes", codes);
    }
    result.put("server_errors", stats.serverErrors.sum());
    if (server != null) {
      peaks.add(phaseEndSample);
      JsonObject figures = ServerFigures.of(server, idle, connectedSample, phaseStartSample, phaseEndSample, peaks,
          tally.delivered(), connect, config.targetPorts());
      if (measureLiveHeap) {
        ServerFigures.addLiveHeap(figures, liveHeapIdle, liveHeapConnected, connect);
      }
      if (config.scenario == BenchConfig.Scenario.CONNECT) {
        figures.put("hold_cpu_cores", round(figures.getDouble("cpu_s") / Math.max(phaseSeconds, 1e-9), 4));
      }
      result.put("server", figures);
    }
    if (!config.serverGcLogs.isEmpty()) {
      result.put("server_gc", GcLog.phaseFigures(config.serverGcLogs, phaseStartTime, phaseEndTime, config.gcPauseTarget));
    }
    JsonObject gen = new JsonObject().put("cpu_s", round((self.cpuNanos() - selfCpu0) / 1e9, 3));
    if (tally.delivered() > 0) {
      gen.put("cpu_us_per_delivery", round((selfPhaseCpu1 - selfPhaseCpu0) / 1e3 / tally.delivered(), 2));
    }
    result.put("generator", gen);
    return new BenchResult(result, new ArrayList<>(series));
  }

  private static double ms(long nanos) {
    return round(nanos / 1e6, 3);
  }

  static double round(double v, int places) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return -1;
    }
    double f = Math.pow(10, places);
    return Math.round(v * f) / f;
  }
}
