package io.herald.session;

import io.herald.protocol.ProtocolLimits;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A client's positions in its streams, sent with {@code Authenticate} or {@code Resume} ({@code /ws}) and
 * {@code herald.client.resume} (bridge): the user stream's ({@code epoch} and {@code last_offset} at the top level, the
 * original form, or {@code streams.user}), and those of the tenant's broadcast stream ({@code streams.broadcast}) and
 * of topic streams ({@code streams["topic:<name>"]}), each {@code {"epoch":"...","offset":N}}. Parsed only: whether
 * the client may read a stream is decided by the transport, as it decides a Subscribe.
 *
 * @param user    the user stream's position; null when the client gave none
 * @param others  the broadcast and topic streams' positions by stream name, in the order given; topic names unchecked;
 *                a null position ({@code {}} on the wire) asks for no replay, only the stream's current position (a
 *                client that has received nothing of the stream learns where it stands)
 * @param inField whether the message had {@code streams} (its answer then says per stream how each went; a client of
 *                the original user-only form gets the original answer)
 */
public record StreamPositions(ResumePosition user, Map<String, ResumePosition> others, boolean inField) {

  /** The name of the user stream in {@code streams}. */
  public static final String USER = "user";
  /** The name of the tenant's broadcast stream in {@code streams}. */
  public static final String BROADCAST = "broadcast";
  /** The prefix of a topic stream's name in {@code streams}: {@code topic:alerts}. */
  public static final String TOPIC_PREFIX = "topic:";
  /**
   * Most streams one message may name = {@value}: the user's, the broadcast's, and as many topics as a connection may
   * hold ({@link ProtocolLimits#MAX_TOPICS_PER_CONNECTION}).
   */
  public static final int MAX_STREAMS = ProtocolLimits.MAX_TOPICS_PER_CONNECTION + 2;

  /** No position at all. */
  public static final StreamPositions NONE = new StreamPositions(null, Map.of(), false);

  /** Whether the client gave no position. */
  public boolean isEmpty() {
    return user == null && others.isEmpty();
  }

  /** The topic of a topic stream's name; null for the user and broadcast streams and unknown names. */
  public static String topicOf(String streamName) {
    return streamName.startsWith(TOPIC_PREFIX) ? streamName.substring(TOPIC_PREFIX.length()) : null;
  }

  /**
   * The positions a message gives: its top-level {@code epoch}/{@code last_offset} (the user stream) and its
   * {@code streams} object. Throws {@link IllegalArgumentException} naming what is wrong: a malformed position, an
   * unknown stream name, more than {@link #MAX_STREAMS} streams, or the user stream given both ways.
   */
  public static StreamPositions fromMessage(JsonObject message) {
    ResumePosition user = null;
    if (message.containsKey("epoch") || message.containsKey("last_offset")) {
      user = ResumePosition.fromMessage(message);
      if (user == null) {
        throw new IllegalArgumentException("epoch must be a string and last_offset a non-negative integer");
      }
    }
    Object streams = message.getValue("streams");
    if (streams == null) {
      return user == null ? NONE : new StreamPositions(user, Map.of(), false);
    }
    if (!(streams instanceof JsonObject positions)) {
      throw new IllegalArgumentException("streams must be an object of stream name to {epoch, offset}");
    }
    if (positions.size() > MAX_STREAMS) {
      throw new IllegalArgumentException("more than " + MAX_STREAMS + " streams");
    }
    Map<String, ResumePosition> others = new LinkedHashMap<>();
    for (Map.Entry<String, Object> entry : positions) {
      String name = entry.getKey();
      boolean fromNow = entry.getValue() instanceof JsonObject p && p.isEmpty() && !USER.equals(name);
      ResumePosition position = entry.getValue() instanceof JsonObject p ? fromStream(p) : null;
      if (position == null && !fromNow) {
        throw new IllegalArgumentException("streams." + cut(name)
            + " must be {\"epoch\": string, \"offset\": non-negative integer}"
            + (USER.equals(name) ? "" : " or {} (from now)"));
      }
      if (USER.equals(name)) {
        if (user != null) {
          throw new IllegalArgumentException("the user stream's position is given twice (epoch/last_offset and streams.user)");
        }
        user = position;
      } else if (BROADCAST.equals(name) || name.startsWith(TOPIC_PREFIX)) {
        others.put(name, position);
      } else {
        throw new IllegalArgumentException("unknown stream '" + cut(name)
            + "' (user, broadcast or topic:<name>)");
      }
    }
    return new StreamPositions(user, Collections.unmodifiableMap(others), true);
  }

  /** One stream's {@code {"epoch","offset"}} ({@code last_offset} also read); null when malformed. */
  private static ResumePosition fromStream(JsonObject position) {
    Object offset = position.containsKey("offset") ? position.getValue("offset") : position.getValue("last_offset");
    return ResumePosition.fromMessage(new JsonObject().put("epoch", position.getValue("epoch")).put("last_offset", offset));
  }

  /** Client-supplied text in an error message, cut as the protocol's other refusals cut it (32 characters). */
  private static String cut(String text) {
    return text.length() <= 32 ? text : text.substring(0, 32) + "...";
  }
}
