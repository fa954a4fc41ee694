package io.herald.ingress;

import io.herald.config.IngressOptions;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.runtime.NodeInfo;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ConsumeOptions;
import io.nats.client.ConsumerContext;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import io.nats.client.support.Status;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NATS side of the ingress: a core subscription in the fleet's queue group ({@code nats_subject},
 * {@code nats_queue_group}), or, with {@code nats_jetstream}, one durable pull consumer of a JetStream stream shared
 * by the fleet. Messages are parsed and mapped on jnats's thread and reach the ingress's event loop in batches
 * ({@link ContextHandOff}).
 *
 * <p>JetStream: the stream is created (file-backed) when missing and the consumer created or updated at start; a
 * message is acked only once its notification is recorded and published, and is otherwise delivered again — after
 * {@link #NAK_DELAY} when its record failed, after {@code nats_ack_wait_secs} when the node taking it died (while it
 * waits in a live node's queue it is signalled in progress: {@link InProgressSignals}). A message
 * without an {@code id} gets its {@code Nats-Msg-Id} header as id, else one made of the stream's creation time and
 * its sequence, so that every delivery of a message carries the same id and the idempotent append
 * ({@link io.herald.state.HistoryStore#appendForUser}) shows it to no client twice. An invalid message is terminated
 * (never delivered again).
 */
final class NatsIngress {

  private static final Logger log = LoggerFactory.getLogger(NatsIngress.class);

  /**
   * Most NATS notifications mapped but not yet published; past it the jnats thread waits, and jnats's own pending
   * limit (then its slow-consumer report) or the consumer's {@code nats_max_ack_pending} takes over.
   */
  static final int HANDOFF_CAPACITY = 65_536;
  /** Messages one pull asks for; jnats asks for more as it hands them out. */
  static final int JETSTREAM_PULL_BATCH = 512;
  /** How long a message whose record failed (the state store is down) waits before it is delivered again. */
  static final Duration NAK_DELAY = Duration.ofSeconds(2);
  /** The error NATS answers when a stream does not exist. */
  private static final int STREAM_NOT_FOUND = 10059;

  /** Records and publishes a notification; see {@link IngressVerticle}. */
  interface Publisher {
    /**
     * @param liveWithoutPosition whether a notification whose record failed is still delivered live (without a
     *                            position); false to publish nothing then, and fail
     * @return completes once published at every address of its target
     */
    Future<Void> publish(Notification notification, boolean liveWithoutPosition);
  }

  /** A JetStream message and what it maps to, on its way to the event loop. */
  private record Taken(Message message, Notification notification) {
  }

  private final Vertx vertx;
  private final Context context;
  private final IngressOptions options;
  private final NodeInfo node;
  private final NotificationMapper mapper;
  private final Publisher publisher;
  private final BiConsumer<String, String> rejected;
  private Connection connection;
  /** The JetStream consumer this node reads through; replaced when it stops delivering (see restartConsumer). */
  private volatile MessageConsumer consumer;
  private ConsumerContext consumerContext;
  private ContextHandOff<Taken> jetStreamHandOff;
  private final AtomicBoolean restarting = new AtomicBoolean();
  private final InProgressSignals inProgress = new InProgressSignals();
  private long inProgressTimer = -1;
  private volatile boolean stopping;
  /**
   * Whether the node is isolated from its fleet ({@code cluster_min_members}): nothing is taken from NATS, and a
   * JetStream message still arriving is given back. Set on the ingress's context, read on jnats's threads too.
   */
  private volatile boolean paused;
  /** The core subscription's dispatcher and handler, to leave and rejoin the queue group. */
  private Dispatcher coreDispatcher;
  private io.nats.client.MessageHandler coreHandler;
  /** The core subscription in the queue group; null while the node is isolated. */
  private Subscription coreSubscription;
  /** The stream's creation time in ms: part of the ids given to messages without one. */
  private long streamCreatedMillis;
  private volatile String state = "down";

  /**
   * @param context   the ingress verticle's context, where notifications are published and messages acked
   * @param rejected  called with the source and the reason of a message refused as invalid
   */
  NatsIngress(Vertx vertx, Context context, IngressOptions options, NodeInfo node, NotificationMapper mapper,
              Publisher publisher, BiConsumer<String, String> rejected) {
    this.vertx = vertx;
    this.context = context;
    this.options = options;
    this.node = node;
    this.mapper = mapper;
    this.publisher = publisher;
    this.rejected = rejected;
  }

  /**
   * Connects, and subscribes or starts consuming unless the node is isolated ({@link #setIsolated} before the start);
   * fails with a message naming the key at fault.
   */
  Future<Void> start() {
    Options natsOptions = new Options.Builder()
        .servers(options.getNatsUrl().split(","))
        .connectionName("herald-" + node.nodeId())
        .maxReconnects(-1)
        .reconnectWait(Duration.ofSeconds(1))
        .reconnectJitter(Duration.ofMillis(500))
        .connectionTimeout(Duration.ofSeconds(3))
        .connectionListener((conn, event) -> onEvent(event))
        .errorListener(new ErrorListener() {
          @Override
          public void slowConsumerDetected(Connection connection, io.nats.client.Consumer consumer) {
            log.warn("NATS reports this node as a slow consumer: notifications are being dropped by the server");
          }

          @Override
          public void heartbeatAlarm(Connection connection, JetStreamSubscription subscription, long lastStreamSequence,
                                     long lastConsumerSequence) {
            restartConsumer("its heartbeats stopped");
          }

          @Override
          public void pullStatusError(Connection connection, JetStreamSubscription subscription, Status status) {
            restartConsumer("NATS answered a pull with " + status.getCode() + " " + status.getMessage());
          }
        })
        .build();
    return vertx.executeBlocking(() -> {
      Connection connected = Nats.connect(natsOptions);
      try {
        if (options.isNatsJetstream()) {
          consume(connected);
        } else {
          subscribe(connected);
        }
        connected.flush(Duration.ofSeconds(3));
      } catch (Exception e) {
        connected.close();
        throw e;
      }
      return connected;
    }).recover(e -> Future.failedFuture(new IllegalStateException((options.isNatsJetstream() ? "nats_jetstream" : "nats_url")
        + ": cannot " + (options.isNatsJetstream() ? "consume from JetStream stream " + options.getNatsStream() + " on " : "connect to NATS at ")
        + options.getNatsUrl().replaceAll("//[^@/]*@", "//<redacted>@") + ": " + e.getMessage(), e)))
        .map(connected -> {
          connection = connected;
          state = "up";
          if (options.isNatsJetstream()) {
            log.info("NATS ingress: JetStream stream {} subject {} durable consumer {}", options.getNatsStream(),
                options.getNatsSubject(), options.getNatsDurable());
          } else {
            log.info("NATS ingress: subject {} queue group {}", options.getNatsSubject(), options.getNatsQueueGroup());
          }
          return null;
        });
  }

  /** Stops consuming and closes the connection; messages taken and not acked are delivered again after the wait. */
  Future<Void> stop() {
    stopping = true;
    if (inProgressTimer >= 0) {
      vertx.cancelTimer(inProgressTimer);
    }
    if (connection == null) {
      return Future.succeededFuture();
    }
    Connection closing = connection;
    MessageConsumer consuming = consumer;
    return vertx.executeBlocking(() -> {
      if (consuming != null) {
        consuming.stop();
      }
      closing.close();
      return null;
    });
  }

  /** This ingress in {@code /health}: its connection's state, subject and mode. */
  JsonObject status() {
    JsonObject status = new JsonObject().put("status", state).put("required", true)
        .put("subject", options.getNatsSubject()).put("mode", options.isNatsJetstream() ? "jetstream" : "core");
    if (options.isNatsJetstream()) {
      status.put("stream", options.getNatsStream()).put("durable", options.getNatsDurable());
    }
    return status;
  }

  private void subscribe(Connection connected) {
    ContextHandOff<Notification> handOff = new ContextHandOff<>(context, HANDOFF_CAPACITY, notification -> {
      publisher.publish(notification, true);
      node.metrics().ingested("nats");
    });
    coreDispatcher = connected.createDispatcher();
    coreHandler = msg -> onCore(msg.getData(), handOff);
    if (!paused) {
      coreSubscription = coreDispatcher.subscribe(options.getNatsSubject(), options.getNatsQueueGroup(), coreHandler);
    }
  }

  /**
   * On the ingress's context, once started and at every change: while the node is isolated from its fleet, stops
   * taking from NATS — the JetStream consumer is stopped (what it still delivers, or what is not yet acked when the
   * node learns it is isolated, is given back for the fleet's other nodes to take), the core subscription leaves the
   * queue group (the group's other members get every message) — and takes again once it rejoined. Idempotent: the
   * state is applied whatever it was.
   */
  void setIsolated(boolean isolated) {
    paused = isolated;
    if (connection == null || stopping) {
      return;
    }
    // On a worker, ordered after any change or consumer restart in flight (executeBlocking on a context is ordered),
    // each applying the state of its own turn: the last one applies the last state.
    context.executeBlocking(() -> {
      if (options.isNatsJetstream()) {
        MessageConsumer running = consumer;
        if (paused && running != null) {
          consumer = null;
          running.stop();
          return true;
        } else if (!paused && running == null) {
          consumer = newConsumer();
          return true;
        }
      } else if (paused && coreSubscription != null) {
        coreDispatcher.unsubscribe(coreSubscription);
        coreSubscription = null;
        return true;
      } else if (!paused && coreSubscription == null) {
        coreSubscription = coreDispatcher.subscribe(options.getNatsSubject(), options.getNatsQueueGroup(), coreHandler);
        return true;
      }
      return false;
    }).onComplete(changed -> {
      if (changed.failed()) {
        log.warn("NATS ingress could not {}: {}", isolated ? "stop taking" : "take again", changed.cause().getMessage());
      } else if (changed.result()) {
        log.info("NATS ingress {}", isolated ? "stopped: the node is isolated from its fleet" : "taking again");
      }
    });
  }

  /** Runs on the jnats dispatcher thread: maps the message and hands it to the event loop. */
  private void onCore(byte[] data, ContextHandOff<Notification> handOff) {
    Notification notification;
    try {
      notification = mapper.fromNats(NotificationMapper.parseObject(Buffer.buffer(data)));
    } catch (InvalidNotificationException e) {
      rejected.accept("nats", e.getMessage());
      return;
    }
    offer(handOff, notification);
  }

  private void consume(Connection connected) throws IOException, JetStreamApiException {
    JetStreamManagement management = connected.jetStreamManagement();
    StreamInfo stream = existingOrNewStream(management);
    streamCreatedMillis = stream.getCreateTime().toInstant().toEpochMilli();
    management.addOrUpdateConsumer(options.getNatsStream(), ConsumerConfiguration.builder()
        .durable(options.getNatsDurable())
        .filterSubject(options.getNatsSubject())
        .ackPolicy(AckPolicy.Explicit)
        .ackWait(Duration.ofSeconds(options.getNatsAckWaitSecs()))
        .maxAckPending(options.getNatsMaxAckPending())
        .deliverPolicy(DeliverPolicy.All)
        .build());
    jetStreamHandOff = new ContextHandOff<>(context, HANDOFF_CAPACITY, this::publishAndAck);
    consumerContext = connected.getStreamContext(options.getNatsStream()).getConsumerContext(options.getNatsDurable());
    consumer = paused ? null : newConsumer();
    // A third of the ack wait: a message waiting in this node's queue is signalled in progress twice before its
    // ack wait could lapse, whatever the jitter of a busy machine.
    long periodMs = Math.max(1000, options.getNatsAckWaitSecs() * 1000L / 3);
    inProgressTimer = vertx.setPeriodic(periodMs, id -> {
      if (inProgress.waiting() > 0) {
        context.executeBlocking(() -> {
          inProgress.signalAll();
          return null;
        }, false);
      }
    });
  }

  private MessageConsumer newConsumer() throws IOException, JetStreamApiException {
    return consumerContext.consume(ConsumeOptions.builder().batchSize(JETSTREAM_PULL_BATCH).build(),
        msg -> onJetStream(msg, jetStreamHandOff));
  }

  /**
   * Replaces the JetStream consumer, on a worker thread, once at a time: after the server restarted (the connection
   * came back), when its heartbeats stop or a pull is refused. jnats's consumer does not always survive a restart of
   * the server on its own (JetStreamRestartIT saw it deliver nothing more), and the durable consumer on the server
   * keeps its place, so a new one goes on where the old one stopped; what was delivered and not acked comes again.
   */
  private void restartConsumer(String why) {
    if (stopping || paused || consumerContext == null || !restarting.compareAndSet(false, true)) {
      return;
    }
    log.warn("JetStream consumer {} restarted: {}", options.getNatsDurable(), why);
    context.<Void>executeBlocking(() -> {
      MessageConsumer old = consumer;
      if (old != null) {
        old.stop();
      }
      // Isolated meanwhile: its stop, ordered after this, finds no consumer to stop; so none is made.
      consumer = paused ? null : newConsumer();
      return null;
    }).onComplete(done -> {
      restarting.set(false);
      if (done.failed() && !stopping) {
        log.warn("JetStream consumer {} could not be restarted, trying again in 1 s: {}", options.getNatsDurable(),
            done.cause().getMessage());
        vertx.setTimer(1000, id -> restartConsumer("the last restart failed"));
      }
    });
  }

  /** The stream as it exists (an operator's, left as it is), or one created file-backed from the options. */
  private StreamInfo existingOrNewStream(JetStreamManagement management) throws IOException, JetStreamApiException {
    try {
      return management.getStreamInfo(options.getNatsStream());
    } catch (JetStreamApiException e) {
      if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
        throw e;
      }
    }
    log.info("creating JetStream stream {} (file storage, {} retention, subjects {})", options.getNatsStream(),
        options.getNatsStreamRetention(), options.natsStreamSubjectsOrDefault());
    return management.addStream(StreamConfiguration.builder()
        .name(options.getNatsStream())
        .subjects(options.natsStreamSubjectsOrDefault())
        .storageType(StorageType.File)
        .retentionPolicy(switch (options.getNatsStreamRetention()) {
          case "limits" -> RetentionPolicy.Limits;
          case "interest" -> RetentionPolicy.Interest;
          default -> RetentionPolicy.WorkQueue;
        })
        .maxAge(Duration.ofSeconds(options.getNatsStreamMaxAgeSecs()))
        .build());
  }

  /** Runs on a jnats thread: maps the message (an invalid one is terminated) and hands it to the event loop. */
  private void onJetStream(Message message, ContextHandOff<Taken> handOff) {
    Notification notification;
    try {
      JsonObject json = NotificationMapper.parseObject(Buffer.buffer(message.getData()));
      if (json != null && json.getValue("id") == null) {
        json.put("id", idOf(message));
      }
      notification = mapper.fromNats(json);
    } catch (InvalidNotificationException e) {
      rejected.accept("nats", e.getMessage());
      message.term();
      return;
    }
    inProgress.taken(message);
    offer(handOff, new Taken(message, notification));
  }

  /**
   * The id of a message that has none in its payload, the same at every delivery: its {@code Nats-Msg-Id} when that
   * is a valid notification id, else the stream's creation time and the message's sequence in it.
   */
  private String idOf(Message message) {
    String header = message.hasHeaders() ? message.getHeaders().getFirst("Nats-Msg-Id") : null;
    if (MessageFields.isValidId(header)) {
      return header;
    }
    return "js-" + streamCreatedMillis + "-" + message.metaData().streamSequence();
  }

  /**
   * On the event loop: acks once published, else asks for the message again later. While the node is isolated the
   * message is given back at once, unpublished; one published while the node became isolated is given back too — its
   * publish may have reached only this side of the partition, and the node taking it again publishes it at the same
   * position (the idempotent append), which connections that already have it drop.
   */
  private void publishAndAck(Taken taken) {
    if (paused) {
      inProgress.done(taken.message());
      taken.message().nak();
      return;
    }
    publisher.publish(taken.notification(), false).onComplete(published -> {
      inProgress.done(taken.message());
      if (paused) {
        taken.message().nak();
      } else if (published.succeeded()) {
        taken.message().ack();
      } else {
        taken.message().nakWithDelay(NAK_DELAY);
      }
    });
    node.metrics().ingested("nats");
  }

  private static <T> void offer(ContextHandOff<T> handOff, T item) {
    try {
      handOff.offer(item);
    } catch (InterruptedException e) {
      // jnats interrupts its thread only when the connection closes: the node is stopping.
      Thread.currentThread().interrupt();
    }
  }

  private void onEvent(ConnectionListener.Events event) {
    switch (event) {
      case CONNECTED, RECONNECTED, RESUBSCRIBED -> state = "up";
      case DISCONNECTED, CLOSED -> state = "down";
      default -> {
        return;
      }
    }
    if (event == ConnectionListener.Events.DISCONNECTED) {
      log.warn("NATS connection lost; reconnecting");
    } else if (event == ConnectionListener.Events.RECONNECTED) {
      log.info("NATS connection restored");
      if (options.isNatsJetstream()) {
        restartConsumer("the connection to NATS came back");
      }
    }
  }
}
