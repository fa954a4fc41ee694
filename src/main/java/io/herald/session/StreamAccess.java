package io.herald.session;

import io.herald.config.AccessOptions;
import io.herald.model.Addresses;
import io.herald.model.Ids;
import io.herald.protocol.ProtocolLimits;
import io.herald.protocol.ErrorCode;
import io.herald.state.Replay;
import io.herald.state.StreamKey;
import io.vertx.core.AsyncResult;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of the broadcast and topic streams a client names in {@code streams} its session may be replayed, the same on
 * {@code /ws} and on the bridge: always the tenant's broadcast stream; a topic stream only under the rules of a
 * Subscribe (a valid name, granted by {@link TopicPolicy}, within {@link ProtocolLimits#MAX_TOPICS_PER_CONNECTION}), and
 * only one the session has joined — or, at authentication ({@code joining}), one it joins there and then. Every stream
 * is the session's own tenant's: a client names a topic, never a tenant.
 */
public final class StreamAccess {

  /**
   * One stream to replay: its name in {@code streams}, its history stream, its event-bus address, the position (null:
   * none, only the stream's current position is read).
   */
  public record StreamRequest(String name, StreamKey key, String address, ResumePosition position) {
  }

  /**
   * The outcome of {@link #plan}.
   *
   * @param readable      the streams to replay, in the order named
   * @param joining       topics to join before the replay (authentication only), already counted in {@code readable}
   * @param invalid       topic stream names whose topic is not a valid topic name
   * @param forbidden     topics the session may not join (refused as a Subscribe refuses them)
   * @param notSubscribed topics allowed but not joined (a Resume while connected replays only joined topics)
   * @param overLimit     topics beyond {@link ProtocolLimits#MAX_TOPICS_PER_CONNECTION}
   * @param rateLimited   topics to join that the topic change budget refused (all of them, as for a Subscribe)
   */
  public record Plan(List<StreamRequest> readable, Set<String> joining, List<String> invalid, List<String> forbidden,
                     List<String> notSubscribed, List<String> overLimit, List<String> rateLimited) {
  }

  private StreamAccess() {
  }

  /**
   * Sorts the broadcast and topic streams the client named ({@link StreamPositions#others}) into those the session may
   * be replayed and the refusals. With {@code joining}, allowed topics the session has not joined are to be joined
   * ({@link Plan#joining}), drawing from the session's topic change budget as a Subscribe does (refused whole when
   * over it); without it they are refused as not subscribed.
   */
  public static Plan plan(AccessOptions access, Session s, Map<String, ResumePosition> requested, boolean joining) {
    String tenant = s.user.tenant();
    List<StreamRequest> readable = new ArrayList<>();
    Set<String> toJoin = new LinkedHashSet<>();
    List<String> invalid = new ArrayList<>();
    List<String> forbidden = new ArrayList<>();
    List<String> notSubscribed = new ArrayList<>();
    List<String> overLimit = new ArrayList<>();
    for (Map.Entry<String, ResumePosition> entry : requested.entrySet()) {
      String name = entry.getKey();
      if (StreamPositions.BROADCAST.equals(name)) {
        readable.add(new StreamRequest(name, StreamKey.broadcast(tenant), Addresses.broadcast(tenant), entry.getValue()));
        continue;
      }
      String topic = StreamPositions.topicOf(name);
      if (!Ids.isValidTopic(topic)) {
        invalid.add(name);
      } else if (!TopicPolicy.allows(access, s.user, topic)) {
        forbidden.add(topic);
      } else if (!s.topics.contains(topic) && !joining) {
        notSubscribed.add(topic);
      } else if (!s.topics.contains(topic)
          && s.topics.size() + toJoin.size() >= ProtocolLimits.MAX_TOPICS_PER_CONNECTION) {
        overLimit.add(topic);
      } else {
        if (!s.topics.contains(topic)) {
          toJoin.add(topic);
        }
        readable.add(new StreamRequest(name, StreamKey.topic(tenant, topic), Addresses.topic(tenant, topic),
            entry.getValue()));
      }
    }
    List<String> rateLimited = new ArrayList<>();
    if (!toJoin.isEmpty() && s.topicBudget.take(toJoin.size(), System.nanoTime()) != TopicBudget.Outcome.ALLOWED) {
      rateLimited.addAll(toJoin);
      readable.removeIf(stream -> toJoin.contains(StreamPositions.topicOf(stream.name())));
      toJoin.clear();
    }
    return new Plan(readable, toJoin, invalid, forbidden, notSubscribed, overLimit, rateLimited);
  }

  /**
   * The per-stream answer of Authenticated, Resumed and {@code herald.client.resume}: for each stream named, by name,
   * {@code {"recovered","epoch","offset","missed"}} (the stream's current position, and how many notifications after
   * the client's position history held, before filters), {@code {"recovered":false,"error":"unavailable"}} when the
   * history store could not answer, or {@code {"recovered":false,"error":<why>}} for a refused stream
   * ({@code invalid}, {@code forbidden}, {@code not_subscribed}, {@code invalid} over the topic limit,
   * {@code rate_limited}). {@code user} is the user stream's replay, null when the client gave no position of it.
   */
  public static JsonObject results(AsyncResult<Replay> user, Plan plan, Map<String, AsyncResult<Replay>> read) {
    JsonObject results = new JsonObject();
    if (user != null) {
      results.put(StreamPositions.USER, result(user));
    }
    for (StreamRequest stream : plan.readable()) {
      results.put(stream.name(), result(read.get(stream.name())));
    }
    plan.invalid().forEach(name -> results.put(name, refused(ErrorCode.INVALID)));
    plan.forbidden().forEach(topic -> results.put(StreamPositions.TOPIC_PREFIX + topic, refused(ErrorCode.FORBIDDEN)));
    plan.notSubscribed().forEach(topic -> results.put(StreamPositions.TOPIC_PREFIX + topic,
        refused(ErrorCode.NOT_SUBSCRIBED)));
    plan.overLimit().forEach(topic -> results.put(StreamPositions.TOPIC_PREFIX + topic, refused(ErrorCode.INVALID)));
    plan.rateLimited().forEach(topic -> results.put(StreamPositions.TOPIC_PREFIX + topic, refused(ErrorCode.RATE_LIMITED)));
    return results;
  }

  private static JsonObject result(AsyncResult<Replay> read) {
    if (read == null || read.failed()) {
      return refused(ErrorCode.UNAVAILABLE);
    }
    Replay replay = read.result();
    return new JsonObject().put("recovered", replay.recovered()).put("epoch", replay.current().epoch())
        .put("offset", replay.current().offset()).put("missed", replay.missed().size());
  }

  private static JsonObject refused(ErrorCode why) {
    return new JsonObject().put("recovered", false).put("error", why.wireName());
  }
}
