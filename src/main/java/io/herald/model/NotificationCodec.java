package io.herald.model;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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

  @Override
  public Notification decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return decode(new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length)));
  }

  /** Rebuilds a notification from {@link Notification#canonicalJsonBytes()}. */
  public static Notification decode(byte[] canonicalJson) {
    return decode(new JsonObject(Buffer.buffer(canonicalJson)));
  }

  /** Rebuilds a notification from {@link Notification#toJson()}; the input was validated at its ingress. */
  public static Notification decode(JsonObject json) {
    String tenant = json.getString("tenant_id");
    Target target;
    if (json.containsKey("user_ids")) {
      List<String> users = new ArrayList<>();
      json.getJsonArray("user_ids").forEach(u -> users.add((String) u));
      target = new Target.Users(tenant, users);
    } else if (json.containsKey("topic")) {
      target = new Target.Topic(tenant, json.getString("topic"));
    } else {
      target = new Target.Broadcast(tenant);
    }
    List<Action> actions = new ArrayList<>();
    JsonArray actionArray = json.getJsonArray("actions", new JsonArray());
    for (int i = 0; i < actionArray.size(); i++) {
      JsonObject a = actionArray.getJsonObject(i);
      actions.add(new Action(a.getString("label"), a.getString("url")));
    }
    return Notification.builder()
        .id(json.getString("id"))
        .target(target)
        .alertId(json.getString("alert_id"))
        .alertName(json.getString("alert_name"))
        .kind(json.getString("notification_type"))
        .priority(Priority.parse(json.getString("priority")).orElse(Priority.MEDIUM))
        .message(json.getString("message"))
        .details(json.getJsonObject("details"))
        .timestamp(Instant.parse(json.getString("timestamp")))
        .actions(actions)
        .original(json.getJsonObject("original"))
        .position(json.getString("epoch"), json.getLong("offset", 0L))
        .build();
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
