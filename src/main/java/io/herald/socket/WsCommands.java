package io.herald.socket;

import io.herald.auth.AuthenticatedUser;
import io.herald.auth.Authenticator;
import io.herald.auth.Tokens;
import io.herald.config.AccessOptions;
import io.herald.model.Addresses;
import io.herald.model.Filters;
import io.herald.model.Ids;
import io.herald.protocol.CloseCode;
import io.herald.protocol.ErrorCode;
import io.herald.protocol.ProtocolLimits;
import io.herald.protocol.ServerFrames;
import io.herald.runtime.NodeInfo;
import io.herald.session.BoundedWriter;
import io.herald.session.ClientRequests;
import io.herald.session.ReplayCoordinator;
import io.herald.session.ResumePosition;
import io.herald.session.Session;
import io.herald.session.SessionCore;
import io.herald.session.StreamAccess;
import io.herald.session.StreamPositions;
import io.herald.session.TopicPolicy;
import io.herald.state.Replay;
import io.herald.state.State;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /ws} protocol's client messages (Authenticate, Subscribe, Unsubscribe, Ping, Refresh, GetStatus, Resume,
 * GetUnread, MarkRead) and the frames that answer them, over the session core. A message whose arguments are invalid
 * throws {@link IllegalArgumentException}, answered with an {@code invalid} Error by {@link WsInbound}.
 */
final class WsCommands {

  private static final Logger log = LoggerFactory.getLogger(WsCommands.class);

  private final Vertx vertx;
  private final AccessOptions access;
  private final NodeInfo node;
  private final State state;
  private final Authenticator authenticator;
  private final SessionCore core;
  private final BoundedWriter writer;

  WsCommands(Vertx vertx, AccessOptions access, NodeInfo node, State state, Authenticator authenticator, SessionCore core) {
    this.vertx = vertx;
    this.access = access;
    this.node = node;
    this.state = state;
    this.authenticator = authenticator;
    this.core = core;
    this.writer = core.writer();
  }

  /** Handles one client message whose type is known; the session is not closing. */
  void handle(Session s, ClientMessageType type, String typeName, JsonObject message) {
    if (type == ClientMessageType.AUTHENTICATE) {
      onAuthenticate(s, message);
      return;
    }
    if (!s.authenticated()) {
      sendError(s, ErrorCode.NOT_AUTHENTICATED, "authenticate first");
      closeIfUnauthenticated(s);
      return;
    }
    switch (type) {
      case SUBSCRIBE -> onSubscribe(s, message);
      case UNSUBSCRIBE -> onUnsubscribe(s, message);
      case PING -> writer.write(s, ServerFrames.pong().encode());
      case REFRESH -> onRefresh(s, message);
      case GET_STATUS -> writer.write(s, ServerFrames.status(s.id(), s.user().userId(), s.user().tenant(), s.device(),
          node.nodeId(), s.connectedAt(), s.filters(), s.topics(), s.messagesSent()).encode());
      case RESUME -> onResume(s, message);
      case GET_UNREAD -> onGetUnread(s, message);
      case MARK_READ -> onMarkRead(s, message);
      default -> sendError(s, ErrorCode.UNKNOWN_TYPE, "unknown message type '" + ClientMessages.truncate(typeName) + "'");
    }
  }

  void sendError(Session s, ErrorCode code, String message) {
    writer.sendError(s, code, message);
  }

  /** Closes a session that has not (started to) authenticate: its first mistake ends it. */
  void closeIfUnauthenticated(Session s) {
    if (!s.authenticated() && !s.authenticating()) {
      core.lifecycle().close(s, CloseCode.AUTH_MISSING, null, null);
    }
  }

  private void refuseAuthenticate(Session s, String why) {
    sendError(s, ErrorCode.INVALID, why);
    core.lifecycle().close(s, CloseCode.AUTH_MISSING, null, null);
  }

