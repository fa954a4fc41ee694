package io.herald.socket;

import io.herald.session.Admission;
import io.herald.session.ClientAddress;
import io.herald.session.OriginPolicy;
import io.herald.session.ReplayReader;
import io.herald.session.ResumePosition;
import io.herald.session.TokenBucket;
import io.herald.session.TokenRecheck;
import io.herald.session.TopicBudget;
import io.herald.session.TopicPolicy;
import io.herald.session.HourlyCounters;
import io.herald.model.LogText;
import io.herald.auth.AuthException;
import io.herald.auth.AuthenticatedUser;
import io.herald.auth.Authenticator;
import io.herald.auth.Tokens;
import io.herald.config.HeraldOptions;
import io.herald.model.Addresses;
import io.herald.model.Filters;
import io.herald.model.Ids;
import io.herald.model.Notification;
import io.herald.runtime.NodeInfo;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.protocol.ProtocolLimits;
import io.herald.protocol.ServerFrames;
import io.herald.socket.bridge.EventBusBridge;
import io.herald.model.Target;
import io.herald.state.HistoryStore;
import io.herald.state.Position;
import io.herald.state.Replay;
import io.herald.state.SessionInfo;
import io.herald.state.State;
import io.herald.state.StateFactory;
import io.herald.state.StoredNotification;
import io.herald.state.StreamKey;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns WebSocket connections: authentication, per-connection state, filters, topics, heartbeats, limits,
 * and the writing of notification frames. Deployed as several instances sharing the port; each instance's
 * state lives on its own event loop and is never shared.
 *
 * <p>It registers an event-bus consumer for a user, topic or tenant broadcast address only while one of
 * its connections needs it, and unregisters it when the last one leaves.
 *
 * <p>Its router also carries the browser event-bus bridge ({@link EventBusBridge}, {@code /eventbus}), which shares the
 * admission, origin, topic and replay logic with {@code /ws}.
 */
