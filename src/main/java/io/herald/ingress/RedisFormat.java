package io.herald.ingress;

import static io.herald.ingress.MessageFields.MAX_MESSAGE_LENGTH;
import static io.herald.ingress.MessageFields.checkMaxLength;
import static io.herald.ingress.MessageFields.optionalObject;
import static io.herald.ingress.MessageFields.optionalString;
import static io.herald.ingress.MessageFields.parseId;
import static io.herald.ingress.MessageFields.parsePriority;
import static io.herald.ingress.MessageFields.parseTimestamp;

import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.model.Priority;
import io.herald.model.Target;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The Redis notification format, {@code {"id","userId","type","payload","readAt","createdAt"}}: the message
 * text and priority come from the payload, or else from the type.
 */
final class RedisFormat {

  private RedisFormat() {
  }

  /** Whether the message is in this format rather than the NATS one: a string {@code type} and no NATS type or alert id. */
  static boolean matches(JsonObject msg) {
    return msg.getValue("type") instanceof String
        && msg.getValue("notification_type") == null
        && msg.getValue("alert_id") == null;
  }

  /** Maps a message of this format for the target its channel names. */
  static Notification toNotification(Target target, JsonObject msg) {
    if (target instanceof Target.Users u) {
      Object userId = msg.getValue("userId");
      if (userId != null && !u.userIds().get(0).equals(userId)) {
        throw new InvalidNotificationException("userId: does not match the channel");
      }
    }
    String type = msg.getString("type");
    JsonObject payload = optionalObject(msg, "payload");
    payload = payload == null ? new JsonObject() : payload;

    String message = optionalString(payload, "message", "payload.message");
    if (message != null) {
      checkMaxLength(message, MAX_MESSAGE_LENGTH, "payload.message");
    } else {
      message = defaultMessage(type);
    }
    Priority priority = payload.getValue("priority") == null
        ? ("SYSTEM".equals(type) ? Priority.HIGH : Priority.MEDIUM)
        : parsePriority(payload.getValue("priority"), "payload.priority");

    return Notification.builder()
        .id(parseId(msg))
        .target(target)
        .kind(type)
        .priority(priority)
        .message(message)
        .handOverDetails(payload)
        .timestamp(parseTimestamp(msg.getValue("createdAt"), "createdAt"))
        .actions(List.of())
        .handOverOriginal(msg)
        .build();
  }

  private static String defaultMessage(String type) {
    switch (type) {
      case "TIP":
        return "You received a tip";
      case "SUB":
        return "You have a new subscriber";
      case "FOLLOW":
        return "You have a new follower";
      case "SYSTEM":
        return "System notification";
      default:
        return "New notification";
    }
  }
}
