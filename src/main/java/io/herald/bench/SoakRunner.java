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
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * A soak (issue 13): the mixed scenario's traffic (user, topic and broadcast notifications) for whole minutes
 * against a fleet, while the persistent clients drop and resume every stream ({@link ResumeChurn},
 * {@link StreamCursors}) and churn connections come and go ({@link ConnectionChurn}). At the end of every minute a
 * {@link SoakMinute} (deliveries so far, latency, each node's live heap after a full collection, descriptors and
 * RSS) is printed and appended to the JSONL file; after the last, the accounts are settled and the
 * {@link SoakVerdict} written as the file's last record. Reuses the benchmark's clients, publisher and accounting.
 */
public final class SoakRunner {

  /**
   * A minute's provisional {@code lost} counts the notifications published up to this long before the minute's end:
   * what is younger may be on its way, or waiting for its client's resume.
   */
  static final Duration ACCOUNTING_LAG = Duration.ofSeconds(15);
  /** How many lost notifications the summary names. */
  private static final int LOST_EXAMPLES = 20;

  /**
   * What a soak does beyond the benchmark's options.
   *
   * @param minutes             minutes of publishing
   * @param churnPerSecond      churn connections opened per second
   * @param churnLongestLife    the longest a churn connection lives
   * @param churnMaxAlive       most churn connections open at once
   * @param heapGrowthLimitPct  the heap growth limit of runs of {@link SoakVerdict#LONG_RUN_MINUTES} minutes or more
   * @param resumeFrom          the position the persistent clients resume each stream from
   * @param jsonl               the file the minute records and the summary are appended to
   */
  public record Plan(int minutes, double churnPerSecond, Duration churnLongestLife, int churnMaxAlive,
                     double heapGrowthLimitPct, ReceivedOffsets.ResumeFrom resumeFrom, Path jsonl) {
  }

  private final BenchConfig config;
  private final Plan plan;
  private final Consumer<String> log;
  private final BenchStats stats = new BenchStats();
  private final BenchAudience audience;
  private final ServerProcesses server;

  /** @param config the benchmark's options: scenario mixed, the duration of {@code plan.minutes()}, server PIDs given */
  public SoakRunner(BenchConfig config, Plan plan, Consumer<String> log) {
    this.config = config.validate();
    this.plan = plan;
    this.log = log;
    this.audience = new BenchAudience(this.config);
    this.server = new ServerProcesses(config.serverPids);
  }

