package io.herald.session;

import io.herald.auth.Authenticator;
import io.herald.config.HeraldOptions;
import io.herald.model.Addresses;
import io.herald.model.Ids;
import io.herald.model.Notification;
import io.herald.model.NotificationCodec;
import io.herald.model.Priority;
import io.herald.model.Target;
import io.herald.runtime.Metrics;
import io.herald.runtime.NodeInfo;
import io.herald.state.AppendResult;
import io.herald.state.Position;
import io.herald.state.State;
import io.herald.state.StateStores;
import io.herald.state.StreamKey;
import io.herald.testkit.Await;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A {@link SessionCore} with no socket and no node: a plain Vert.x, the in-memory state stores (the history one
 * {@link GatedHistoryStore gated}), an {@link Authenticator} over an HS256 secret, and an {@link Admission} that asks a
 * real {@link ConnectionRegistry} on its own verticle. Sessions are opened on {@link TestTransport}s. The
 * core is single-threaded on its event loop: every call into it goes through {@link #onLoop}.
 */
final class SessionFixture implements AutoCloseable {

  static final String SECRET = "session-core-test-secret-0123456789abcdef";
  static final String TENANT = Ids.DEFAULT_TENANT;
  /** Longest a test waits for anything that happens at once. */
  static final Duration WAIT = Duration.ofSeconds(5);

  /** A session and the transport it writes to. */
  record Client(Session session, TestTransport transport) {
  }

  final Vertx vertx;
  final HeraldOptions options;
  final NodeInfo node;
  final GatedHistoryStore history;
  final State state;
  final ConnectionRegistry registry;
  final Admission admission;
  final SessionCore core;
  private final Context loop;
  private final JWTAuth issuer;

  private SessionFixture(Vertx vertx, HeraldOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.node = new NodeInfo(options.server().getNodeId(), Instant.now(), new Metrics());
    State memory = StateStores.forOptions(options.state()).create(vertx);
    this.history = new GatedHistoryStore(memory.history());
    this.state = new State(memory.sessions(), history, memory.inbox(), memory.metrics(), memory.release());
    this.registry = new ConnectionRegistry(options.limits(), options.api());
    this.admission = new Admission(vertx, node, registry, state.sessions(), options.limits().getMaxConnectionsPerUser());
    this.core = new SessionCore(vertx, options, node, state, new Authenticator(vertx, options.auth(), null, options.state().getRedisKeyPrefix()), admission);
    this.loop = vertx.getOrCreateContext();
    this.issuer = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET)));
  }

  /**
   * Starts a core with the default options but an HS256 secret, no expired close delay and no InitialState, then
   * {@code tune}'s changes: a test shortens the timeout it is about (auth, slow-client grace) to 1 s, and the others
   * stay long enough never to fire during a test.
   */
  static SessionFixture start(Consumer<HeraldOptions> tune) {
    HeraldOptions options = new HeraldOptions()
        .server(server -> server.setNodeId("core-test-" + UUID.randomUUID().toString().substring(0, 8)))
        .auth(auth -> auth.setJwtSecret(SECRET).setExpiredCloseDelaySecs(0))
        .state(state -> state.setInitialState(false));
    tune.accept(options);
    options.validate();
    Vertx vertx = Vertx.vertx();
    vertx.eventBus().registerDefaultCodec(Notification.class, new NotificationCodec());
    SessionFixture fixture = new SessionFixture(vertx, options);
    Await.result(vertx.deployVerticle(new ConnectionRegistryVerticle(fixture.registry, fixture.node)), WAIT, "registry deployed");
    return fixture;
  }

  /** Runs {@code action} on the core's event loop and returns its result. */
  <T> T onLoop(Supplier<T> action) {
    CompletableFuture<T> done = new CompletableFuture<>();
    loop.runOnContext(v -> {
      try {
        done.complete(action.get());
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    return get(done, "a call on the event loop");
  }

  /**
   * Runs {@code first} on the core's event loop, then {@code then} as the loop's next task after what {@code first}
   * queued (the local deliveries of what it published): no round trip to the test thread between them, so no timer of
   * the core can fire in between. Returns what {@code then} returns.
   */
  <T> T onLoopThen(Runnable first, Supplier<T> then) {
    return onLoopAwait(() -> {
      first.run();
      Promise<T> result = Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> {
        try {
          result.complete(then.get());
        } catch (Throwable e) {
          result.fail(e);
        }
      });
      return result.future();
    });
  }

  /** Runs {@code action} on the core's event loop; returns at once a future of the future it returns. */
  <T> CompletableFuture<T> onLoopAsync(Supplier<Future<T>> action) {
    CompletableFuture<T> done = new CompletableFuture<>();
    loop.runOnContext(v -> {
      try {
        action.get().onComplete(result -> {
          if (result.succeeded()) {
            done.complete(result.result());
          } else {
            done.completeExceptionally(result.cause());
          }
        });
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    return done;
  }

  /** Runs {@code action} on the core's event loop and waits for the future it returns. */
  <T> T onLoopAwait(Supplier<Future<T>> action) {
    return get(onLoopAsync(action), "a future of the event loop");
  }

  /** Waits (bounded) for a future completed on the event loop. */
  static <T> T get(CompletableFuture<T> future, String what) {
    try {
      return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("timed out waiting for " + what);
    } catch (ExecutionException e) {
      throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for " + what, e);
    }
  }

  /** Opens a session as an upgrade does: the unauthenticated slot first, then the core's session on the transport. */
  Client open() {
    TestTransport transport = new TestTransport();
    Session s = onLoopAwait(() -> {
      Admission.Ticket ticket = new Admission.Ticket();
      return admission.admitUnauthenticated(ticket, "127.0.0.1")
          .map(v -> core.lifecycle().open(transport, ticket, "127.0.0.1", "core-test"));
    });
    return new Client(s, transport);
  }

  /** Opens a session and authenticates it as {@code userId} (a token valid for an hour); returns once started. */
  Client connect(String userId) {
    Client client = open();
    get(authenticate(client, token(userId), null), "authentication of " + userId);
    return client;
  }

  /**
   * Authenticates, admits and starts the session as {@code /ws} does: joins the user's and the broadcast address,
   * replays from {@code resume} (null: from the baseline), writes {@code {"type":"Authenticated"}} first.
   */
  CompletableFuture<Void> authenticate(Client client, String token, ResumePosition resume) {
    Session s = client.session();
    return onLoopAsync(() -> core.lifecycle().authenticate(s, token, "Test").compose(done -> {
      ResumePosition from = resume != null ? resume
          : done.baseline() != null ? new ResumePosition(done.baseline().epoch(), done.baseline().offset()) : null;
      List<String> addresses = List.of(Addresses.user(TENANT, done.user().userId()), Addresses.broadcast(TENANT));
      return core.replay().start(s, addresses, from, resume != null,
          replay -> new JsonObject().put("type", "Authenticated").encode().getBytes(StandardCharsets.UTF_8));
    }));
  }

  /**
   * Authenticates, admits and starts the session as {@code /ws} Authenticate with {@code streams} does: the topics of
   * the topic streams the session may read are joined, the user stream is replayed from {@code positions.user()} (else
   * from the baseline) and every other readable stream from its position; the first message is
   * {@code {"type":"Authenticated","streams":<the per-stream answer>}}. Completes with the plan once started.
   */
  CompletableFuture<StreamAccess.Plan> authenticateStreams(Client client, String token, StreamPositions positions) {
    Session s = client.session();
    return onLoopAsync(() -> core.lifecycle().authenticate(s, token, "Test").compose(done -> {
      ResumePosition from = positions.user() != null ? positions.user()
          : done.baseline() != null ? new ResumePosition(done.baseline().epoch(), done.baseline().offset()) : null;
      List<String> addresses = new ArrayList<>(List.of(Addresses.user(TENANT, done.user().userId()),
          Addresses.broadcast(TENANT)));
      StreamAccess.Plan plan = StreamAccess.plan(options.access(), s, positions.others(), true);
      for (String topic : plan.joining()) {
        s.topics.add(topic);
        addresses.add(Addresses.topic(TENANT, topic));
      }
      return core.replay().start(s, addresses, from, positions.user() != null, plan.readable(),
              outcome -> new JsonObject().put("type", "Authenticated")
                  .put("streams", StreamAccess.results(positions.user() == null ? null : outcome.user(), plan,
                      outcome.streams()))
                  .encode().getBytes(StandardCharsets.UTF_8))
          .map(started -> plan);
    }));
  }

  /** An HS256 token of the user valid for an hour granting the topics ({@code topics} claim). */
  String token(String userId, List<String> topics) {
    return issuer.generateToken(new JsonObject().put("sub", userId).put("topics", new JsonArray(topics))
            .put("exp", Instant.now().plus(Duration.ofHours(1)).getEpochSecond()),
        new JWTOptions().setAlgorithm("HS256"));
  }

  /** A notification to the topic of {@code tenant}, appended to that topic's history stream and positioned there. */
  Notification appendToTopic(String tenant, String topic, String message) {
    Notification n = Notification.builder().id(UUID.randomUUID().toString())
        .target(new Target.Topic(tenant, topic)).message(message).build();
    Position position = Await.result(history.append(StreamKey.topic(tenant, topic), n), WAIT, "append");
    return n.withPosition(position.epoch(), position.offset());
  }

  /** A broadcast notification of the tenant with {@code priority}, appended to its broadcast stream and positioned. */
  Notification appendToBroadcast(String message, Priority priority) {
    Notification n = Notification.builder().id(UUID.randomUUID().toString()).target(new Target.Broadcast(TENANT))
        .priority(priority).message(message).build();
    Position position = Await.result(history.append(StreamKey.broadcast(TENANT), n), WAIT, "append");
    return n.withPosition(position.epoch(), position.offset());
  }

  /** An HS256 token of the user valid for an hour. */
  String token(String userId) {
    return token(userId, Instant.now().plus(Duration.ofHours(1)));
  }

  /** An HS256 token of the user expiring at {@code expiresAt} (JWT expiries are whole seconds). */
  String token(String userId, Instant expiresAt) {
    return issuer.generateToken(new JsonObject().put("sub", userId).put("exp", expiresAt.getEpochSecond()),
        new JWTOptions().setAlgorithm("HS256"));
  }

  /** A notification to the user, appended to its history stream (as the ingress does) and positioned there. */
  Notification appendForUser(String userId, String message) {
    Notification n = Notification.builder().id(UUID.randomUUID().toString())
        .target(new Target.Users(TENANT, List.of(userId))).message(message).build();
    AppendResult appended = Await.result(history.appendForUser(TENANT, userId, n), WAIT, "append");
    return n.withPosition(appended.position().epoch(), appended.position().offset());
  }

  /** A notification appended to the user's history stream only (never to its offline queue), positioned there. */
  Notification appendToHistory(String userId, String message) {
    Notification n = Notification.builder().id(UUID.randomUUID().toString())
        .target(new Target.Users(TENANT, List.of(userId))).message(message).build();
    Position position = Await.result(history.append(StreamKey.user(TENANT, userId), n), WAIT, "append");
    return n.withPosition(position.epoch(), position.offset());
  }

  /** A broadcast notification of the tenant (no position, not sequenced). */
  static Notification broadcast(String message) {
    return Notification.builder().id(UUID.randomUUID().toString()).target(new Target.Broadcast(TENANT))
        .message(message).build();
  }

  /** Publishes the notifications, in order, on the address from the core's event loop. */
  void publish(String address, Notification... notifications) {
    onLoop(() -> {
      publishNow(address, notifications);
      return null;
    });
  }

  /** Publishes the notifications, in order, on the address; call it on the core's event loop. */
  void publishNow(String address, Notification... notifications) {
    for (Notification n : notifications) {
      vertx.eventBus().publish(address, n);
    }
  }

  /**
   * Runs, on the event loop, the handler the core installed for the client's transport becoming writable, as the
   * connection's drain would; the test sets the transport's writability first.
   */
  void fireWritable(Client client) {
    Runnable handler = client.transport().writableHandler();
    if (handler == null) {
      throw new AssertionError("the core installed no writability handler");
    }
    onLoop(() -> {
      handler.run();
      return null;
    });
  }

  /** The node registry's count of admitted connections and users ({@code /health}'s). */
  JsonObject connectionStats() {
    return onLoopAwait(() -> vertx.eventBus().<JsonObject>request(node.connectionStatsAddress(), null)
        .map(reply -> reply.body()));
  }

  /** The node registry's count of connections holding an unauthenticated slot (read after a registry round trip). */
  double unauthenticatedConnections() {
    connectionStats();
    return node.metrics().registry().get("herald_unauthenticated_connections").gauge().value();
  }

  @Override
  public void close() {
    Await.result(vertx.close(), WAIT, "vertx closed");
  }
}