public final class SocketVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SocketVerticle.class);

  /** How often this verticle adds its counters to the hourly metrics in the state store. */
  static final long METRICS_FLUSH_MS = 10_000;

  private final HeraldOptions options;
  private final NodeInfo node;
  private final StateFactory stateFactory;
  private State state;
  private final Map<String, Connection> connections = new HashMap<>();
  private final Map<String, AddressSubscription> subscriptions = new HashMap<>();
  private HttpServer server;
  private Redis redis;
  private Authenticator authenticator;
  private FrameWriter frames;
  private Admission admission;
  private ClientAddress clientAddresses;
  private EventBusBridge bridge;
  private long heartbeatTimer = -1;
  private long metricsTimer = -1;
  /** This verticle's counters since the last flush to the hourly metrics store. */
  private final HourlyCounters hourly = new HourlyCounters();

  /** The consumer of one address and the connections of this verticle that need it. */
  private static final class AddressSubscription {
    final MessageConsumer<Object> consumer;
    /** Completes when the registration is effective (propagated to the cluster when clustered). */
    Future<Void> registered;
    final Set<Connection> connections = new LinkedHashSet<>();

    AddressSubscription(MessageConsumer<Object> consumer) {
      this.consumer = consumer;
    }
  }

  public SocketVerticle(HeraldOptions options, NodeInfo node, StateFactory stateFactory) {
    this.options = options;
    this.node = node;
    this.stateFactory = stateFactory;
  }

  /** The port the server listens on (meaningful after start; differs from the option when that was 0). */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> start() {
    if (options.state().redisEnabled()) {
      redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(options.state().getRedisUrl()).setMaxPoolSize(4).setMaxPoolWaiting(256));
    }
    authenticator = new Authenticator(vertx, options.auth(), redis);
    frames = new FrameWriter(context);
    state = stateFactory.create(vertx);
    admission = new Admission(vertx, node, state.sessions(), options.limits().getMaxConnectionsPerUser());
    clientAddresses = new ClientAddress(options.access().getTrustedProxies());
    bridge = new EventBusBridge(vertx, options, node, state, authenticator, admission, hourly);
    FrontDoor.Routes routes = FrontDoor.routes(vertx, options, node, this::upgrade, bridge);
    server = FrontDoor.server(vertx, options, routes.router());
    heartbeatTimer = vertx.setPeriodic(TimeUnit.SECONDS.toMillis(options.limits().getHeartbeatIntervalSecs()), id -> heartbeat());
    metricsTimer = vertx.setPeriodic(METRICS_FLUSH_MS, id -> flushMetrics());
    return Future.all(routes.ready(), vertx.eventBus().localConsumer(node.drainAddress(), m -> drain()).completion())
        .compose(v -> server.listen(FrontDoor.listenPort(options)));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(heartbeatTimer);
    vertx.cancelTimer(metricsTimer);
    bridge.stop();
    List<Future<?>> closing = new ArrayList<>(drain());
    // The last metrics and the sessions of the connections being closed are written before the state store is
    // released: otherwise a stopped node's sessions would count (and keep its users "online") until their TTL.
    closing.add(flushMetrics());
    for (Connection c : connections.values()) {
      if (c.user != null) {
        closing.add(admission.release(c.admission, c.user.tenant(), c.user.userId(), c.id));
      }
    }
    closing.add(server.close());
    if (redis != null) {
      redis.close();
    }
    return Future.join(closing).onComplete(done -> state.release().run());
  }

  /**
   * Closes every connection with 1001 (clients reconnect through the load balancer to another node) and
   * unregisters every consumer. New upgrades are refused from now on ({@link NodeInfo#isDraining()}).
   */
  private List<Future<?>> drain() {
    for (Connection c : connections.values().toArray(new Connection[0])) {
      close(c, CloseCode.SHUTDOWN, null);
    }
    List<Future<?>> unregistered = new ArrayList<>();
    for (AddressSubscription s : subscriptions.values()) {
      unregistered.add(s.consumer.unregister());
    }
    subscriptions.clear();
    unregistered.addAll(bridge.drain());
    return unregistered;
  }

  // ---------------------------------------------------------------- upgrade and authentication

  private void upgrade(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (!OriginPolicy.allows(options.access().getAllowedOrigins(), origin)) {
      log.info("upgrade refused: origin {} not allowed ({})", LogText.of(origin), LogText.of(Tokens.redactUri(request.uri())));
      ctx.response().setStatusCode(403).end("origin not allowed");
      return;
    }
    if (node.isDraining()) {
      ctx.response().setStatusCode(503).end("node draining");
      return;
    }
    String token = tokenFromUpgrade(request);
    String ip = clientAddresses.of(request.remoteAddress(), request.headers());
    String userAgent = request.getHeader(HttpHeaders.USER_AGENT);
    // A slot among the node's connections not yet authenticated (node-wide and per client address) before the
    // upgrade: a storm of connections that never authenticate is refused before any WebSocket exists.
    Admission.Ticket ticket = new Admission.Ticket();
    // Upgraded asynchronously: the request must not be read meanwhile.
    request.pause();
    admission.admitUnauthenticated(ticket, ip).onComplete(admitted -> {
      if (admitted.failed() || node.isDraining()) {
        admission.releaseUnauthenticated(ticket);
        log.debug("upgrade refused for {}: {}", LogText.of(ip), admitted.failed() ? admitted.cause().getMessage() : "node draining");
        ctx.response().setStatusCode(503).putHeader(HttpHeaders.RETRY_AFTER, "1")
            .end(admitted.failed() ? "too many unauthenticated connections" : "node draining");
        return;
      }
      request.toWebSocket().onSuccess(ws -> accept(ws, FrameWriter.webSocketContext(request), ticket, token, ip, userAgent))
          .onFailure(e -> {
            admission.releaseUnauthenticated(ticket);
            log.debug("upgrade failed for {}: {}", LogText.of(Tokens.redactUri(request.uri())), e.getMessage());
          });
    });
  }

  private static String tokenFromUpgrade(HttpServerRequest request) {
    String fromQuery = request.getParam("token");
    if (fromQuery != null && !fromQuery.isEmpty()) {
      return fromQuery;
    }
    String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    return null;
  }

  private void accept(ServerWebSocket ws, ChannelHandlerContext channel, Admission.Ticket ticket, String upgradeToken,
                      String ip, String userAgent) {
    long now = System.nanoTime();
    Connection c = new Connection(UUID.randomUUID().toString(), ws, channel, ticket, ip, userAgent,
        new TokenBucket(options.limits().getRateLimitPerSec(), options.limits().getRateLimitBurst(), now), new TopicBudget(options, now), now);
    connections.put(c.id, c);
    if (connections.size() > options.limits().getMaxConnections()) {
      // Unauthenticated connections are bounded here (authenticated ones by the node registry), with the
      // same Error and close code a client gets for any connection limit.
      sendError(c, ErrorCode.CONNECTION_LIMIT, "node connection limit reached");
      close(c, CloseCode.LIMIT_EXCEEDED, "node connection limit reached");
      ws.closeHandler(v -> release(c));
      return;
    }
    ws.setWriteQueueMaxSize(options.limits().getWriteQueueMaxBytes());
    ws.frameHandler(frame -> onFrame(c, frame));
    ws.exceptionHandler(e -> onSocketException(c, e));
    ws.closeHandler(v -> release(c));
    c.authTimer = vertx.setTimer(TimeUnit.SECONDS.toMillis(options.auth().getAuthTimeoutSecs()), id -> {
      c.authTimer = Connection.NO_TIMER;
      if (!c.authenticated()) {
        close(c, CloseCode.AUTH_TIMEOUT, null);
      }
    });
    if (upgradeToken != null) {
      authenticate(c, upgradeToken, "Unknown", null);
    }
  }

  private void authenticate(Connection c, String token, String device, ResumePosition resume) {
    c.authenticating = true;
    // The session metadata written at admission carries the declared device.
    c.device = device;
    // Hold further frames until the outcome is known, so that a Subscribe sent right after the upgrade
    // is handled as an authenticated message.
    c.socket.pause();
    // The user stream's position before the session exists: whatever is appended from here until the
    // consumers are registered (too late for the offline queue, too early for live delivery) is replayed.
    Position[] baseline = new Position[1];
    authenticator.authenticate(token)
        .compose(user -> state.history().current(StreamKey.user(user.tenant(), user.userId()))
            .onSuccess(position -> baseline[0] = position)
            .otherwise(e -> null)
            .map(user))
        .compose(user -> admit(c, user).map(user))
        .onComplete(result -> {
          c.authenticating = false;
          if (c.closing) {
            if (result.succeeded()) {
              // Closed while being admitted: release() gives back the admission and the session, and needs the
              // user for that; when it already ran (without one), run it again now.
              c.user = result.result();
              if (connections.putIfAbsent(c.id, c) == null) {
                release(c);
              }
            }
            return;
          }
          if (result.failed()) {
            refuseAuthentication(c, token, result.cause());
            return;
          }
          c.recheckToken = TokenRecheck.tokenToKeep(options, result.result(), token);
          completeAuthentication(c, result.result(), device, resume, baseline[0]);
        });
  }

  private Future<Void> admit(Connection c, AuthenticatedUser user) {
    return admission.admit(c.admission, sessionInfo(c, user));
  }

  private SessionInfo sessionInfo(Connection c, AuthenticatedUser user) {
    return new SessionInfo(user.tenant(), user.userId(), c.id, c.device == null ? "Unknown" : c.device,
        c.connectedAt, Instant.now(), c.ipAddress, c.userAgent, c.filters, node.nodeId());
  }

  private void refuseAuthentication(Connection c, String token, Throwable cause) {
    AuthException auth = cause instanceof AuthException a ? a
        : new AuthException(ErrorCode.UNAVAILABLE, CloseCode.INTERNAL_ERROR, "authentication failed");
    log.info("authentication refused (token {}, ip {}): {}", Tokens.hint(token), LogText.of(c.ipAddress), auth.getMessage());
    sendError(c, auth.errorCode(), auth.getMessage());
    close(c, auth.closeCode(), auth.getMessage());
  }

  private void completeAuthentication(Connection c, AuthenticatedUser user, String device, ResumePosition resume,
                                      Position baseline) {
    c.user = user;
    admission.releaseUnauthenticated(c.admission);
    c.device = device;
    cancel(c.authTimer);
    c.authTimer = Connection.NO_TIMER;
    scheduleExpiry(c);
    scheduleRecheck(c);
    hourly.connectionOpened();
    // From the first registration until Authenticated (and any replay) is written, live notifications wait:
    // Authenticated is always the first frame, and a replay is never overtaken by what follows it.
    c.heldDuringReplay = new ArrayList<>();
    List<Future<Void>> registrations = new ArrayList<>();
    registrations.add(join(c, Addresses.user(user.tenant(), user.userId())));
    registrations.add(join(c, Addresses.broadcast(user.tenant())));
    for (String topic : options.access().getDefaultTopics()) {
      if (c.topics.add(topic)) {
        registrations.add(join(c, Addresses.topic(user.tenant(), topic)));
      }
    }
    // Authenticated is the client's signal that delivery has started: send it (and read further frames) only
    // once the consumers are registered, cluster-wide when clustered, and the replay (if asked) is read.
    c.socket.pause();
    Future.join(registrations)
        .onFailure(e -> log.warn("connection {}: consumer registration failed: {}", c.id, e.getMessage()))
        .transform(ignored -> readReplay(c, resume != null ? resume
            : baseline != null ? new ResumePosition(baseline.epoch(), baseline.offset()) : null))
        .transform(replay -> {
          Future<List<StoredNotification>> taken = queueTakenWhileOpen(c, resume);
          Future<JsonObject> initial = readInitialState(c);
          return Future.join(taken, initial).transform(ignored -> {
            if (c.closing) {
              return Future.succeededFuture();
            }
            JsonObject authenticated = new JsonObject()
                .put("type", "Authenticated")
                .put("connection_id", c.id)
                .put("user_id", user.userId())
                .put("device", device)
                .put("tenant", user.tenant())
                .put("node_id", node.nodeId())
                .put("topics", new JsonArray(new ArrayList<>(c.topics)))
                .put("expires_at", user.expiresAt() == null ? null : user.expiresAt().toString());
            if (replay.succeeded()) {
              // The position the client resumes from next time: the stream's end once this replay is written.
              authenticated.put("epoch", replay.result().current().epoch()).put("offset", replay.result().current().offset());
              if (resume != null) {
                authenticated.put("recovered", replay.result().recovered());
              }
            } else if (resume != null) {
              authenticated.put("recovered", false);
            }
            write(c, authenticated.encode());
            // InitialState comes right after Authenticated, before any replayed or held notification.
            if (initial.succeeded() && initial.result() != null) {
              write(c, initial.result().encode());
            }
            finishReplay(c, replay.succeeded() ? replay.result() : null, resume != null,
                taken.succeeded() ? taken.result() : List.of());
            c.socket.resume();
            deliverOfflineQueue(c);
            return Future.succeededFuture();
          });
        });
  }

  /**
   * The notifications of the user's last offline-queue take (read once this connection's consumers are registered)
   * when this connection was already open at that moment: it must get them, but the taker's publish may have come
   * before its consumer registration completed. Empty for a connection that gave a position (its replay covers
   * them), or that was opened after the take (the queue was delivered before it existed).
   */
  private Future<List<StoredNotification>> queueTakenWhileOpen(Connection c, ResumePosition resume) {
    if (resume != null) {
      return Future.succeededFuture(List.of());
    }
    return state.history().lastQueueTake(c.user.tenant(), c.user.userId())
        .map(take -> {
          if (take.isEmpty()) {
            return List.<StoredNotification>of();
          }
          // Both durations end now (the take's age as the store measured it a moment ago): no clocks are compared.
          long openForMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - c.openedNanos) + 1;
          return openForMs >= take.get().ageMillis() ? take.get().notifications() : List.<StoredNotification>of();
        })
        .onFailure(e -> node.metrics().stateFailure("queue"));
  }

  /**
   * The part of the user's history the client missed: everything after its position when it gave one (or
   * only the stream's current position otherwise). An offset of 0 means "seen nothing": any epoch matches.
   */
  private Future<Replay> readReplay(Connection c, ResumePosition resume) {
    return ReplayReader.read(state.history(), StreamKey.user(c.user.tenant(), c.user.userId()), resume);
  }

  /**
   * Writes the notifications of an offline-queue take this connection was open for ({@link #queueTakenWhileOpen}),
   * the replayed notifications, then the live ones held meanwhile, dropping the live copies of what was already
   * written: no gap and no duplicate across the switch to live delivery.
   */
  private void finishReplay(Connection c, Replay replay, boolean positionGiven, List<StoredNotification> takenWhileOpen) {
    if (!takenWhileOpen.isEmpty()) {
      // Older than the replay: written first, except what the replay itself writes; their live copies (the taker's
      // publish) are dropped by position.
      Set<Position> replayed = new java.util.HashSet<>();
      if (replay != null) {
        replay.missed().forEach(missed -> replayed.add(missed.position()));
      }
      for (StoredNotification queued : takenWhileOpen) {
        Position position = queued.position();
        if (replayed.contains(position)) {
          continue;
        }
        if (c.writtenFromQueueTake == null) {
          c.writtenFromQueueTake = new java.util.HashSet<>();
        }
        if (c.writtenFromQueueTake.add(position) && c.filters.accepts(queued.notification())) {
          write(c, positioned(queued).frameBytes());
          c.messagesSent++;
        }
      }
    }
    if (replay != null) {
      for (StoredNotification missed : replay.missed()) {
        if (c.filters.accepts(missed.notification())) {
          write(c, positioned(missed).frameBytes());
          c.messagesSent++;
        }
      }
      // Live copies of what was just replayed are dropped. A client that gave a position has seen everything up
      // to the current offset; one that did not was replayed only what followed its baseline, and must still get
      // its offline queue (offsets up to the baseline) and everything live after the current offset.
      c.userStreamEpoch = replay.current().epoch();
      c.userStream.start(replay.current().epoch(), replay.current().offset());
      if (positionGiven) {
        c.userStreamReplayedFrom = 0;
        c.userStreamReplayedUpTo = Math.max(c.userStreamReplayedUpTo, replay.current().offset());
      } else {
        c.userStreamReplayedUpTo = replay.current().offset();
        c.userStreamReplayedFrom = replay.missed().isEmpty() ? replay.current().offset()
            : replay.missed().get(0).position().offset() - 1;
      }
    } else {
      node.metrics().stateFailure("history");
    }
    List<Notification> held = c.heldDuringReplay;
    c.heldDuringReplay = null;
    if (held != null) {
      for (Notification n : held) {
        deliverTo(c, n);
      }
    }
  }

  private void onResume(Connection c, JsonObject message) {
    ResumePosition resume = ResumePosition.fromMessage(message);
    if (resume == null) {
      throw new IllegalArgumentException("Resume needs a string 'epoch' and a non-negative integer 'last_offset'");
    }
    if (c.heldDuringReplay == null) {
      c.heldDuringReplay = new ArrayList<>();
    }
    c.socket.pause();
    readReplay(c, resume).onComplete(replay -> {
      if (c.closing) {
        return;
      }
      JsonObject resumed = new JsonObject().put("type", "Resumed");
      if (replay.succeeded()) {
        resumed.put("recovered", replay.result().recovered())
            .put("epoch", replay.result().current().epoch())
            .put("offset", replay.result().current().offset())
            .put("missed", replay.result().missed().size());
      } else {
        resumed.put("recovered", false).put("error", "history unavailable");
      }
      write(c, resumed.encode());
      finishReplay(c, replay.succeeded() ? replay.result() : null, true, List.of());
      c.socket.resume();
    });
  }

  /** The InitialState frame (unread count and latest unread), or null when {@code initial_state} is off. */
  private Future<JsonObject> readInitialState(Connection c) {
    if (!options.state().isInitialState()) {
      return Future.succeededFuture(null);
    }
    return state.inbox().unread(c.user.tenant(), c.user.userId(), Math.max(1, options.state().getInitialStateSize()))
        .map(inbox -> {
          JsonArray latest = new JsonArray();
          if (options.state().getInitialStateSize() > 0) {
            inbox.latest().forEach(n -> latest.add(n.notification().toFrame()));
          }
          return new JsonObject().put("type", "InitialState").put("unread_count", inbox.unreadCount())
              .put("notifications", latest);
        })
        .onFailure(e -> node.metrics().stateFailure("inbox"));
  }

  /**
   * Takes the user's offline queue (one atomic step: of two devices connecting at once, one gets it) and
   * publishes each notification to the user's address, so every connection of the user open now receives it
   * once; connections that already replayed it drop the copy by its offset. The take is recorded (for
   * {@link HistoryStore#QUEUE_TAKE_RECORD_SECS}): a connection still opening, whose consumer registration may
   * complete after this publish, writes the taken notifications itself ({@link #queueTakenWhileOpen}).
   */
  private void deliverOfflineQueue(Connection c) {
    String address = Addresses.user(c.user.tenant(), c.user.userId());
    state.history().takeOfflineQueue(c.user.tenant(), c.user.userId())
        .onSuccess(queued -> queued.forEach(q -> vertx.eventBus().publish(address, positioned(q))))
        .onFailure(e -> node.metrics().stateFailure("queue"));
  }

  /** The stored notification with its position, so that its frame carries stream, epoch and offset. */
  private static Notification positioned(StoredNotification stored) {
    return stored.notification().withPosition(stored.position().epoch(), stored.position().offset());
  }

  private void onGetUnread(Connection c, JsonObject message) {
    Object limitValue = message.getValue("limit", 10);
    if (!(limitValue instanceof Integer limit) || limit < 1 || limit > ProtocolLimits.MAX_UNREAD_LIMIT) {
      throw new IllegalArgumentException("limit must be an integer from 1 to " + ProtocolLimits.MAX_UNREAD_LIMIT);
    }
    state.inbox().unread(c.user.tenant(), c.user.userId(), limit).onComplete(result -> {
      if (result.failed()) {
        node.metrics().stateFailure("inbox");
        sendError(c, ErrorCode.UNAVAILABLE, "unread notifications unavailable");
        return;
      }
      write(c, ServerFrames.unread(result.result()).encode());
    });
  }

  private void onMarkRead(Connection c, JsonObject message) {
    Object id = message.getValue("notification_id");
    if (!(id instanceof String notificationId) || notificationId.isEmpty() || notificationId.length() > Ids.MAX_ID_LENGTH) {
      throw new IllegalArgumentException("MarkRead needs a string 'notification_id'");
    }
    JsonObject updated = ServerFrames.notificationRead(notificationId);
    state.inbox().markRead(c.user.tenant(), c.user.userId(), notificationId).onComplete(result -> {
      if (result.failed()) {
        node.metrics().stateFailure("inbox");
        sendError(c, ErrorCode.UNAVAILABLE, "could not mark the notification read");
      } else if (result.result()) {
        // Every device of the user, on every node, sees the change.
        vertx.eventBus().publish(Addresses.user(c.user.tenant(), c.user.userId()), updated);
      } else {
        write(c, updated.encode());
      }
    });
  }

  /**
   * Runs the reply once every registration completed, with the socket paused meanwhile so that later frames
   * are answered after it, in order. The connection's socket must be paused by the caller or not yet read.
   */
  private void afterRegistrations(Connection c, List<Future<Void>> registrations, Runnable reply) {
    c.socket.pause();
    Future.join(registrations).onComplete(done -> {
      if (done.failed()) {
        log.warn("connection {}: consumer registration failed: {}", c.id, done.cause().getMessage());
      }
      if (!c.closing) {
        reply.run();
        c.socket.resume();
      }
    });
  }

  private void scheduleExpiry(Connection c) {
    cancel(c.expiryTimer);
    c.expiryTimer = Connection.NO_TIMER;
    Instant expiresAt = c.user.expiresAt();
    if (expiresAt == null) {
      return;
    }
    long delayMs = expiresAt.toEpochMilli() - System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(options.auth().getExpiredCloseDelaySecs());
    c.expiryTimer = vertx.setTimer(Math.max(1, delayMs), id -> {
      c.expiryTimer = Connection.NO_TIMER;
      sendError(c, ErrorCode.TOKEN_INVALID, "token expired");
      close(c, CloseCode.TOKEN_INVALID, "token expired");
    });
  }

  // ---------------------------------------------------------------- inbound frames

  private void onFrame(Connection c, WebSocketFrame frame) {
    c.lastActivityNanos = System.nanoTime();
    if (c.closing) {
      return;
    }
    if (frame.isText() || frame.isBinary()) {
      c.partialText = null;
      c.partialIsBinary = frame.isBinary();
      if (frame.isFinal()) {
        onMessage(c, frame.binaryData(), frame.isBinary());
      } else {
        c.partialText = frame.binaryData().copy();
      }
    } else if (frame.isContinuation() && c.partialText != null) {
      if (c.partialText.length() + frame.binaryData().length() > options.server().getMaxFrameBytes()) {
        c.partialText = null;
        tooLarge(c);
        return;
      }
      c.partialText.appendBuffer(frame.binaryData());
      if (frame.isFinal()) {
        Buffer whole = c.partialText;
        c.partialText = null;
        onMessage(c, whole, c.partialIsBinary);
      }
    }
  }

  private void onSocketException(Connection c, Throwable e) {
    if (e instanceof CorruptedWebSocketFrameException corrupted && corrupted.closeStatus() != null
        && corrupted.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) {
      tooLarge(c);
      return;
    }
    if (e instanceof IllegalStateException && String.valueOf(e.getMessage()).contains("max message size")) {
      tooLarge(c);
      return;
    }
    log.debug("connection {}: {}", c.id, e.toString());
  }

  private void tooLarge(Connection c) {
    sendError(c, ErrorCode.TOO_LARGE, "frame larger than " + options.server().getMaxFrameBytes() + " bytes");
    close(c, CloseCode.FRAME_TOO_LARGE, null);
  }

  private void onMessage(Connection c, Buffer data, boolean binary) {
    if (data.length() > options.server().getMaxFrameBytes()) {
      tooLarge(c);
      return;
    }
    if (!c.rateLimit.tryTake(c.lastActivityNanos)) {
      node.metrics().rateLimited();
      c.refusedInARow++;
      if (c.refusedInARow > options.limits().getRateLimitBurst()) {
        sendError(c, ErrorCode.RATE_LIMITED, "persistent rate limit excess");
        close(c, CloseCode.LIMIT_EXCEEDED, "rate limit exceeded");
      } else {
        sendError(c, ErrorCode.RATE_LIMITED, "more than " + options.limits().getRateLimitPerSec() + " messages per second");
      }
      return;
    }
    c.refusedInARow = 0;
    if (binary) {
      sendError(c, ErrorCode.UNSUPPORTED, "binary frames are not supported; send JSON text frames");
      closeIfUnauthenticated(c);
      return;
    }
    JsonObject message;
    try {
      Object parsed = new JsonObject("{\"m\":" + data.toString() + "}").getValue("m");
      if (!(parsed instanceof JsonObject object)) {
        sendError(c, ErrorCode.MALFORMED, "a message must be a JSON object");
        closeIfUnauthenticated(c);
        return;
      }
      message = object;
    } catch (DecodeException e) {
      sendError(c, ErrorCode.MALFORMED, "invalid JSON");
      closeIfUnauthenticated(c);
      return;
    }
    Object type = message.getValue("type");
    if (!(type instanceof String typeName)) {
      sendError(c, ErrorCode.MALFORMED, "missing string field 'type'");
      closeIfUnauthenticated(c);
      return;
    }
    handle(c, ClientMessageType.parse(typeName), typeName, message);
  }

  private void closeIfUnauthenticated(Connection c) {
    if (!c.authenticated() && !c.authenticating) {
      close(c, CloseCode.AUTH_MISSING, null);
    }
  }

  private void handle(Connection c, ClientMessageType type, String typeName, JsonObject message) {
    if (type == null) {
      sendError(c, ErrorCode.UNKNOWN_TYPE, "unknown message type '" + truncate(typeName) + "'");
      closeIfUnauthenticated(c);
      return;
    }
    if (type == ClientMessageType.AUTHENTICATE) {
      onAuthenticate(c, message);
      return;
    }
    if (!c.authenticated()) {
      sendError(c, ErrorCode.NOT_AUTHENTICATED, "authenticate first");
      closeIfUnauthenticated(c);
      return;
    }
    try {
      switch (type) {
        case SUBSCRIBE -> onSubscribe(c, message);
        case UNSUBSCRIBE -> onUnsubscribe(c, message);
        case PING -> write(c, ServerFrames.pong().encode());
        case REFRESH -> onRefresh(c, message);
        case GET_STATUS -> write(c, status(c).encode());
        case RESUME -> onResume(c, message);
        case GET_UNREAD -> onGetUnread(c, message);
        case MARK_READ -> onMarkRead(c, message);
        default -> sendError(c, ErrorCode.UNKNOWN_TYPE, "unknown message type '" + truncate(typeName) + "'");
      }
    } catch (IllegalArgumentException e) {
      sendError(c, ErrorCode.INVALID, e.getMessage());
    }
  }

  private void onAuthenticate(Connection c, JsonObject message) {
    if (c.authenticated() || c.authenticating) {
      sendError(c, ErrorCode.ALREADY_AUTHENTICATED, "already authenticated; use Refresh to replace the token");
      return;
    }
    Object token = message.getValue("token");
    if (!(token instanceof String tokenText) || tokenText.isBlank()) {
      sendError(c, ErrorCode.INVALID, "Authenticate needs a string 'token'");
      close(c, CloseCode.AUTH_MISSING, null);
      return;
    }
    String device = Device.normalise(message.getValue("device"));
    if (device == null) {
      sendError(c, ErrorCode.INVALID, "device must be one of " + Device.NAMES);
      close(c, CloseCode.AUTH_MISSING, null);
      return;
    }
    ResumePosition resume = null;
    if (message.containsKey("epoch") || message.containsKey("last_offset")) {
      resume = ResumePosition.fromMessage(message);
      if (resume == null) {
        sendError(c, ErrorCode.INVALID, "epoch must be a string and last_offset a non-negative integer");
        close(c, CloseCode.AUTH_MISSING, null);
        return;
      }
    }
    authenticate(c, tokenText, device, resume);
  }

  private void onSubscribe(Connection c, JsonObject message) {
    // Validate the whole message before changing anything: a Subscribe refused as invalid leaves the filters as they were.
    List<String> requested = topicList(message);
    Filters filters = c.filters;
    if (message.containsKey("filters")) {
      Object value = message.getValue("filters");
      if (value != null && !(value instanceof JsonObject)) {
        throw new IllegalArgumentException("filters must be an object");
      }
      filters = Filters.fromJson((JsonObject) value);
    }
    // One pass classifies every topic; nothing changes until the topic budget has admitted the joins. Refusals are
    // answered with one Error per kind, not one per topic: a 256-topic Subscribe must not draw 256 frames.
    List<String> added = new ArrayList<>();
    Set<String> joining = new LinkedHashSet<>();
    List<String> invalid = new ArrayList<>();
    List<String> forbidden = new ArrayList<>();
    boolean overLimit = false;
    for (String topic : requested) {
      if (!Ids.isValidTopic(topic)) {
        invalid.add(topic);
      } else if (!TopicPolicy.allows(options, c.user, topic)) {
        forbidden.add(topic);
      } else if (c.topics.contains(topic) || joining.contains(topic)) {
        added.add(topic);
      } else if (c.topics.size() + joining.size() >= ProtocolLimits.MAX_TOPICS_PER_CONNECTION) {
        overLimit = true;
      } else {
        joining.add(topic);
        added.add(topic);
      }
    }
    if (!admitTopicChanges(c, joining.size())) {
      return;
    }
    c.filters = filters;
    List<Future<Void>> registrations = new ArrayList<>();
    for (String topic : joining) {
      c.topics.add(topic);
      registrations.add(join(c, Addresses.topic(c.user.tenant(), topic)));
    }
    if (!invalid.isEmpty()) {
      sendError(c, ErrorCode.INVALID, "invalid topic name " + topicsForMessage(invalid));
    }
    if (!forbidden.isEmpty()) {
      sendError(c, ErrorCode.FORBIDDEN, "topic " + topicsForMessage(forbidden) + " is not allowed");
    }
    if (overLimit) {
      sendError(c, ErrorCode.INVALID, "more than " + ProtocolLimits.MAX_TOPICS_PER_CONNECTION + " topics");
    }
    afterRegistrations(c, registrations, () -> write(c, new JsonObject().put("type", "Subscribed")
        .put("topics", new JsonArray(added))
        .put("all_topics", new JsonArray(new ArrayList<>(c.topics)))
        .put("filters", c.filters.toJson()).encode()));
  }

  private void onUnsubscribe(Connection c, JsonObject message) {
    List<String> requested = topicList(message);
    if (!admitTopicChanges(c, (int) requested.stream().distinct().filter(c.topics::contains).count())) {
      return;
    }
    List<String> removed = new ArrayList<>();
    for (String topic : requested) {
      if (c.topics.remove(topic)) {
        leave(c, Addresses.topic(c.user.tenant(), topic));
        removed.add(topic);
      }
    }
    write(c, new JsonObject().put("type", "Unsubscribed")
        .put("topics", new JsonArray(removed))
        .put("all_topics", new JsonArray(new ArrayList<>(c.topics))).encode());
  }

  /**
   * Takes the topics a Subscribe or Unsubscribe would join or leave from the connection's {@link TopicBudget}. Over
   * the budget the request is refused whole (Error {@code rate_limited}); persistently over it, the connection is
   * closed with 4029.
   */
  private boolean admitTopicChanges(Connection c, int changes) {
    switch (c.topicBudget.take(changes, System.nanoTime())) {
      case ALLOWED -> {
        return true;
      }
      case EXCEEDED -> {
        node.metrics().rateLimited();
        sendError(c, ErrorCode.RATE_LIMITED, "persistent topic change excess");
        close(c, CloseCode.LIMIT_EXCEEDED, "rate limit exceeded");
        return false;
      }
      default -> {
        node.metrics().rateLimited();
        sendError(c, ErrorCode.RATE_LIMITED, "more than " + options.limits().getTopicChangesPerSec()
            + " topic changes per second (burst " + options.limits().getTopicChangesBurst() + "); nothing was changed");
        return false;
      }
    }
  }

  private static List<String> topicList(JsonObject message) {
    Object value = message.getValue("topics");
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw new IllegalArgumentException("topics must be an array of strings");
    }
    if (array.size() > ProtocolLimits.MAX_TOPICS_PER_CONNECTION) {
      throw new IllegalArgumentException("more than " + ProtocolLimits.MAX_TOPICS_PER_CONNECTION + " topics");
    }
    List<String> topics = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof String s)) {
        throw new IllegalArgumentException("topics must be an array of strings");
      }
      topics.add(s);
    }
    return topics;
  }

  private void onRefresh(Connection c, JsonObject message) {
    Object token = message.getValue("token");
    if (!(token instanceof String tokenText) || tokenText.isBlank()) {
      throw new IllegalArgumentException("Refresh needs a string 'token'");
    }
    authenticator.authenticate(tokenText).onComplete(result -> {
      if (c.closing) {
        return;
      }
      if (result.failed()) {
        log.info("refresh refused for connection {} (token {}): {}", c.id, Tokens.hint(tokenText), result.cause().getMessage());
        sendError(c, ErrorCode.TOKEN_INVALID, "refresh token invalid or expired");
        return;
      }
      AuthenticatedUser fresh = result.result();
      if (!fresh.userId().equals(c.user.userId()) || !fresh.tenant().equals(c.user.tenant())) {
        sendError(c, ErrorCode.FORBIDDEN, "refresh token is for another user");
        return;
      }
      c.recheckToken = TokenRecheck.tokenToKeep(options, fresh, tokenText);
      List<String> revoked = renew(c, fresh);
      write(c, new JsonObject().put("type", "Refreshed")
          .put("expires_at", fresh.expiresAt() == null ? null : fresh.expiresAt().toString())
          .put("revoked_topics", new JsonArray(revoked))
          .put("all_topics", new JsonArray(new ArrayList<>(c.topics))).encode());
    });
  }

  /**
   * Puts a newer proof of the same user in place: its expiry and re-check take over, and the topics joined under the
   * old grants that the new ones do not cover are left at once (a revoked grant must not keep delivering until the
   * client reconnects). Returns the topics left.
   */
  private List<String> renew(Connection c, AuthenticatedUser fresh) {
    c.user = fresh;
    scheduleExpiry(c);
    scheduleRecheck(c);
    List<String> revoked = new ArrayList<>();
    for (String topic : c.topics) {
      if (!TopicPolicy.allows(options, fresh, topic)) {
        revoked.add(topic);
      }
    }
    for (String topic : revoked) {
      c.topics.remove(topic);
      leave(c, Addresses.topic(fresh.tenant(), topic));
    }
    return revoked;
  }

  /**
   * Looks a Knox token up again every {@code auth_recheck_secs} ({@link TokenRecheck}): a renewed proof takes over (the
   * topics it no longer grants are left and reported in an {@code Unsubscribed} frame), a token store that does not
   * answer is tried again at the next interval, a revoked token closes with 4001.
   */
  private void scheduleRecheck(Connection c) {
    cancel(c.recheckTimer);
    c.recheckTimer = Connection.NO_TIMER;
    if (c.recheckToken == null) {
      return;
    }
    c.recheckTimer = vertx.setTimer(TokenRecheck.delayMs(options), id -> {
      c.recheckTimer = Connection.NO_TIMER;
      String token = c.recheckToken;
      authenticator.authenticate(token).onComplete(lookup -> {
        if (c.closing || !token.equals(c.recheckToken)) {
          return;
        }
        switch (TokenRecheck.decide(lookup, c.user)) {
          case RENEWED -> {
            List<String> revoked = renew(c, lookup.result());
            if (!revoked.isEmpty()) {
              write(c, new JsonObject().put("type", "Unsubscribed").put("topics", new JsonArray(revoked))
                  .put("all_topics", new JsonArray(new ArrayList<>(c.topics))).encode());
            }
          }
          case RETRY -> scheduleRecheck(c);
          case REVOKED -> {
            log.info("connection {} of user {}: Knox token no longer valid, closing", c.id, c.user.userId());
            sendError(c, ErrorCode.TOKEN_INVALID, "token revoked");
            close(c, CloseCode.TOKEN_INVALID, "token revoked");
          }
        }
      });
    });
  }

  private JsonObject status(Connection c) {
    return ServerFrames.status(c.id, c.user.userId(), c.user.tenant(), c.device, node.nodeId(), c.connectedAt,
        c.filters, c.topics, c.messagesSent);
  }

  // ---------------------------------------------------------------- subscriptions and delivery

  /** Adds the connection to the address's consumer, registering it first if needed; completes once registered. */
  private Future<Void> join(Connection c, String address) {
    AddressSubscription subscription = subscriptions.get(address);
    if (subscription == null) {
      MessageConsumer<Object> consumer = vertx.eventBus().consumer(address);
      AddressSubscription created = new AddressSubscription(consumer);
      consumer.handler(message -> deliver(created, message.body()));
      created.registered = consumer.completion();
      subscriptions.put(address, created);
      subscription = created;
    }
    subscription.connections.add(c);
    return subscription.registered;
  }

  private void leave(Connection c, String address) {
    AddressSubscription subscription = subscriptions.get(address);
    if (subscription != null && subscription.connections.remove(c) && subscription.connections.isEmpty()) {
      subscriptions.remove(address);
      subscription.consumer.unregister();
    }
  }

  private void deliver(AddressSubscription subscription, Object body) {
    // A write may close a slow connection; iterate over a snapshot so that its release cannot disturb us.
    Connection[] targets = subscription.connections.toArray(new Connection[0]);
    if (body instanceof JsonObject event) {
      // A user event (NotificationUpdated): every connection of the user gets it, unfiltered.
      byte[] frame = event.encode().getBytes(StandardCharsets.UTF_8);
      for (Connection c : targets) {
        write(c, frame);
      }
      return;
    }
    Notification notification = (Notification) body;
    long latencyMs = Math.max(0, System.currentTimeMillis() - notification.timestamp().toEpochMilli());
    int written = 0;
    for (Connection c : targets) {
      written += deliverTo(c, notification);
    }
    hourly.delivered(written, latencyMs);
    node.metrics().delivered(written);
  }

  /**
   * Deduplicates against a replay, holds during one, puts the user stream back in offset order, filters, and writes;
   * returns the frames written (more than one when this notification filled a gap others waited on).
   */
  private int deliverTo(Connection c, Notification notification) {
    if (c.closing) {
      return 0;
    }
    if (c.heldDuringReplay != null) {
      if (c.heldDuringReplay.size() >= options.limits().getSlowClientMaxPending()) {
        close(c, CloseCode.SLOW_CLIENT, null);
      } else {
        c.heldDuringReplay.add(notification);
      }
      return 0;
    }
    if (!(notification.target() instanceof Target.Users)) {
      return writeFiltered(c, notification);
    }
    if (notification.epoch() != null && notification.epoch().equals(c.userStreamEpoch)
        && notification.offset() <= c.userStreamReplayedUpTo && notification.offset() > c.userStreamReplayedFrom) {
      return 0;
    }
    if (c.writtenFromQueueTake != null && notification.epoch() != null
        && c.writtenFromQueueTake.contains(new Position(notification.epoch(), notification.offset()))) {
      return 0;
    }
    int written = 0;
    for (Notification inOrder : c.userStream.offer(notification)) {
      written += writeFiltered(c, inOrder);
    }
    if (c.userStream.holding()) {
      if (c.reorderTimer == Connection.NO_TIMER) {
        c.reorderTimer = vertx.setTimer(UserStreamSequencer.MAX_WAIT_MS, id -> {
          c.reorderTimer = Connection.NO_TIMER;
          int late = 0;
          for (Notification waited : c.userStream.releaseAll()) {
            late += writeFiltered(c, waited);
          }
          hourly.delivered(late, 0);
          node.metrics().delivered(late);
        });
      }
    } else {
      cancel(c.reorderTimer);
      c.reorderTimer = Connection.NO_TIMER;
    }
    return written;
  }

  /** Writes the notification unless the connection's filters exclude it; 1 when a frame was written. */
  private int writeFiltered(Connection c, Notification notification) {
    if (c.closing) {
      return 0;
    }
    if (!c.filters.accepts(notification)) {
      node.metrics().filteredOut();
      return 0;
    }
    if (write(c, notification.frameBytes())) {
      c.messagesSent++;
      return 1;
    }
    return 0;
  }

  private Future<Void> flushMetrics() {
    return hourly.flushTo(state.metrics(), Instant.now()).onFailure(e -> node.metrics().stateFailure("metrics"));
  }

  /** Writes a text frame (encoded here); see {@link #write(Connection, byte[])}. */
  private boolean write(Connection c, String frame) {
    return write(c, frame.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes a UTF-8 text frame unless the connection is closing. When the socket's write queue is full the
   * frame waits in a bounded queue; the client is disconnected with {@link CloseCode#SLOW_CLIENT} when that
   * queue overflows or the write queue stays full for {@code slow_client_grace_secs}.
   */
  private boolean write(Connection c, byte[] frame) {
    if (c.closing) {
      return false;
    }
    if (c.pending != null) {
      if (c.pending.size() >= options.limits().getSlowClientMaxPending()) {
        close(c, CloseCode.SLOW_CLIENT, null);
        return false;
      }
      c.pending.add(frame);
      return true;
    }
    frames.write(c, frame);
    if (!FrameWriter.writable(c)) {
      c.pending = new ArrayDeque<>();
      c.slowTimer = vertx.setTimer(TimeUnit.SECONDS.toMillis(options.limits().getSlowClientGraceSecs()), id -> {
        c.slowTimer = Connection.NO_TIMER;
        close(c, CloseCode.SLOW_CLIENT, null);
      });
      if (!c.writabilityWatched) {
        c.writabilityWatched = true;
        frames.onWritable(c, v -> flushPending(c));
      }
    }
    return true;
  }

  private void flushPending(Connection c) {
    if (c.closing || c.pending == null) {
      return;
    }
    while (!c.pending.isEmpty() && FrameWriter.writable(c)) {
      frames.write(c, c.pending.poll());
    }
    if (c.pending.isEmpty() && FrameWriter.writable(c)) {
      c.pending = null;
      cancel(c.slowTimer);
      c.slowTimer = Connection.NO_TIMER;
    }
  }

  private void sendError(Connection c, ErrorCode code, String message) {
    node.metrics().clientError();
    write(c, new JsonObject().put("type", "Error").put("code", code.wireName()).put("message", message).encode());
  }

  // ---------------------------------------------------------------- heartbeats, closing, release

  private void heartbeat() {
    long now = System.nanoTime();
    long timeoutNanos = TimeUnit.SECONDS.toNanos(options.limits().getConnectionTimeoutSecs());
    for (Connection c : connections.values().toArray(new Connection[0])) {
      if (c.closing) {
        continue;
      }
      if (now - c.lastActivityNanos > timeoutNanos) {
        close(c, CloseCode.CONNECTION_TIMEOUT, null);
      } else {
        if (c.pending == null) {
          c.socket.writePing(Buffer.buffer());
        }
        if (c.authenticated()) {
          // Refreshes the session's TTL (and recreates it after a Redis outage).
          state.sessions().touch(sessionInfo(c, c.user)).onFailure(e -> node.metrics().stateFailure("sessions"));
        }
      }
    }
  }

  /** Starts the close handshake with a code; the state is released when the socket reports it closed. */
  private void close(Connection c, CloseCode code, String reason) {
    if (c.closing) {
      return;
    }
    c.closing = true;
    node.metrics().closed(code);
    if (c.pending != null) {
      c.pending = null;
    }
    String text = reason == null ? code.reason() : reason;
    // A close reason must fit in a control frame (125 bytes, 2 of them the code).
    if (text.length() > 120) {
      text = text.substring(0, 120);
    }
    c.socket.close(code.code(), text).onFailure(e -> release(c));
    if (code == CloseCode.SLOW_CLIENT) {
      log.info("connection {} of user {} closed: slow client", c.id, c.user == null ? "-" : c.user.userId());
    }
  }

  /** The one place where a connection's state is released: timers, subscriptions, admission. */
  private void release(Connection c) {
    if (connections.remove(c.id) == null) {
      return;
    }
    c.closing = true;
    cancel(c.authTimer);
    cancel(c.expiryTimer);
    cancel(c.recheckTimer);
    cancel(c.slowTimer);
    cancel(c.reorderTimer);
    c.pending = null;
    if (c.user != null) {
      leave(c, Addresses.user(c.user.tenant(), c.user.userId()));
      leave(c, Addresses.broadcast(c.user.tenant()));
      for (String topic : c.topics) {
        leave(c, Addresses.topic(c.user.tenant(), topic));
      }
    }
    c.heldDuringReplay = null;
    admission.releaseUnauthenticated(c.admission);
    // Closed while being admitted (no user yet): authenticate() calls this again once the admission is known.
    if (c.user != null) {
      admission.release(c.admission, c.user.tenant(), c.user.userId(), c.id);
    }
  }

  private void cancel(long timer) {
    if (timer != Connection.NO_TIMER) {
      vertx.cancelTimer(timer);
    }
  }

  /** The first few topics of a refusal, quoted and truncated, and how many there were in all. */
  private static String topicsForMessage(List<String> topics) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < Math.min(topics.size(), 3); i++) {
      out.append(i == 0 ? "" : ", ").append('\'').append(truncate(topics.get(i))).append('\'');
    }
    if (topics.size() > 3) {
      out.append(" and ").append(topics.size() - 3).append(" more");
    }
    return out.toString();
  }

  private static String truncate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  /** Client message types, matched case-insensitively and with or without underscores. */
  enum ClientMessageType {
    AUTHENTICATE, SUBSCRIBE, UNSUBSCRIBE, PING, REFRESH, GET_STATUS, RESUME, GET_UNREAD, MARK_READ;

    private static final Map<String, ClientMessageType> BY_NAME = new HashMap<>();

    static {
      for (ClientMessageType t : values()) {
        BY_NAME.put(t.name().replace("_", "").toLowerCase(Locale.ROOT), t);
      }
    }

    static ClientMessageType parse(String type) {
      return BY_NAME.get(type.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT));
    }
  }

  /** Device kinds a client may declare. */
  static final class Device {
    static final List<String> NAMES = List.of("Dashboard", "iOS", "Android");

    private Device() {
    }

    /** The canonical spelling, "Unknown" when absent, null when the value names no device. */
    static String normalise(Object value) {
      if (value == null) {
        return "Unknown";
      }
      if (!(value instanceof String s)) {
        return null;
      }
      for (String name : NAMES) {
        if (name.equalsIgnoreCase(s)) {
          return name;
        }
      }
      return null;
    }
  }
}
