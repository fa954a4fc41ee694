package io.herald.session;

import io.herald.model.Addresses;
import io.herald.model.Filters;
import io.herald.model.Ids;
import io.herald.protocol.ProtocolLimits;
import io.herald.protocol.ServerFrames;
import io.herald.state.State;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of the requests both transports take ({@code /ws} messages, the bridge's client API), read and
 * checked the same way: an invalid one throws {@link IllegalArgumentException} with the reason ({@code /ws} answers it
 * as an {@code invalid} Error, the bridge fails the request with 400). Also the one mark-read step both share.
 */
public final class ClientRequests {

  /** Unread notifications returned when a request names no limit. */
  public static final int DEFAULT_UNREAD_LIMIT = 10;

  private ClientRequests() {
  }

  /** The request's {@code topics}: an array of at most {@link ProtocolLimits#MAX_TOPICS_PER_CONNECTION} strings. */
  public static List<String> topics(JsonObject request) {
    Object value = request.getValue("topics");
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
      if (!(item instanceof String topic)) {
        throw new IllegalArgumentException("topics must be an array of strings");
      }
      topics.add(topic);
    }
    return topics;
  }

  /** The request's {@code filters} when it has the key (null: none), else {@code current}. */
  public static Filters filters(JsonObject request, Filters current) {
    if (!request.containsKey("filters")) {
      return current;
    }
    Object value = request.getValue("filters");
    if (value != null && !(value instanceof JsonObject)) {
      throw new IllegalArgumentException("filters must be an object");
    }
    return Filters.fromJson((JsonObject) value);
  }

  /** The request's {@code limit} of unread notifications, 1 to {@link ProtocolLimits#MAX_UNREAD_LIMIT}. */
  public static int unreadLimit(JsonObject request) {
    Object value = request.getValue("limit", DEFAULT_UNREAD_LIMIT);
    if (!(value instanceof Integer limit) || limit < 1 || limit > ProtocolLimits.MAX_UNREAD_LIMIT) {
      throw new IllegalArgumentException("limit must be an integer from 1 to " + ProtocolLimits.MAX_UNREAD_LIMIT);
    }
    return limit;
  }

  /** The request's {@code notification_id}, a non-empty string of at most {@link Ids#MAX_ID_LENGTH} characters. */
  public static String notificationId(JsonObject request) {
    Object id = request.getValue("notification_id");
    if (!(id instanceof String notificationId) || notificationId.isEmpty() || notificationId.length() > Ids.MAX_ID_LENGTH) {
      throw new IllegalArgumentException("MarkRead needs a string 'notification_id'");
    }
    return notificationId;
  }

  /**
   * Marks the notification read in the user's inbox; when it was unread, every session of the user, on either
   * transport and on every node, gets NotificationUpdated. Completes with whether it was unread.
   */
  public static Future<Boolean> markRead(Vertx vertx, State state, Session s, String notificationId) {
    return state.inbox().markRead(s.user.tenant(), s.user.userId(), notificationId).onSuccess(changed -> {
      if (changed) {
        vertx.eventBus().publish(Addresses.user(s.user.tenant(), s.user.userId()), ServerFrames.notificationRead(notificationId));
      }
    });
  }
}
