package io.herald.ingress;

import io.herald.model.LogText;
import io.herald.config.IngressOptions;
import io.herald.config.StateOptions;
import io.herald.model.Addresses;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.herald.runtime.NodeInfo;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.herald.state.AppendResult;
import io.herald.state.Position;
import io.herald.state.State;
import io.herald.state.StateFactory;
import io.herald.state.StreamKey;
import java.util.HashMap;
import java.util.Map;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes notifications from NATS ({@link NatsIngress}), Redis pub/sub and the HTTP API, maps each into one canonical
 * {@link Notification}, and publishes it on the event bus at its target's address. Invalid messages are
 * counted, logged with the reason (never the payload) and dropped; the subscriptions keep running.
 *
 * <p>When Redis or NATS is configured, an unreachable server fails the start with a message naming the key.
 * After start a lost connection is reported by {@code /health} and retried with backoff.
 */
public final class IngressVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(IngressVerticle.class);

  /** First and longest wait between Redis reconnection attempts. */
  static final long REDIS_RETRY_MIN_MS = 200;
  static final long REDIS_RETRY_MAX_MS = 10_000;

  /**
   * Failed state writes are logged at most once per this interval, the later line saying how many failed since: an
   * outage fails every notification, and a warning per notification (thousands a second) would itself stall the
   * event loop writing the log. Every failure is counted in the metrics.
   */
  static final long STATE_FAILURE_LOG_INTERVAL_MS = 10_000;

  /** What becomes of a notification whose record failed (the state store is down or refuses the write). */
  enum Unrecorded {
    /** Delivered live without a position: the only copy the fleet has (core NATS, HTTP, a single node's Redis). */
    LIVE,
    /** Not published: it comes again (JetStream delivers the message again). */
    WITHHOLD,
    /**
     * Delivered live, except by a node that is stopping: in a fleet every node records and publishes each Redis
     * message, and a stopping node, whose store client closes under its writes, would only add copies without a
     * position (which connections cannot tell from the positioned ones).
     */
    LIVE_UNLESS_STOPPING
  }

  private final IngressOptions options;
  /** Only the Redis server ({@code redis_url}): the stores themselves come from the state factory. */
  private final StateOptions stateOptions;
  private final NodeInfo node;
  private final StateFactory stateFactory;
  private State state;
  /** Per stream, the last pending publish, so a stream's notifications leave in offset order. */
  private final Map<StreamKey, Future<?>> streamTails = new HashMap<>();
  private NotificationMapper mapper;
  private EventBus eventBus;

  private NatsIngress nats;

  private Redis redisClient;
  private RedisConnection redisSubscription;
  private String redisState = "down";
  private String redisError;
  private long redisRetryMs = REDIS_RETRY_MIN_MS;
  private boolean stopping;
  /** When a failed state write was last logged (System.nanoTime), and how many failed since without a line. */
  private long stateFailureLoggedAt;
  private boolean stateFailureLogged;
  private long stateFailuresNotLogged;

  public IngressVerticle(IngressOptions options, StateOptions stateOptions, NodeInfo node, StateFactory stateFactory) {
    this.options = options;
    this.stateOptions = stateOptions;
    this.node = node;
    this.stateFactory = stateFactory;
  }

  @Override
  public Future<?> start() {
    mapper = new NotificationMapper(options.getExplorers(), options.getRedisChannelPrefix());
    state = stateFactory.create(vertx);
    eventBus = vertx.eventBus();
    List<Future<?>> ready = new ArrayList<>();
    ready.add(eventBus.<Buffer>localConsumer(node.httpIngressAddress(), this::onHttp).completion());
    ready.add(eventBus.localConsumer(node.ingressStatusAddress(), this::onStatus).completion());
    if (options.natsEnabled()) {
      nats = new NatsIngress(vertx, context, options, node, mapper,
          (notification, live) -> publish(notification, live ? Unrecorded.LIVE : Unrecorded.WITHHOLD), this::rejected);
      // The consumer first, so that no change is missed; NATS starts in the state of now (an isolated node takes
      // nothing), and the state of when it is ready is applied then.
      // Redis pub/sub goes on while isolated: every node records each message idempotently (the first append fixes
      // its position for the fleet), and what an isolated node publishes reaches no connection (it closed them).
      ready.add(eventBus.<Boolean>localConsumer(node.isolationAddress(), m -> nats.setIsolated(m.body())).completion());
      nats.setIsolated(node.isIsolated());
      ready.add(nats.start().onSuccess(v -> nats.setIsolated(node.isIsolated())));
    }
    if (stateOptions.redisEnabled()) {
      redisClient = Redis.createClient(vertx, new RedisOptions().setConnectionString(stateOptions.getRedisUrl()));
      ready.add(subscribeRedis().recover(e -> Future.failedFuture(new IllegalStateException(
          "redis_url: cannot connect to " + redactedRedisUrl() + ": " + e.getMessage(), e))));
    }
    return Future.all(ready);
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    state.release().run();
    if (redisSubscription != null) {
      redisSubscription.close();
    }
    if (redisClient != null) {
      redisClient.close();
    }
    return nats == null ? Future.succeededFuture() : nats.stop();
  }

  /**
   * Records the notification — its history stream(s) and, per user, the offline queue and the inbox — here, once,
   * on the one node where it entered the fleet, and publishes it, with its position, at every address of its
   * target. The recorder applies the writes in the order they are made, so they are made at once (those of one
   * event-loop turn reach Redis together); only the publishing waits, so that a stream's notifications leave this
   * node in offset order. When the state store fails, the notification is still delivered live (without a
   * position) and the failure is counted — unless {@code unrecorded} says otherwise: then it is not published, and
   * the returned future fails.
   *
   * @return completes once the notification is published at every address of its target
   */
  private Future<Void> publish(Notification notification, Unrecorded unrecorded) {
    Target target = notification.target();
    if (target instanceof Target.Users users) {
      List<String> userIds = users.userIds();
      if (userIds.size() == 1) {
        return publishForUser(target.tenant(), userIds.get(0), notification, unrecorded);
      }
      List<Future<Void>> published = new ArrayList<>(userIds.size());
      for (String userId : userIds) {
        published.add(publishForUser(target.tenant(), userId, notification, unrecorded));
      }
      return Future.all(published).mapEmpty();
    }
    StreamKey stream = target instanceof Target.Topic topic
        ? StreamKey.topic(target.tenant(), topic.topic()) : StreamKey.broadcast(target.tenant());
    String address = target instanceof Target.Topic topic
        ? Addresses.topic(target.tenant(), topic.topic()) : Addresses.broadcast(target.tenant());
    return publishInStreamOrder(stream, state.recorder().recordForStream(stream, notification), address, notification,
        unrecorded);
  }

  private Future<Void> publishForUser(String tenant, String userId, Notification notification,
      Unrecorded unrecorded) {
    Future<Position> recorded = state.recorder().recordForUser(tenant, userId, notification).map(AppendResult::position);
    return publishInStreamOrder(StreamKey.user(tenant, userId), recorded, Addresses.user(tenant, userId), notification,
        unrecorded);
  }

  /**
   * Publishes the notification once it is recorded and every earlier notification of the same stream has been
   * published (or, refused without a position, given up).
   */
  private Future<Void> publishInStreamOrder(StreamKey stream, Future<Position> recorded, String address,
      Notification notification, Unrecorded unrecorded) {
    Future<?> previous = streamTails.get(stream);
    if (previous == null && recorded.isComplete()) {
      // Nothing of the stream pending and the position known (always so on embedded state): publish now, with
      // no future chained and no tail to track.
      return publishRecorded(address, notification, recorded, unrecorded);
    }
    Future<Position> inOrder = previous == null ? recorded : previous.transform(ignored -> recorded);
    Future<Void> published = inOrder.transform(appended ->
        publishRecorded(address, notification, appended, unrecorded));
    streamTails.put(stream, published);
    published.onComplete(done -> streamTails.remove(stream, published));
    return published;
  }

  private Future<Void> publishRecorded(String address, Notification notification, AsyncResult<Position> appended,
      Unrecorded unrecorded) {
    if (appended.failed()) {
      stateFailure("history", appended.cause());
      if (unrecorded == Unrecorded.WITHHOLD || (unrecorded == Unrecorded.LIVE_UNLESS_STOPPING && stopping)) {
        return Future.failedFuture(appended.cause());
      }
      eventBus.publish(address, notification);
      return Future.succeededFuture();
    }
    eventBus.publish(address, notification.withPosition(appended.result().epoch(), appended.result().offset()));
    return Future.succeededFuture();
  }

  private void stateFailure(String store, Throwable e) {
    node.metrics().stateFailure(store);
    long now = System.nanoTime();
    if (stateFailureLogged && now - stateFailureLoggedAt < STATE_FAILURE_LOG_INTERVAL_MS * 1_000_000) {
      stateFailuresNotLogged++;
      return;
    }
    log.warn("state write to {} failed (notification still delivered live): {}{}", store, e.getMessage(),
        stateFailuresNotLogged == 0 ? "" : " (" + stateFailuresNotLogged + " more failed since the last such line)");
    stateFailureLogged = true;
    stateFailureLoggedAt = now;
    stateFailuresNotLogged = 0;
  }

  /** Counts and logs a refused message; the reason may quote a Redis channel name, chosen by any publisher. */
  private void rejected(String source, String reason) {
    node.metrics().invalid(source);
    log.warn("invalid {} notification dropped: {}", source, LogText.of(reason));
  }

  // ---------------------------------------------------------------- HTTP

  private void onHttp(Message<Buffer> message) {
    List<Notification> batch;
    try {
      batch = mapper.fromHttpBody(message.body());
    } catch (InvalidNotificationException e) {
      rejected("http", e.getMessage());
      message.fail(400, e.getMessage());
      return;
    }
    JsonArray ids = new JsonArray();
    for (Notification n : batch) {
      publish(n, Unrecorded.LIVE);
      node.metrics().ingested("http");
      ids.add(n.id());
    }
    message.reply(new JsonObject().put("ids", ids));
  }

  // ---------------------------------------------------------------- Redis pub/sub

  private Future<Void> subscribeRedis() {
    String prefix = options.getRedisChannelPrefix();
    return redisClient.connect().compose(conn -> {
      conn.handler(this::onRedisMessage);
      conn.exceptionHandler(e -> redisError = e.getMessage());
      conn.endHandler(v -> onRedisLost(conn));
      return conn.send(Request.cmd(Command.PSUBSCRIBE)
              .arg(prefix + ":user:*").arg(prefix + ":channel:*").arg(prefix + ":global"))
          .onFailure(e -> conn.close())
          .map(ok -> {
            redisSubscription = conn;
            redisState = "up";
            redisError = null;
            redisRetryMs = REDIS_RETRY_MIN_MS;
            log.info("Redis ingress: PSUBSCRIBE {}:user:*, {}:channel:*, {}:global", prefix, prefix, prefix);
            return null;
          });
    });
  }

  private void onRedisLost(RedisConnection conn) {
    if (conn != redisSubscription || stopping) {
      return;
    }
    redisSubscription = null;
    redisState = "down";
    log.warn("Redis pub/sub connection lost; reconnecting");
    scheduleRedisReconnect();
  }

  private void scheduleRedisReconnect() {
    long delay = redisRetryMs;
    redisRetryMs = Math.min(REDIS_RETRY_MAX_MS, redisRetryMs * 2);
    vertx.setTimer(delay, id -> {
      if (stopping) {
        return;
      }
      subscribeRedis().onFailure(e -> {
        redisError = e.getMessage();
        scheduleRedisReconnect();
      });
    });
  }

  private void onRedisMessage(Response response) {
    if (response.type() != ResponseType.MULTI && response.type() != ResponseType.PUSH) {
      return;
    }
    if (response.size() < 4 || !"pmessage".equals(response.get(0).toString())) {
      return;
    }
    String channel = response.get(2).toString();
    Notification notification;
    try {
      Buffer payload = response.get(3).toBuffer();
      JsonObject json = NotificationMapper.parseObject(payload);
      if (json != null && json.getValue("id") == null && vertx.isClustered()) {
        // Every node of the fleet records this message: they must agree on its id to agree on its position.
        json.put("id", RedisChannels.derivedId(channel, payload.getBytes()));
      }
      notification = mapper.fromRedis(channel, json);
    } catch (InvalidNotificationException e) {
      rejected("redis", "channel " + channel + ": " + e.getMessage());
      return;
    }
    publish(notification, vertx.isClustered() ? Unrecorded.LIVE_UNLESS_STOPPING : Unrecorded.LIVE);
    node.metrics().ingested("redis");
  }

  // ---------------------------------------------------------------- status

  private void onStatus(Message<Object> message) {
    JsonObject status = new JsonObject();
    Future<JsonObject> redisStatus = Future.succeededFuture(null);
    if (stateOptions.redisEnabled()) {
      // A live PING tells a stalled server from a healthy one; the subscription state alone would not.
      Promise<JsonObject> promise = Promise.promise();
      long timer = vertx.setTimer(1000, id -> promise.tryComplete(redisStatusJson(false, "ping timeout")));
      redisClient.send(Request.cmd(Command.PING)).onComplete(ping -> {
        vertx.cancelTimer(timer);
        promise.tryComplete(redisStatusJson(ping.succeeded(), ping.failed() ? ping.cause().getMessage() : null));
      });
      redisStatus = promise.future();
    }
    redisStatus.onComplete(r -> {
      if (r.result() != null) {
        status.put("redis", r.result());
      }
      if (nats != null) {
        status.put("nats", nats.status());
      }
      message.reply(status);
    });
  }

  private JsonObject redisStatusJson(boolean pingOk, String pingError) {
    boolean up = pingOk && "up".equals(redisState);
    // Every node subscribes: the role says so to tools written for the single subscriber of earlier versions.
    JsonObject json = new JsonObject().put("status", up ? "up" : "down").put("required", true)
        .put("role", "subscriber")
        .put("subscribed", "up".equals(redisState));
    String error = pingError != null ? pingError : redisError;
    if (!up && error != null) {
      json.put("error", error);
    }
    return json;
  }

  private String redactedRedisUrl() {
    return stateOptions.getRedisUrl().replaceAll("//[^@/]*@", "//<redacted>@");
  }
}
