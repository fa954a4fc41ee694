package io.herald.protocol;

import io.herald.model.Filters;
import io.herald.state.Inbox;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;

/**
 * Server frames whose shape {@code /ws} and the event-bus bridge share (README "WebSocket protocol"): the bridge's
 * client API answers with the same objects as the matching {@code /ws} frames.
 */
public final class ServerFrames {

  private ServerFrames() {
  }

  /** {@code {"type":"Pong","timestamp":"<now, ISO-8601>"}}. */
  public static JsonObject pong() {
    return new JsonObject().put("type", "Pong").put("timestamp", Instant.now().toString());
  }

  /** The {@code Status} frame of one connection. */
  public static JsonObject status(String connectionId, String userId, String tenant, String device, String nodeId,
                                  Instant connectedAt, Filters filters, Collection<String> topics, long messagesSent) {
    return new JsonObject()
        .put("type", "Status")
        .put("connection_id", connectionId)
        .put("user_id", userId)
        .put("tenant", tenant)
        .put("device", device)
        .put("node_id", nodeId)
        .put("connected_at", connectedAt.toString())
        .put("filters", filters.toJson())
        .put("topics", new JsonArray(new ArrayList<>(topics)))
        .put("messages_sent", messagesSent);
  }

  /** {@code {"type":"Unread","count":N,"notifications":[...]}}, newest first. */
  public static JsonObject unread(Inbox inbox) {
    JsonArray notifications = new JsonArray();
    inbox.latest().forEach(n -> notifications.add(n.notification().toFrame()));
    return new JsonObject().put("type", "Unread").put("count", inbox.unreadCount()).put("notifications", notifications);
  }

  /** {@code {"type":"NotificationUpdated","notification_id":"...","read":true}}: sent to every connection of the user. */
  public static JsonObject notificationRead(String notificationId) {
    return new JsonObject().put("type", "NotificationUpdated").put("notification_id", notificationId).put("read", true);
  }
}