  private void onAuthenticate(Session s, JsonObject message) {
    if (s.authenticated() || s.authenticating()) {
      sendError(s, ErrorCode.ALREADY_AUTHENTICATED, "already authenticated; use Refresh to replace the token");
      return;
    }
    Object token = message.getValue("token");
    if (!(token instanceof String tokenText) || tokenText.isBlank()) {
      refuseAuthenticate(s, "Authenticate needs a string 'token'");
      return;
    }
    String device = Device.normalise(message.getValue("device"));
    if (device == null) {
      refuseAuthenticate(s, "device must be one of " + Device.NAMES);
      return;
    }
    StreamPositions positions;
    Filters filters;
    try {
      positions = StreamPositions.fromMessage(message);
      filters = ClientRequests.filters(message, Filters.NONE);
    } catch (IllegalArgumentException e) {
      refuseAuthenticate(s, e.getMessage());
      return;
    }
    authenticate(s, tokenText, device, positions, filters);
  }

  /**
   * Authenticates and admits, then starts the session's streams: the user's, its tenant's broadcast, the default
   * topics and the topics whose streams the client gave positions of (joined as a Subscribe would join them) are
   * joined, the replays (the user stream from the client's position, else from the baseline; each other stream from
   * its position) are read, and Authenticated is written first, then the replays (through {@code filters}, which the
   * session keeps, as a Subscribe's), then the Errors of refused streams. Further frames wait until then, so that a
   * Subscribe sent right after the upgrade is handled as an authenticated message.
   */
  void authenticate(Session s, String token, String device, StreamPositions positions, Filters filters) {
    s.transport().pause();
    core.lifecycle().authenticate(s, token, device).onSuccess(done -> {
      AuthenticatedUser user = done.user();
      s.filters(filters);
      List<String> addresses = new ArrayList<>();
      addresses.add(Addresses.user(user.tenant(), user.userId()));
      addresses.add(Addresses.broadcast(user.tenant()));
      for (String topic : access.getDefaultTopics()) {
        if (s.topics().add(topic)) {
          addresses.add(Addresses.topic(user.tenant(), topic));
        }
      }
      StreamAccess.Plan plan = StreamAccess.plan(access, s, positions.others(), true);
      for (String topic : plan.joining()) {
        s.topics().add(topic);
        addresses.add(Addresses.topic(user.tenant(), topic));
      }
      ResumePosition resume = positions.user();
      ResumePosition from = resume != null ? resume
          : done.baseline() != null ? new ResumePosition(done.baseline().epoch(), done.baseline().offset()) : null;
      core.replay().start(s, addresses, from, resume != null, plan.readable(),
              outcome -> authenticatedFrame(s, device, positions, plan, outcome))
          .onSuccess(started -> sendRefusals(s, plan));
    });
  }

  private byte[] authenticatedFrame(Session s, String device, StreamPositions positions, StreamAccess.Plan plan,
                                    ReplayCoordinator.Outcome outcome) {
    AuthenticatedUser user = s.user();
    AsyncResult<Replay> replay = outcome.user();
    ResumePosition resume = positions.user();
    JsonObject authenticated = new JsonObject()
        .put("type", "Authenticated")
        .put("connection_id", s.id())
        .put("user_id", user.userId())
        .put("device", device)
        .put("tenant", user.tenant())
        .put("node_id", node.nodeId())
        .put("topics", new JsonArray(new ArrayList<>(s.topics())))
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
    if (positions.inField()) {
      authenticated.put("streams", StreamAccess.results(resume == null ? null : replay, plan, outcome.streams()));
    }
    return authenticated.encode().getBytes(StandardCharsets.UTF_8);
  }

