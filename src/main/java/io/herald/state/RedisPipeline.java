package io.herald.state;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sends the script runs made during one event-loop turn to Redis together: one {@link Redis#batch} — one write on
 * one pooled connection, the replies read back together — instead of a pooled connection held for a round trip
 * per run. At most one batch is in flight: the runs made meanwhile wait for its replies and leave together as the
 * next batch. So Redis runs them in the order they were made (one connection runs a batch in order, and a batch
 * starts after the previous one was answered), and their futures complete in that order.
 *
 * <p>Errors: a batch whose every run finds its script missing ({@code NOSCRIPT}: Redis restarted, was replaced
 * or flushed its scripts) ran nothing, so it is sent once more after loading its scripts (in the same batch, ahead
 * of the runs; if that fails too, every run fails with it). Otherwise a failed batch
 * fails each of its runs: with its own error when it had one, and for the others — which may have run, their
 * replies being lost with the batch's — with an error naming the batch's first one, as when the connection is lost
 * during a round trip.
 *
 * <p>Calls may come from any thread; the batches are sent from {@code context}, where the futures complete.
 */
final class RedisPipeline {

  /**
   * Most runs in one batch. The client refuses a batch longer than its connection's waiting queue
   * ({@code RedisOptions#setMaxWaitingHandlers}, 2048 by default); and a run's reply is handed over only with its
   * whole batch's, so the first run of a batch waits for Redis to run all the others (a few µs each): 256 keep that
   * under a few milliseconds while a write per 256 runs costs next to nothing.
   */
  static final int MAX_BATCH = 256;

  /** One line of the error of a failed batch, as the client joins them: {@code ERR [<index>] <error>}. */
  private static final Pattern BATCH_ERROR = Pattern.compile("(?m)^ERR \\[(\\d+)] (.*)$");

  private final Redis redis;
  private final Context context;
  private List<Run> queued = new ArrayList<>();
  /** A batch is in flight, or a task to send one is scheduled on the context. */
  private boolean sending;

  /**
   * @param redis   the client the batches are sent with
   * @param context where the batches are sent from and the futures complete: the event loop of the verticle
   *                whose stores use this pipeline
   */
  RedisPipeline(Redis redis, Context context) {
    this.redis = redis;
    this.context = context;
  }

  /** Runs the script in the next batch; see {@link RedisScript#run} for the arguments and the result. */
  Future<Response> run(RedisScript script, List<String> keys, List<byte[]> args) {
    Promise<Response> promise = Promise.promise();
    Run run = new Run(script, script.evalsha(keys, args), promise);
    boolean schedule;
    synchronized (this) {
      queued.add(run);
      schedule = !sending;
      sending = true;
    }
    if (schedule) {
      // After the current task: everything the turn queues leaves in one batch.
      context.runOnContext(v -> sendNext());
    }
    return promise.future();
  }

  private void sendNext() {
    List<Run> batch;
    synchronized (this) {
      if (queued.isEmpty()) {
        sending = false;
        return;
      }
      if (queued.size() <= MAX_BATCH) {
        batch = queued;
        queued = new ArrayList<>();
      } else {
        batch = new ArrayList<>(queued.subList(0, MAX_BATCH));
        queued = new ArrayList<>(queued.subList(MAX_BATCH, queued.size()));
      }
    }
    List<Request> requests = new ArrayList<>(batch.size());
    batch.forEach(run -> requests.add(run.request));
    redis.batch(requests)
        .recover(failure -> allNoScript(failure, batch.size()) ? sendWithScripts(batch) : Future.failedFuture(failure))
        .onComplete(replies -> {
          if (replies.succeeded()) {
            for (int i = 0; i < batch.size(); i++) {
              batch.get(i).promise.complete(replies.result().get(i));
            }
          } else {
            fail(batch, replies.cause());
          }
          sendNext();
        });
  }

  /** The batch again, after {@code SCRIPT LOAD} of each of its scripts; the replies of its own runs. */
  private Future<List<Response>> sendWithScripts(List<Run> batch) {
    Set<RedisScript> scripts = new LinkedHashSet<>();
    batch.forEach(run -> scripts.add(run.script));
    List<Request> requests = new ArrayList<>(scripts.size() + batch.size());
    scripts.forEach(script -> requests.add(script.load()));
    batch.forEach(run -> requests.add(run.request));
    return redis.batch(requests)
        .<List<Response>>map(replies -> replies.subList(scripts.size(), replies.size()))
        .recover(failure -> Future.failedFuture(new IllegalStateException(
            "Redis batch failed after loading its scripts: " + firstLine(failure.getMessage()), failure)));
  }

  private static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse("");
  }

  /** True when every run of the batch failed with {@code NOSCRIPT}: none of them ran. */
  private static boolean allNoScript(Throwable failure, int runs) {
    Map<Integer, String> errors = errorsByIndex(failure);
    return errors.size() == runs && errors.values().stream().allMatch(RedisScript::isNoScript);
  }

  private static void fail(List<Run> batch, Throwable failure) {
    Map<Integer, String> errors = errorsByIndex(failure);
    if (errors.isEmpty()) {
      batch.forEach(run -> run.promise.fail(failure));
      return;
    }
    String first = errors.get(errors.keySet().stream().min(Integer::compare).orElseThrow());
    for (int i = 0; i < batch.size(); i++) {
      String own = errors.get(i);
      batch.get(i).promise.fail(new IllegalStateException(own != null ? own
          : "reply lost: another run of its Redis batch failed: " + first));
    }
  }

  /** The errors of a failed batch by the index of their request; empty when the batch failed as a whole. */
  private static Map<Integer, String> errorsByIndex(Throwable failure) {
    Map<Integer, String> errors = new HashMap<>();
    String message = failure.getMessage();
    if (message != null) {
      Matcher m = BATCH_ERROR.matcher(message);
      while (m.find()) {
        errors.put(Integer.parseInt(m.group(1)), m.group(2));
      }
    }
    return errors;
  }

  private record Run(RedisScript script, Request request, Promise<Response> promise) {
  }
}
