package io.herald.ingress;

import static io.herald.ingress.MessageFields.MAX_MESSAGE_LENGTH;
import static io.herald.ingress.MessageFields.checkMaxLength;
import static io.herald.ingress.MessageFields.optionalObject;
import static io.herald.ingress.MessageFields.optionalString;
import static io.herald.ingress.MessageFields.parseId;
import static io.herald.ingress.MessageFields.parsePriority;
import static io.herald.ingress.MessageFields.parseTimestamp;

import io.herald.model.Action;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.model.Priority;
import io.herald.model.Target;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The alert format of NATS messages and HTTP API bodies: content either NATS-style (a {@code payload} object
 * with {@code triggered_value}, {@code threshold}, {@code chain}, ...) or as {@link Notification#toJson()}
 * writes it ({@code message}, {@code details}, {@code actions}, ...). The target is decided by the caller.
 */
final class AlertFormat {

  /** Longest accepted {@code alert_id}, in characters: 128. */
  static final int MAX_ALERT_ID_LENGTH = 128;

  /** Most entries in {@code actions}: 10. */
  static final int MAX_ACTIONS = 10;

  /** Payload keys the NATS mapping renames or interprets; every other payload key is copied as is. */
  private static final Set<String> MAPPED_PAYLOAD_KEYS =
      Set.of("triggered_value", "threshold", "chain", "wallet", "transaction_hash", "block_number");

  private final BlockExplorers explorers;

  AlertFormat(BlockExplorers explorers) {
    this.explorers = explorers;
  }

  /** Maps a message of this format for the given target. */
  Notification toNotification(JsonObject msg, Target target) {
    String id = parseId(msg);
    String alertId = optionalString(msg, "alert_id", "alert_id");
    if (alertId != null) {
      checkMaxLength(alertId, MAX_ALERT_ID_LENGTH, "alert_id");
    }
    String alertName = optionalString(msg, "alert_name", "alert_name");
    if (alertName != null) {
      // It becomes the message when there is no other, so it is held to the message's limit.
      checkMaxLength(alertName, MAX_MESSAGE_LENGTH, "alert_name");
    }
    String kind = optionalString(msg, "notification_type", "notification_type");
    Priority priority = msg.getValue("priority") == null ? Priority.MEDIUM : parsePriority(msg.getValue("priority"), "priority");
    String ownMessage = optionalString(msg, "message", "message");
    if (ownMessage != null) {
      checkMaxLength(ownMessage, MAX_MESSAGE_LENGTH, "message");
    }
    JsonObject ownDetails = optionalObject(msg, "details");
    JsonObject payload = optionalObject(msg, "payload");
    Instant timestamp = parseTimestamp(msg.getValue("timestamp"), "timestamp");
    List<Action> ownActions = parseActions(msg);
    JsonObject original = optionalObject(msg, "original");

    JsonObject details;
    String message;
    if (payload != null) {
      details = payloadDetails(payload);
      if (ownDetails != null) {
        // Both given: keep the derived keys, add whatever else the sender put in details.
        for (Map.Entry<String, Object> e : ownDetails) {
          if (!details.containsKey(e.getKey())) {
            details.put(e.getKey(), e.getValue());
          }
        }
      }
      Object triggered = payload.getValue("triggered_value");
      Object threshold = payload.getValue("threshold");
      if (ownMessage != null) {
        message = ownMessage;
      } else if (triggered != null && threshold != null) {
        message = "Alert triggered: " + render(triggered) + " exceeded " + render(threshold);
        checkMaxLength(message, MAX_MESSAGE_LENGTH, "message (from payload.triggered_value and payload.threshold)");
      } else {
        message = alertName == null ? "" : alertName;
      }
    } else {
      details = ownDetails == null ? new JsonObject() : ownDetails;
      message = ownMessage != null ? ownMessage : (alertName == null ? "" : alertName);
    }

    List<Action> actions;
    if (ownActions != null) {
      actions = ownActions;
    } else if (alertId != null && !alertId.isEmpty()) {
      String segment = PathSegment.encode(alertId);
      actions = List.of(
          new Action("View Transaction", "/alerts/" + segment + "/transactions"),
          new Action("Adjust Alert", "/alerts/" + segment + "/edit"));
    } else {
      actions = List.of();
    }

    return Notification.builder()
        .id(id)
        .target(target)
        .alertId(alertId)
        .alertName(alertName)
        .kind(kind)
        .priority(priority)
        .message(message)
        .handOverDetails(details)
        .timestamp(timestamp)
        .actions(actions)
        .handOverOriginal(original)
        .build();
  }

  /** The details of a NATS payload: the mapped keys first, then every other payload key as is. */
  private JsonObject payloadDetails(JsonObject payload) {
    JsonObject details = new JsonObject();
    putIfPresent(details, "current_value", payload.getValue("triggered_value"));
    putIfPresent(details, "threshold", payload.getValue("threshold"));
    Object chain = payload.getValue("chain");
    putIfPresent(details, "chain", chain);
    putIfPresent(details, "wallet", payload.getValue("wallet"));
    Object hash = payload.getValue("transaction_hash");
    putIfPresent(details, "transaction_hash", hash);
    if (chain instanceof String c && hash instanceof String h && !h.isEmpty()) {
      putIfPresent(details, "transaction_url", explorers.transactionUrl(c, h));
    }
    putIfPresent(details, "block_number", payload.getValue("block_number"));
    for (Map.Entry<String, Object> e : payload) {
      if (!MAPPED_PAYLOAD_KEYS.contains(e.getKey()) && !details.containsKey(e.getKey())) {
        details.put(e.getKey(), payload.getValue(e.getKey()));
      }
    }
    return details;
  }

  private static void putIfPresent(JsonObject json, String key, Object value) {
    if (value != null) {
      json.put(key, value);
    }
  }

  /** A payload value as text: strings verbatim, numbers and booleans unquoted, objects and arrays as JSON. */
  private static String render(Object value) {
    if (value instanceof JsonObject o) {
      return o.encode();
    }
    if (value instanceof JsonArray a) {
      return a.encode();
    }
    if (value instanceof BigDecimal d) {
      return d.toPlainString();
    }
    return String.valueOf(value);
  }

  private static List<Action> parseActions(JsonObject msg) {
    Object value = msg.getValue("actions");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw new InvalidNotificationException("actions: must be an array");
    }
    if (array.size() > MAX_ACTIONS) {
      throw new InvalidNotificationException("actions: more than " + MAX_ACTIONS + " entries");
    }
    List<Action> actions = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String field = "actions[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject action)) {
        throw new InvalidNotificationException(field + ": must be an object with label and url");
      }
      if (!(action.getValue("label") instanceof String label)) {
        throw new InvalidNotificationException(field + ".label: must be a string");
      }
      if (!(action.getValue("url") instanceof String url)) {
        throw new InvalidNotificationException(field + ".url: must be a string");
      }
      actions.add(new Action(label, url));
    }
    return actions;
  }
}