  /** Runs the soak; its verdict is also the JSONL file's last record. */
  public SoakVerdict run() throws Exception {
    Vertx clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(config.clientThreads).setWorkerPoolSize(2)
        .setBlockedThreadCheckInterval(10_000).setPreferNativeTransport(true));
    Vertx pubVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2)
        .setBlockedThreadCheckInterval(10_000).setPreferNativeTransport(true));
    List<BenchClient> persistent = new ArrayList<>();
    try {
      return runWith(clientVertx, pubVertx, persistent);
    } finally {
      List<Future<Void>> closes = new ArrayList<>();
      persistent.forEach(c -> closes.add(c.close()));
      try {
        Future.join(closes).await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.accept("soak: clients still closing after 30 s (" + e + "); closing the generator anyway");
      }
      clientVertx.close().await(30, TimeUnit.SECONDS);
      pubVertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private SoakVerdict runWith(Vertx clientVertx, Vertx pubVertx, List<BenchClient> persistent) throws Exception {
    Files.createDirectories(plan.jsonl().toAbsolutePath().getParent());
    JwtIssuer issuer = new JwtIssuer(clientVertx, config.jwtSecret);
    List<String> tokens = new ArrayList<>(config.connections);
    for (int i = 0; i < config.connections; i++) {
      tokens.add(issuer.issue(audience.userOf(i), Duration.ofHours(2), config.tenant, List.of("bench.*")));
    }
    // One WebSocket client per event loop, kept for the whole run (a collected client is shut down).
    List<WebSocketClient> wsClients = new ArrayList<>();
    List<Context> contexts = new ArrayList<>();
    for (int t = 0; t < config.clientThreads; t++) {
      contexts.add(clientVertx.getOrCreateContext());
      wsClients.add(clientVertx.createWebSocketClient(new WebSocketClientOptions()
          .setMaxConnections(config.connections * 2 + plan.churnMaxAlive() + 16).setConnectTimeout(10_000)
          .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 24)));
    }
    List<WebSocketConnectOptions> targets = new ArrayList<>();
    for (int port : config.targetPorts()) {
      targets.add(new WebSocketConnectOptions().setHost(config.host).setPort(port).setURI("/ws"));
    }

    log.accept(String.format("soak: connecting %d clients (%d users x %d devices, %d topics each) to %s:%s ...",
        config.connections, config.users(), config.devices, audience.topicsPerConnection(), config.host,
        config.targetPorts()));
    Semaphore permits = new Semaphore(config.connectConcurrency);
    List<Future<Void>> opens = new ArrayList<>();
    for (int i = 0; i < config.connections; i++) {
      permits.acquire();
      BenchClient client = new BenchClient(i, audience.userOf(i), audience.topicsOf(i), contexts.get(i % contexts.size()),
          wsClients.get(i % wsClients.size()), targets, tokens.get(i), stats, audience.entitled(i));
      client.resumeEveryStream(plan.resumeFrom());
      persistent.add(client);
      opens.add(client.open().onComplete(ar -> permits.release()));
    }
    Future.join(opens).await(config.connectWithin.toSeconds(), TimeUnit.SECONDS);
    for (Future<Void> open : opens) {
      if (open.failed()) {
        throw new IllegalStateException("a persistent client could not connect: " + open.cause().getMessage());
      }
    }

    Context pubContext = pubVertx.getOrCreateContext();
    Publisher publisher = Publisher.create(pubVertx, config);
    Promise<Void> started = Promise.promise();
    pubContext.runOnContext(v -> publisher.start().onComplete(started));
    started.future().await(15, TimeUnit.SECONDS);
    PublishLoop loop = new PublishLoop(pubVertx, config, stats, publisher, persistent);
    ResumeChurn resumes = new ResumeChurn(clientVertx.getOrCreateContext(), persistent, config.recoverShare,
        config.recoverEvery, config.seed + 1);
    ConnectionChurn churn = new ConnectionChurn(clientVertx, plan.churnPerSecond(), plan.churnLongestLife(),
        plan.churnMaxAlive(), config.connections, config.seed + 2, i -> new BenchClient(i, audience.userOf(i),
            audience.topicsOf(i), contexts.get(i % contexts.size()), wsClients.get(i % wsClients.size()), targets,
            tokens.get(i), stats, audience.entitled(i)));
    log.accept(String.format("soak: %d minutes of %s via %s at %.0f/s; every %d ms %d clients drop and resume every"
            + " stream; %.1f churn connections/s (at most %d open, each up to %d s)", plan.minutes(),
        config.scenario.label(), config.ingress.label(), config.rate, config.recoverEvery.toMillis(), resumes.perPeriod(),
        plan.churnPerSecond(), plan.churnMaxAlive(), plan.churnLongestLife().toSeconds()));
    stats.latency.getIntervalHistogram(); // nothing before the phase
    long phaseStart = System.nanoTime();
    pubContext.runOnContext(v -> loop.begin());
    resumes.start();
    churn.start();

    List<SoakMinute> minutes = new ArrayList<>();
    for (int m = 1; m <= plan.minutes(); m++) {
      long end = phaseStart + TimeUnit.MINUTES.toNanos(m);
      sleepUntil(end - ACCOUNTING_LAG.toNanos());
      Map<String, Long> owed = sentSoFar(pubContext, loop);
      sleepUntil(end);
      long published = loop.sent;
      DeliveryAccounting.Tally tally = settle(persistent, owed);
      Histogram latency = stats.latency.getIntervalHistogram();
      SoakMinute minute = new SoakMinute(m, Instant.now(), published, tally.delivered(), tally.lost(),
          tally.duplicated() + churn.duplicated(),
          latency.getTotalCount() == 0 ? -1 : BenchRunner.round(latency.getValueAtPercentile(99) / 1e6, 3),
          stats.reconnects.sum(), stats.reconnectFailures.sum(), churn.opened(), churn.failed(), readNodes());
      log.accept(minute.line(minutes.isEmpty() ? null : minutes.get(minutes.size() - 1), plan.minutes()));
      append(minute.json(minutes.isEmpty() ? null : minutes.get(minutes.size() - 1)));
      minutes.add(minute);
    }

    loop.done.future().await(60, TimeUnit.SECONDS);
    resumes.stop();
    churn.stop().await(30, TimeUnit.SECONDS);
    Map<String, Long> sent = sentSoFar(pubContext, loop);
    // Drain: until every account is complete (the last resumes replayed, the last live deliveries in) or the drain ends.
    long drainDeadline = System.nanoTime() + config.drain.toNanos();
    DeliveryAccounting.Tally tally = settle(persistent, sent);
    while (tally.lost() > 0 && System.nanoTime() < drainDeadline) {
      TimeUnit.MILLISECONDS.sleep(500);
      tally = settle(persistent, sent);
    }
    Promise<Void> closed = Promise.promise();
    pubContext.runOnContext(v -> publisher.close().onComplete(closed));
    closed.future().await(10, TimeUnit.SECONDS);

    JsonObject lostByKind = new JsonObject();
    // Which notifications were lost (client, stream, sequence), the first few: what to look for in the node logs.
    List<String> lostExamples = new ArrayList<>();
    if (tally.lost() > 0) {
      for (BenchClient c : persistent) {
        c.lostByKind(sent).await(10, TimeUnit.SECONDS).forEach((kind, n) -> lostByKind.put(kind, lostByKind.getLong(kind, 0L) + n));
        if (lostExamples.size() < LOST_EXAMPLES) {
          c.lostExamples(sent, LOST_EXAMPLES - lostExamples.size()).await(10, TimeUnit.SECONDS)
              .forEach(lost -> lostExamples.add("client " + c.index + " " + lost));
        }
      }
    }
    SoakVerdict verdict = SoakVerdict.judge(minutes, tally, churn.duplicated(), plan.heapGrowthLimitPct());
    JsonObject summary = new JsonObject().put("summary", true).put("minutes", plan.minutes())
        .put("published", loop.sent).put("publish_errors", loop.errors)
        .put("expected", tally.expected()).put("delivered", tally.delivered()).put("lost", tally.lost())
        .put("lost_by_stream", lostByKind).put("lost_examples", lostExamples).put("duplicated", tally.duplicated() + churn.duplicated()).put("reordered", tally.reordered())
        .put("misdelivered", tally.misdelivered()).put("recovered", tally.recovered())
        .put("reconnects", stats.reconnects.sum()).put("reconnect_failures", stats.reconnectFailures.sum())
        .put("resumes_not_recovered", stats.resumesNotRecovered.sum())
        .put("resume_from", plan.resumeFrom().name().toLowerCase(java.util.Locale.ROOT))
        .put("streams_resumed_across_gap", stats.resumesAcrossGap.sum()).put("resent_dropped", stats.resent.sum())
        .put("churn_opened", churn.opened()).put("churn_failed", churn.failed())
        .put("churn_duplicated", churn.duplicated())
        .put("heap_after_gc_first_kib", minutes.isEmpty() ? null : minutes.get(0).heapAfterGcKib())
        .put("heap_after_gc_last_kib", minutes.isEmpty() ? null : minutes.get(minutes.size() - 1).heapAfterGcKib())
        .mergeIn(verdict.json());
    if (stats.firstReconnectFailure.get() != null) {
      summary.put("first_reconnect_failure", stats.firstReconnectFailure.get());
    }
    if (churn.firstFailure() != null) {
      summary.put("first_churn_failure", churn.firstFailure());
    }
    append(summary);
    log.accept(summaryLine(summary, verdict));
    return verdict;
  }

  private static String summaryLine(JsonObject s, SoakVerdict verdict) {
    return String.format(java.util.Locale.ROOT,
        "soak %s after %d minutes: published %d, expected %d, delivered %d, lost %d, duplicated %d, misdelivered %d,"
            + " reordered %d, recovered by replay %d; lost by stream %s; reconnects %d (failed %d, not recovered %d;"
            + " resumed from the %s offset, %d streams across a gap, %d resent dropped), churn connections %d"
            + " (failed %d); heap after GC %s -> %s: growth %s (limit %.0f %%)%s",
        verdict.passed() ? "PASSED" : "FAILED", s.getInteger("minutes"), s.getLong("published"), s.getLong("expected"),
        s.getLong("delivered"), s.getLong("lost"), s.getLong("duplicated"), s.getLong("misdelivered"),
        s.getLong("reordered"), s.getLong("recovered"), s.getJsonObject("lost_by_stream").encode(), s.getLong("reconnects"), s.getLong("reconnect_failures"),
        s.getLong("resumes_not_recovered"), s.getString("resume_from"), s.getLong("streams_resumed_across_gap"),
        s.getLong("resent_dropped"), s.getLong("churn_opened"), s.getLong("churn_failed"),
        NodeReading.mib(s.getLong("heap_after_gc_first_kib", -1L)), NodeReading.mib(s.getLong("heap_after_gc_last_kib", -1L)),
        verdict.heapGrowthPct() == null ? "not measured" : verdict.heapGrowthPct() + " %", verdict.heapLimitPct(),
        verdict.passed() ? "" : "\n  " + String.join("\n  ", verdict.failures()));
  }

  /** The publisher's count per stream at this moment, read on its event loop. */
  private static Map<String, Long> sentSoFar(Context pubContext, PublishLoop loop) throws TimeoutException {
    Promise<Map<String, Long>> copy = Promise.promise();
    pubContext.runOnContext(v -> copy.complete(Map.copyOf(loop.sentPerStream)));
    return copy.future().await(10, TimeUnit.SECONDS);
  }

  private static DeliveryAccounting.Tally settle(List<BenchClient> clients, Map<String, Long> sent)
      throws TimeoutException {
    List<Future<DeliveryAccounting.Tally>> tallies = new ArrayList<>();
    for (BenchClient c : clients) {
      tallies.add(c.settle(sent));
    }
    DeliveryAccounting.Tally total = DeliveryAccounting.Tally.ZERO;
    for (DeliveryAccounting.Tally t : Future.all(tallies).await(30, TimeUnit.SECONDS).<DeliveryAccounting.Tally>list()) {
      total = total.plus(t);
    }
    return total;
  }

  /** Each node's live heap after a full collection, descriptors and RSS. */
  private List<NodeReading> readNodes() {
    List<Long> heaps;
    try {
      heaps = server.liveHeapBytes();
    } catch (IOException | IllegalStateException e) {
      log.accept("soak: the nodes' live heap could not be read: " + e.getMessage());
      heaps = null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      heaps = null;
    }
    ServerProcesses.Sample sample = server.sample();
    List<NodeReading> nodes = new ArrayList<>();
    for (int i = 0; i < server.pids().size(); i++) {
      long pid = server.pids().get(i);
      nodes.add(new NodeReading(pid, heaps == null ? -1 : heaps.get(i) / 1024, new ProcStats(pid).openFiles(),
          sample.each().get(i).rssKib()));
    }
    return nodes;
  }

  private void append(JsonObject record) throws IOException {
    Files.writeString(plan.jsonl(), record.encode() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }
}