  private void onResume(Session s, JsonObject message) {
    StreamPositions positions = StreamPositions.fromMessage(message);
    if (positions.isEmpty()) {
      throw new IllegalArgumentException("Resume needs a string 'epoch' and a non-negative integer 'last_offset', "
          + "or 'streams'");
    }
    StreamAccess.Plan plan = StreamAccess.plan(access, s, positions.others(), false);
    boolean started = core.replay().resume(s, positions.user(), plan.readable(), outcome -> {
      // Written first, whether the reads completed at once or later: the Errors of refused streams precede Resumed.
      sendRefusals(s, plan);
      JsonObject resumed = new JsonObject().put("type", "Resumed");
      AsyncResult<Replay> replay = outcome.user();
      if (replay != null && replay.succeeded()) {
        resumed.put("recovered", replay.result().recovered())
            .put("epoch", replay.result().current().epoch())
            .put("offset", replay.result().current().offset())
            .put("missed", replay.result().missed().size());
      } else if (replay != null) {
        resumed.put("recovered", false).put("error", "history unavailable");
      }
      if (positions.inField()) {
        resumed.put("streams", StreamAccess.results(replay, plan, outcome.streams()));
      }
      return resumed.encode().getBytes(StandardCharsets.UTF_8);
    });
    if (!started) {
      sendError(s, ErrorCode.RATE_LIMITED, "a Resume is already in progress on this connection; nothing was replayed");
    }
  }

  /**
   * The Errors of the topic streams a Resume or Authenticate named but may not read: one per kind, as a Subscribe
   * answers the topics it refuses (a stream not subscribed is only marked in the per-stream answer).
   */
  private void sendRefusals(Session s, StreamAccess.Plan plan) {
    if (s.closing()) {
      return;
    }
    if (!plan.invalid().isEmpty()) {
      sendError(s, ErrorCode.INVALID, "invalid stream name " + topicsForMessage(plan.invalid()));
    }
    if (!plan.forbidden().isEmpty()) {
      sendError(s, ErrorCode.FORBIDDEN, "topic " + topicsForMessage(plan.forbidden()) + " is not allowed");
    }
    if (!plan.overLimit().isEmpty()) {
      sendError(s, ErrorCode.INVALID, "more than " + ProtocolLimits.MAX_TOPICS_PER_CONNECTION + " topics");
    }
    if (!plan.rateLimited().isEmpty()) {
      node.metrics().rateLimited();
      sendError(s, ErrorCode.RATE_LIMITED, "more topics to join than the topic change budget allows; "
          + topicsForMessage(plan.rateLimited()) + " not joined");
    }
  }

  private void onGetUnread(Session s, JsonObject message) {
    int limit = ClientRequests.unreadLimit(message);
    state.inbox().unread(s.user().tenant(), s.user().userId(), limit).onComplete(result -> {
      if (result.failed()) {
        node.metrics().stateFailure("inbox");
        sendError(s, ErrorCode.UNAVAILABLE, "unread notifications unavailable");
        return;
      }
      writer.write(s, ServerFrames.unread(result.result()).encode());
    });
  }

  private void onMarkRead(Session s, JsonObject message) {
    String notificationId = ClientRequests.notificationId(message);
    ClientRequests.markRead(vertx, state, s, notificationId).onComplete(result -> {
      if (result.failed()) {
        node.metrics().stateFailure("inbox");
        sendError(s, ErrorCode.UNAVAILABLE, "could not mark the notification read");
      } else if (!result.result()) {
        // Already read: only this connection is answered (an unread one's NotificationUpdated reaches every device).
        writer.write(s, ServerFrames.notificationRead(notificationId).encode());
      }
    });
  }

