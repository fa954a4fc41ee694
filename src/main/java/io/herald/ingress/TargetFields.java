package io.herald.ingress;

import io.herald.model.Ids;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Target;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The fields of an ingress message that say whom it is for: {@code tenant_id} and one of {@code user_id} /
 * {@code user_ids}, {@code topic} or {@code broadcast: true}.
 */
final class TargetFields {

  /** Most distinct users one message may target ({@code user_id} and {@code user_ids} together): 1000. */
  static final int MAX_USER_IDS = 1000;

  private TargetFields() {
  }

  static InvalidNotificationException noTarget() {
    return new InvalidNotificationException("no target: one of user_id, user_ids, topic, broadcast required");
  }

  /** The target the message's own fields name; empty when it names none; invalid when it names two kinds. */
  static Optional<Target> parseTarget(JsonObject msg, String tenant) {
    Object userIdValue = msg.getValue("user_id");
    Object userIdsValue = msg.getValue("user_ids");
    Object topicValue = msg.getValue("topic");
    Object broadcastValue = msg.getValue("broadcast");

    if (broadcastValue != null && !(broadcastValue instanceof Boolean)) {
      throw new InvalidNotificationException("broadcast: must be a boolean");
    }
    boolean users = userIdValue != null || userIdsValue != null;
    boolean topic = topicValue != null;
    boolean broadcast = Boolean.TRUE.equals(broadcastValue);
    int kinds = (users ? 1 : 0) + (topic ? 1 : 0) + (broadcast ? 1 : 0);
    if (kinds > 1) {
      throw new InvalidNotificationException("target: only one of user_id/user_ids, topic, broadcast allowed");
    }
    if (users && userIdsValue == null) {
      // One user, the common case: no set to deduplicate, no list copied twice.
      return Optional.of(new Target.Users(tenant, List.of(checkUserId(userIdValue, "user_id"))));
    }
    if (users) {
      Set<String> ids = new LinkedHashSet<>();
      if (userIdValue != null) {
        ids.add(checkUserId(userIdValue, "user_id"));
      }
      if (userIdsValue != null) {
        if (!(userIdsValue instanceof JsonArray array)) {
          throw new InvalidNotificationException("user_ids: must be an array of strings");
        }
        if (array.isEmpty()) {
          throw new InvalidNotificationException("user_ids: must not be empty");
        }
        if (array.size() > MAX_USER_IDS) {
          throw new InvalidNotificationException("user_ids: more than " + MAX_USER_IDS + " entries");
        }
        for (int i = 0; i < array.size(); i++) {
          ids.add(checkUserId(array.getValue(i), "user_ids[" + i + "]"));
        }
      }
      if (ids.size() > MAX_USER_IDS) {
        throw new InvalidNotificationException("user_ids: more than " + MAX_USER_IDS + " entries");
      }
      return Optional.of(new Target.Users(tenant, new ArrayList<>(ids)));
    }
    if (topic) {
      if (!(topicValue instanceof String t)) {
        throw new InvalidNotificationException("topic: must be a string");
      }
      checkIdShape(t, "topic");
      if (!Ids.isValidTopic(t)) {
        throw new InvalidNotificationException("topic: invalid characters");
      }
      return Optional.of(new Target.Topic(tenant, t));
    }
    if (broadcast) {
      return Optional.of(new Target.Broadcast(tenant));
    }
    return Optional.empty();
  }

  /** The message's {@code tenant_id}; the default tenant when absent or empty. */
  static String tenantOf(JsonObject msg) {
    Object value = msg.getValue("tenant_id");
    if (value == null) {
      return Ids.DEFAULT_TENANT;
    }
    if (!(value instanceof String tenant)) {
      throw new InvalidNotificationException("tenant_id: must be a string");
    }
    if (tenant.isEmpty()) {
      return Ids.DEFAULT_TENANT;
    }
    if (tenant.length() > Ids.MAX_TENANT_LENGTH) {
      throw new InvalidNotificationException("tenant_id: longer than " + Ids.MAX_TENANT_LENGTH + " characters");
    }
    if (!Ids.isValidTenant(tenant)) {
      throw new InvalidNotificationException("tenant_id: invalid characters");
    }
    return tenant;
  }

  private static String checkUserId(Object value, String field) {
    if (!(value instanceof String id)) {
      throw new InvalidNotificationException(field + ": must be a string");
    }
    checkIdShape(id, field);
    if (!Ids.isValidUserId(id)) {
      throw new InvalidNotificationException(field + ": invalid characters");
    }
    return id;
  }

  private static void checkIdShape(String id, String field) {
    if (id.isEmpty()) {
      throw new InvalidNotificationException(field + ": must not be empty");
    }
    if (id.length() > Ids.MAX_ID_LENGTH) {
      throw new InvalidNotificationException(field + ": longer than " + Ids.MAX_ID_LENGTH + " characters");
    }
  }
}
