package io.herald.model;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Event-bus codec of {@link Notification}. Locally the immutable instance itself travels (no copy, its
 * frame already serialised once); across nodes its canonical JSON does.
 */
public final class NotificationCodec implements MessageCodec<Notification, Notification> {

  public static final String NAME = "herald-notification";

  @Override
  public void encodeToWire(Buffer buffer, Notification notification) {
    byte[] json = NotificationJson.canonicalBytes(notification);
    buffer.appendInt(json.length).appendBytes(json);
  }

  /**
   * Rebuilds a notification another node encoded ({@link #encodeToWire}: a length, then the canonical form).
   *
   * @throws InvalidNotificationException when the length does not fit the buffer or the bytes are not the canonical form
   */
  @Override
  public Notification decodeFromWire(int pos, Buffer buffer) {
    if (pos < 0 || buffer.length() - pos < 4) {
      throw new InvalidNotificationException("canonical notification: no length on the wire");
    }
    int length = buffer.getInt(pos);
    if (length < 0 || length > buffer.length() - pos - 4) {
      throw new InvalidNotificationException("canonical notification: length beyond the buffer");
    }
    JsonObject json;
    try {
      json = new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length));
    } catch (RuntimeException e) {
      throw new InvalidNotificationException("canonical notification: not a JSON object");
    }
    return decode(json);
  }

  /**
   * Rebuilds a notification from {@link Notification#canonicalJsonBytes()}.
   *
   * @throws InvalidNotificationException when the bytes are not one JSON object in the canonical form
   */
  public static Notification decode(byte[] canonicalJson) {
    JsonObject json;
    try {
      json = new JsonObject(Buffer.buffer(canonicalJson));
    } catch (RuntimeException e) {
      throw new InvalidNotificationException("canonical notification: not a JSON object");
    }
    return decode(json);
  }

  /**
   * Rebuilds a notification from {@link Notification#toJson()}. The input was validated at its ingress, but it comes
   * back from Redis or another node, so it is checked again as far as it decides where the notification goes: the
   * tenant, user ids and topic must be valid identifiers ({@link Ids}), so no stored or forwarded form can name an
   * address its ingress would have refused.
   *
   * @throws InvalidNotificationException when a field is missing, of the wrong type or invalid
   */
  public static Notification decode(JsonObject json) {
    if (json == null) {
      throw new InvalidNotificationException("canonical notification: not a JSON object");
    }
    // One level more than an ingress message: the canonical form may hold that whole message as its "original".
    JsonLimits.check(json, JsonLimits.MAX_DEPTH + 1, "canonical notification");
    String tenant = text(json, "tenant_id");
    if (!Ids.isValidTenant(tenant)) {
      throw new InvalidNotificationException("canonical notification: invalid tenant_id");
    }
    Target target;
    if (json.containsKey("user_ids")) {
      if (!(json.getValue("user_ids") instanceof JsonArray userArray) || userArray.isEmpty()) {
        throw new InvalidNotificationException("canonical notification: user_ids must be a non-empty array");
      }
      List<String> users = new ArrayList<>(userArray.size());
      for (Object u : userArray) {
        if (!(u instanceof String user) || !Ids.isValidUserId(user)) {
          throw new InvalidNotificationException("canonical notification: invalid user id");
        }
        users.add(user);
      }
      target = new Target.Users(tenant, users);
    } else if (json.containsKey("topic")) {
      String topic = text(json, "topic");
      if (!Ids.isValidTopic(topic)) {
        throw new InvalidNotificationException("canonical notification: invalid topic");
      }
      target = new Target.Topic(tenant, topic);
    } else {
      target = new Target.Broadcast(tenant);
    }
    String id = text(json, "id");
    if (id == null || id.isEmpty()) {
      throw new InvalidNotificationException("canonical notification: id missing");
    }
    Object actionsValue = json.getValue("actions");
    if (actionsValue != null && !(actionsValue instanceof JsonArray)) {
      throw new InvalidNotificationException("canonical notification: actions must be an array");
    }
    List<Action> actions = new ArrayList<>();
    if (actionsValue instanceof JsonArray actionArray) {
      for (Object item : actionArray) {
        if (!(item instanceof JsonObject a) || !(a.getValue("label") instanceof String label)
            || !(a.getValue("url") instanceof String url)) {
          throw new InvalidNotificationException("canonical notification: an action needs a string label and url");
        }
        actions.add(new Action(label, url));
      }
    }
    String timestamp = text(json, "timestamp");
    Instant at;
    try {
      at = Instant.parse(timestamp == null ? "" : timestamp);
    } catch (DateTimeException e) {
      throw new InvalidNotificationException("canonical notification: timestamp is not an ISO-8601 instant");
    }
    Object offset = json.getValue("offset");
    if (offset != null && !(offset instanceof Integer || offset instanceof Long)) {
      throw new InvalidNotificationException("canonical notification: offset must be an integer");
    }
    return Notification.builder()
        .id(id)
        .target(target)
        .alertId(text(json, "alert_id"))
        .alertName(text(json, "alert_name"))
        .kind(text(json, "notification_type"))
        .priority(Priority.parse(text(json, "priority")).orElse(Priority.MEDIUM))
        .message(text(json, "message"))
        .details(object(json, "details"))
        .timestamp(at)
        .actions(actions)
        .original(object(json, "original"))
        .position(text(json, "epoch"), offset == null ? 0L : ((Number) offset).longValue())
        .build();
  }

  /** The string at {@code key}, or null when absent; refused when it is another type. */
  private static String text(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value != null && !(value instanceof String)) {
      throw new InvalidNotificationException("canonical notification: " + key + " must be a string");
    }
    return (String) value;
  }

  /** The object at {@code key}, or null when absent; refused when it is another type. */
  private static JsonObject object(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value != null && !(value instanceof JsonObject)) {
      throw new InvalidNotificationException("canonical notification: " + key + " must be an object");
    }
    return (JsonObject) value;
  }

  @Override
  public Notification transform(Notification notification) {
    return notification;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
