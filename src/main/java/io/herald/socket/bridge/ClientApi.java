package io.herald.socket.bridge;

import io.herald.protocol.ProtocolLimits;
import io.herald.config.AccessOptions;
import io.herald.model.Addresses;
import io.herald.model.Ids;
import io.herald.runtime.NodeInfo;
import io.herald.protocol.ErrorCode;
import io.herald.protocol.ServerFrames;
import io.herald.session.ClientRequests;
import io.herald.session.ReplayReader;
import io.herald.session.TopicPolicy;
import io.herald.session.Session;
import io.herald.session.SessionLifecycle;
import io.herald.session.StreamAccess;
import io.herald.session.StreamPositions;
import io.herald.state.Replay;
import io.herald.state.State;
import io.herald.state.StoredNotification;
import io.herald.state.StreamKey;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client API of the bridge: node-local consumers of the {@code herald.client.*} addresses, answering with the
 * objects of the matching {@code /ws} frames, or failing with 400 ({@code invalid}) or 503
 * ({@code unavailable}).
 *
 * <p>The user is always the socket's: Herald's bridge hook replaces every client header by its own
 * ({@link #headersFor}), and the API reads the session those name, never a user in the body. Each socket verticle
 * registers these consumers, and the event bus hands a request to any of them: one that does not own the session
 * forwards the request to the owner's private address, where the session's state lives.
 */
final class ClientApi {

  static final String HEADER_TENANT = "herald-tenant";
  static final String HEADER_USER = "herald-user";
  static final String HEADER_CONNECTION = "herald-connection";
  static final String HEADER_OWNER = "herald-owner";
  static final String HEADER_API = "herald-api";

  static final int INVALID = 400;
  /** A resume while another of the socket is being read (the failure code of {@code rate_limited}). */
  static final int RATE_LIMITED = 429;
  static final int UNAVAILABLE = 503;

  private final Vertx vertx;
  private final AccessOptions access;
  private final NodeInfo node;
  private final State state;
  private final SessionLifecycle sessions;
  private final String ownerAddress;

  ClientApi(Vertx vertx, AccessOptions access, NodeInfo node, State state, SessionLifecycle sessions, String ownerAddress) {
    this.vertx = vertx;
    this.access = access;
    this.node = node;
    this.state = state;
    this.sessions = sessions;
    this.ownerAddress = ownerAddress;
  }

  /** Registers the consumers (node-local: a request never leaves the node whose bridge forwarded it). */
  Future<Void> register() {
    List<Future<Void>> registrations = new ArrayList<>();
    for (String api : BridgeAddresses.CLIENT_API) {
      registrations.add(vertx.eventBus().localConsumer(api, message -> route(api, message)).completion());
    }
    registrations.add(vertx.eventBus().localConsumer(ownerAddress,
        message -> route(message.headers().get(HEADER_API), message)).completion());
    return Future.all(registrations).mapEmpty();
  }

  /** The headers Herald's hook puts on a client's SEND instead of the client's own. */
  JsonObject headersFor(Session s) {
    return new JsonObject()
        .put(HEADER_TENANT, s.user().tenant())
        .put(HEADER_USER, s.user().userId())
        .put(HEADER_CONNECTION, s.id())
        .put(HEADER_OWNER, ownerAddress);
  }

  private void route(String api, Message<Object> message) {
    String connection = message.headers().get(HEADER_CONNECTION);
    Session s = connection == null ? null : sessions.get(connection);
    if (s != null && s.transport() instanceof BridgeTransport) {
      if (!s.closing() && s.authenticated()) {
        handle(api, s, message);
      } else {
        message.fail(UNAVAILABLE, ErrorCode.UNAVAILABLE.wireName());
      }
      return;
    }
    String owner = message.headers().get(HEADER_OWNER);
    if (owner == null || owner.equals(ownerAddress) || !BridgeAddresses.isClientApi(api)) {
      // The session has gone (or the request did not come from a bridge socket).
      message.fail(UNAVAILABLE, ErrorCode.UNAVAILABLE.wireName());
      return;
    }
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(message.headers()).set(HEADER_API, api);
    vertx.eventBus().request(owner, message.body(), new DeliveryOptions().setHeaders(headers).setLocalOnly(true))
        .onSuccess(reply -> message.reply(reply.body()))
        .onFailure(e -> {
          if (e instanceof ReplyException re && re.failureCode() > 0) {
            message.fail(re.failureCode(), re.getMessage());
          } else {
            message.fail(UNAVAILABLE, ErrorCode.UNAVAILABLE.wireName());
          }
        });
  }

  private void handle(String api, Session s, Message<Object> message) {
    Object body = message.body();
    if (body != null && !(body instanceof JsonObject)) {
      message.fail(INVALID, ErrorCode.INVALID.wireName());
      return;
    }
    JsonObject request = body == null ? new JsonObject() : (JsonObject) body;
    try {
      switch (api) {
        case BridgeAddresses.PING -> message.reply(ServerFrames.pong());
        case BridgeAddresses.STATUS -> status(s, message);
        case BridgeAddresses.UNREAD -> unread(s, request, message);
        case BridgeAddresses.MARK_READ -> markRead(s, request, message);
        case BridgeAddresses.SUBSCRIBE -> subscribe(s, request, message);
        case BridgeAddresses.RESUME -> resume(s, request, message);
        default -> message.fail(INVALID, ErrorCode.INVALID.wireName());
      }
    } catch (IllegalArgumentException e) {
      message.fail(INVALID, ErrorCode.INVALID.wireName());
    }
  }

  private void status(Session s, Message<Object> message) {
    JsonObject status = ServerFrames.status(s.id(), s.user().userId(), s.user().tenant(), BridgeTransport.DEVICE, node.nodeId(),
            s.connectedAt(), s.filters(), s.topics(), s.messagesSent())
        .put("addresses", new JsonObject()
            .put("user", Addresses.user(s.user().tenant(), s.user().userId()))
            .put("broadcast", Addresses.broadcast(s.user().tenant())));
    state.history().current(StreamKey.user(s.user().tenant(), s.user().userId())).onComplete(current -> {
      if (current.succeeded()) {
        status.put("epoch", current.result().epoch()).put("offset", current.result().offset());
      } else {
        // As in Authenticated: without the history store the position is left out.
        node.metrics().stateFailure("history");
      }
      message.reply(status);
    });
  }

  private void unread(Session s, JsonObject request, Message<Object> message) {
    int limit = ClientRequests.unreadLimit(request);
    state.inbox().unread(s.user().tenant(), s.user().userId(), limit)
        .onSuccess(inbox -> message.reply(ServerFrames.unread(inbox)))
        .onFailure(e -> {
          node.metrics().stateFailure("inbox");
          message.fail(UNAVAILABLE, ErrorCode.UNAVAILABLE.wireName());
        });
  }

  private void markRead(Session s, JsonObject request, Message<Object> message) {
    String notificationId = ClientRequests.notificationId(request);
    ClientRequests.markRead(vertx, state, s, notificationId)
        .onSuccess(changed -> message.reply(new JsonObject().put("type", "MarkedRead").put("notification_id", notificationId)))
        .onFailure(e -> {
          node.metrics().stateFailure("inbox");
          message.fail(UNAVAILABLE, ErrorCode.UNAVAILABLE.wireName());
        });
  }

  /** Like {@code /ws} Subscribe: the whole request is validated before anything changes; filters, when present, replace. */
  private void subscribe(Session s, JsonObject request, Message<Object> message) {
    List<String> requested = ClientRequests.topics(request);
    s.filters(ClientRequests.filters(request, s.filters()));
    JsonArray accepted = new JsonArray();
    JsonArray refused = new JsonArray();
    JsonObject addresses = new JsonObject();
    for (String topic : requested) {
      boolean room = s.topics().contains(topic) || s.topics().size() < ProtocolLimits.MAX_TOPICS_PER_CONNECTION;
      if (Ids.isValidTopic(topic) && room && TopicPolicy.allows(access, s.user(), topic)) {
        s.topics().add(topic);
        accepted.add(topic);
        addresses.put(topic, Addresses.topic(s.user().tenant(), topic));
      } else {
        refused.add(topic);
      }
    }
    message.reply(new JsonObject().put("type", "Subscribed")
        .put("topics", accepted)
        .put("all_topics", new JsonArray(new ArrayList<>(s.topics())))
        .put("filters", s.filters().toJson())
        .put("addresses", addresses)
        .put("refused", refused));
  }

  /**
   * The same replay as {@code /ws} Resume, returned in the reply: for the user stream (its position at the top level,
   * or {@code streams.user}) and each broadcast or topic stream of {@code streams} the socket may read (a topic its
   * subscribe request granted, still permitted; refused ones are listed in {@code refused}, as subscribe lists them),
   * the notifications after the position, oldest first per stream, through the socket's filters. Top level: the user
   * stream's {@code recovered}, {@code epoch}, {@code offset} when it was asked for; {@code missed} counts the
   * notifications returned; {@code streams} answers per stream. The client registers the addresses first, holds what
   * they deliver meanwhile and de-duplicates by stream position.
   */
  private void resume(Session s, JsonObject request, Message<Object> message) {
    StreamPositions positions = StreamPositions.fromMessage(request);
    if (positions.isEmpty()) {
      throw new IllegalArgumentException("resume needs a position: epoch and last_offset, or streams");
    }
    if (!s.resumeStarted()) {
      node.metrics().rateLimited();
      message.fail(RATE_LIMITED, ErrorCode.RATE_LIMITED.wireName());
      return;
    }
    StreamAccess.Plan plan = StreamAccess.plan(access, s, positions.others(), false);
    Future<Replay> user = positions.user() == null ? null
        : ReplayReader.read(state.history(), StreamKey.user(s.user().tenant(), s.user().userId()), positions.user());
    List<Future<Replay>> reads = new ArrayList<>();
    for (StreamAccess.StreamRequest stream : plan.readable()) {
      reads.add(ReplayReader.read(state.history(), stream.key(), stream.position()));
    }
    List<Future<?>> all = new ArrayList<>(reads);
    if (user != null) {
      all.add(user);
    }
    Future.join(all).onComplete(ignored -> {
      s.resumeAnswered();
      if (user != null && user.failed() || reads.stream().anyMatch(Future::failed)) {
        node.metrics().stateFailure("history");
      }
      if (user != null && user.failed() && plan.readable().isEmpty()) {
        message.fail(UNAVAILABLE, ErrorCode.UNAVAILABLE.wireName());
        return;
      }
      JsonArray notifications = new JsonArray();
      JsonObject resumed = new JsonObject().put("type", "Resumed");
      if (user != null && user.succeeded()) {
        Replay replay = user.result();
        addFiltered(s, replay, notifications);
        resumed.put("recovered", replay.recovered())
            .put("epoch", replay.current().epoch())
            .put("offset", replay.current().offset());
      } else if (user != null) {
        resumed.put("recovered", false);
      }
      Map<String, AsyncResult<Replay>> byName = new LinkedHashMap<>();
      for (int i = 0; i < reads.size(); i++) {
        byName.put(plan.readable().get(i).name(), reads.get(i));
        if (reads.get(i).succeeded()) {
          addFiltered(s, reads.get(i).result(), notifications);
        }
      }
      resumed.put("missed", notifications.size()).put("notifications", notifications);
      if (positions.inField()) {
        JsonArray refused = new JsonArray();
        plan.invalid().forEach(refused::add);
        plan.forbidden().forEach(topic -> refused.add(StreamPositions.TOPIC_PREFIX + topic));
        resumed.put("streams", StreamAccess.results(user, plan, byName)).put("refused", refused);
      }
      message.reply(resumed);
    });
  }

  /** Adds the replay's notifications the socket's filters accept, positioned, oldest first. */
  private static void addFiltered(Session s, Replay replay, JsonArray notifications) {
    for (StoredNotification missed : replay.missed()) {
      if (s.filters().accepts(missed.notification())) {
        notifications.add(missed.notification()
            .withPosition(missed.position().epoch(), missed.position().offset()).toFrame());
      }
    }
  }
}