  private void onSubscribe(Session s, JsonObject message) {
    // Validate the whole message before changing anything: a Subscribe refused as invalid leaves the filters as they were.
    List<String> requested = ClientRequests.topics(message);
    Filters filters = ClientRequests.filters(message, s.filters());
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
      } else if (!TopicPolicy.allows(access, s.user(), topic)) {
        forbidden.add(topic);
      } else if (s.topics().contains(topic) || joining.contains(topic)) {
        added.add(topic);
      } else if (s.topics().size() + joining.size() >= ProtocolLimits.MAX_TOPICS_PER_CONNECTION) {
        overLimit = true;
      } else {
        joining.add(topic);
        added.add(topic);
      }
    }
    if (!core.lifecycle().admitTopicChanges(s, joining.size())) {
      return;
    }
    s.filters(filters);
    List<Future<Void>> registrations = new ArrayList<>();
    for (String topic : joining) {
      registrations.add(core.addresses().joinTopic(s, topic));
    }
    if (!invalid.isEmpty()) {
      sendError(s, ErrorCode.INVALID, "invalid topic name " + topicsForMessage(invalid));
    }
    if (!forbidden.isEmpty()) {
      sendError(s, ErrorCode.FORBIDDEN, "topic " + topicsForMessage(forbidden) + " is not allowed");
    }
    if (overLimit) {
      sendError(s, ErrorCode.INVALID, "more than " + ProtocolLimits.MAX_TOPICS_PER_CONNECTION + " topics");
    }
    // Subscribed is the client's signal that the topics deliver: it is written once every registration is effective,
    // with the socket paused meanwhile so that later frames are answered after it, in order.
    s.transport().pause();
    Future.join(registrations).onComplete(done -> {
      if (done.failed()) {
        log.warn("connection {}: consumer registration failed: {}", s.id(), done.cause().getMessage());
      }
      if (!s.closing()) {
        writer.write(s, new JsonObject().put("type", "Subscribed")
            .put("topics", new JsonArray(added))
            .put("all_topics", new JsonArray(new ArrayList<>(s.topics())))
            .put("filters", s.filters().toJson()).encode());
        s.transport().resume();
      }
    });
  }

  private void onUnsubscribe(Session s, JsonObject message) {
    List<String> requested = ClientRequests.topics(message);
    if (!core.lifecycle().admitTopicChanges(s, (int) requested.stream().distinct().filter(s.topics()::contains).count())) {
      return;
    }
    List<String> removed = new ArrayList<>();
    for (String topic : requested) {
      if (core.addresses().leaveTopic(s, topic)) {
        removed.add(topic);
      }
    }
    writer.write(s, new JsonObject().put("type", "Unsubscribed")
        .put("topics", new JsonArray(removed))
        .put("all_topics", new JsonArray(new ArrayList<>(s.topics()))).encode());
  }

  private void onRefresh(Session s, JsonObject message) {
    Object token = message.getValue("token");
    if (!(token instanceof String tokenText) || tokenText.isBlank()) {
      throw new IllegalArgumentException("Refresh needs a string 'token'");
    }
    authenticator.authenticate(tokenText).onComplete(result -> {
      if (s.closing()) {
        return;
      }
      if (result.failed()) {
        log.info("refresh refused for connection {} (token {}): {}", s.id(), Tokens.hint(tokenText), result.cause().getMessage());
        sendError(s, ErrorCode.TOKEN_INVALID, "refresh token invalid or expired");
        return;
      }
      AuthenticatedUser fresh = result.result();
      if (!fresh.userId().equals(s.user().userId()) || !fresh.tenant().equals(s.user().tenant())) {
        sendError(s, ErrorCode.FORBIDDEN, "refresh token is for another user");
        return;
      }
      List<String> revoked = core.lifecycle().renew(s, fresh, tokenText);
      writer.write(s, new JsonObject().put("type", "Refreshed")
          .put("expires_at", fresh.expiresAt() == null ? null : fresh.expiresAt().toString())
          .put("revoked_topics", new JsonArray(revoked))
          .put("all_topics", new JsonArray(new ArrayList<>(s.topics()))).encode());
    });
  }

  /** The first few topics of a refusal, quoted and truncated, and how many there were in all. */
  private static String topicsForMessage(List<String> topics) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < Math.min(topics.size(), 3); i++) {
      out.append(i == 0 ? "" : ", ").append('\'').append(ClientMessages.truncate(topics.get(i))).append('\'');
    }
    if (topics.size() > 3) {
      out.append(" and ").append(topics.size() - 3).append(" more");
    }
    return out.toString();
  }
}
