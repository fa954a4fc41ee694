package io.herald.bench;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The publishing phase of a run, on the publisher's event loop: a 1 ms tick releases what the token bucket allows
 * (or, flat out, what the delivery window allows), each notification to a random target of the scenario, numbered
 * per stream so that every client can settle its account. The runner reads the counts once {@link #done} completes.
 */
final class PublishLoop {

  /** Most ingress requests in flight (HTTP/Redis) before the publisher holds back. */
  private static final int MAX_PENDING = 4096;
  /** Most notifications one publisher tick sends, so the loop stays responsive. */
  private static final int MAX_PER_TICK = 5000;

  private final Vertx vertx;
  private final BenchConfig config;
  private final BenchStats stats;
  private final Publisher publisher;
  /** Completed when the duration or the message limit is reached. */
  final Promise<Void> done = Promise.promise();
  /** Notifications sent per stream key: the last sequence number of each. */
  final Map<String, Long> sentPerStream = new HashMap<>();
  private final Map<String, Integer> devicesOfUser = new HashMap<>();
  private final Map<String, Integer> subscribersOfTopic = new HashMap<>();
  private final int receivers;
  private final SplittableRandom random;
  /** Notifications sent so far; read by the runner's per-second sampler too. */
  volatile long sent;
  long errors;
  /** Deliveries the notifications sent so far make: the sum of their fan-outs to the live connections. */
  long expectedDeliveries;
  long startNs;
  long endNs;
  private long startWall;
  private long timer = -1;
  private boolean finished;

  PublishLoop(Vertx vertx, BenchConfig config, BenchStats stats, Publisher publisher, List<BenchClient> live) {
    this.vertx = vertx;
    this.config = config;
    this.stats = stats;
    this.publisher = publisher;
    this.random = new SplittableRandom(config.seed);
    this.receivers = live.size();
    for (BenchClient c : live) {
      devicesOfUser.merge(c.userId, 1, Integer::sum);
      c.topics.forEach(t -> subscribersOfTopic.merge(t, 1, Integer::sum));
    }
  }

  void begin() {
    startNs = System.nanoTime();
    startWall = BenchClock.nanos();
    timer = vertx.setPeriodic(1, id -> pump());
    pump();
  }

  private void pump() {
    if (finished) {
      return;
    }
    long now = System.nanoTime();
    if (now - startNs >= config.duration.toNanos() || (config.messages > 0 && sent >= config.messages)) {
      finish();
      return;
    }
    long due = config.maxRate() ? Long.MAX_VALUE : (long) ((now - startNs) * config.rate / 1e9) + 1;
    long outstanding = config.maxRate() ? expectedDeliveries - stats.delivered.sum() : 0;
    int budget = MAX_PER_TICK;
    long n = sent;
    while (n < due && budget-- > 0 && (config.messages == 0 || n < config.messages) && publisher.pending() < MAX_PENDING) {
      if (config.maxRate() && outstanding >= config.windowDeliveries) {
        break;
      }
      long scheduled = config.maxRate() ? BenchClock.nanos() : startWall + (long) (n * 1e9 / config.rate);
      int fanout = publishOne(scheduled);
      n++;
      sent = n;
      expectedDeliveries += fanout;
      outstanding += fanout;
    }
  }

  private int publishOne(long sentWallNs) {
    String kind;
    String target;
    switch (config.scenario) {
      case TOPIC:
        kind = "topic";
        break;
      case BROADCAST:
        kind = "broadcast";
        break;
      case MIXED: {
        int r = random.nextInt(100);
        kind = r < 90 ? "user" : r < 99 ? "topic" : "broadcast";
        break;
      }
      default: // user, and recover: notifications to random users
        kind = "user";
    }
    String stream;
    String targetField;
    int fanout;
    if (kind.equals("user")) {
      target = BenchAudience.userName(random.nextInt(config.users()));
      stream = Streams.user(target);
      targetField = "\"user_id\":\"" + target + "\",";
      fanout = devicesOfUser.getOrDefault(target, 0);
    } else if (kind.equals("topic")) {
      target = BenchAudience.topicName(random.nextInt(config.topics));
      stream = Streams.topic(target);
      targetField = "\"topic\":\"" + target + "\",";
      fanout = subscribersOfTopic.getOrDefault(target, 0);
    } else {
      target = "";
      stream = Streams.BROADCAST;
      targetField = "\"broadcast\":true,";
      fanout = receivers;
    }
    long seq = sentPerStream.merge(stream, 1L, Long::sum);
    String body = "\"tenant_id\":\"" + config.tenant + "\",\"priority\":\"Medium\",\"notification_type\":\"bench\","
        + "\"message\":\"bench\",\"details\":{\"bench_target\":\"" + stream + "\",\"bench_seq\":" + seq
        + ",\"bench_sent_ns\":" + sentWallNs + "}}";
    Publisher.Message m = new Publisher.Message(kind, target, config.tenant, "{" + targetField + body, "{" + body);
    publisher.publish(m, ok -> {
      if (!ok) {
        errors++;
      }
    });
    return fanout;
  }

  private void finish() {
    finished = true;
    endNs = System.nanoTime();
    vertx.cancelTimer(timer);
    done.complete();
  }
}
