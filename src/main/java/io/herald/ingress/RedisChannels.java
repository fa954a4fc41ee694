package io.herald.ingress;

import io.herald.model.Ids;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Target;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The Redis pub/sub channels notifications arrive on, and the target each names: {@code <prefix>:user:<id>},
 * {@code <prefix>:channel:<id>} or {@code <prefix>:global}.
 */
final class RedisChannels {

  /** Prefix of the Redis channels when none is configured: {@code notifications}. */
  static final String DEFAULT_PREFIX = "notifications";

  private final String prefix;

  /** @param prefix prefix of the channels; null or empty means {@value #DEFAULT_PREFIX} */
  RedisChannels(String prefix) {
    this.prefix = prefix == null || prefix.isEmpty() ? DEFAULT_PREFIX : prefix;
  }

  String prefix() {
    return prefix;
  }

  /**
   * The id of a message published without one, the same on every node that receives it: {@code r-} and the first 32
   * hex digits of the SHA-256 of the channel and the payload. Two identical messages on one channel are then one
   * notification while the first is among its stream's retained entries: a publisher that repeats a message on
   * purpose gives each its own {@code id}.
   */
  static String derivedId(String channel, byte[] payload) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(channel.getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) '\n');
      sha256.update(payload);
      return "r-" + HexFormat.of().formatHex(sha256.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform provides SHA-256", e);
    }
  }

  /** The target the channel names, in the default tenant; invalid for any other channel or an invalid id. */
  Target target(String channel) {
    if (channel == null) {
      throw new InvalidNotificationException("channel: unknown channel");
    }
    String userPrefix = prefix + ":user:";
    String topicPrefix = prefix + ":channel:";
    if (channel.equals(prefix + ":global")) {
      return new Target.Broadcast(Ids.DEFAULT_TENANT);
    }
    if (channel.startsWith(userPrefix)) {
      String userId = channel.substring(userPrefix.length());
      if (!Ids.isValidUserId(userId)) {
        throw new InvalidNotificationException("channel: invalid user id");
      }
      return new Target.Users(Ids.DEFAULT_TENANT, List.of(userId));
    }
    if (channel.startsWith(topicPrefix)) {
      String topic = channel.substring(topicPrefix.length());
      if (!Ids.isValidTopic(topic)) {
        throw new InvalidNotificationException("channel: invalid channel id");
      }
      return new Target.Topic(Ids.DEFAULT_TENANT, topic);
    }
    throw new InvalidNotificationException("channel: unknown channel");
  }

  /** The same target in another tenant. */
  static Target withTenant(Target target, String tenant) {
    if (target instanceof Target.Users u) {
      return new Target.Users(tenant, u.userIds());
    }
    if (target instanceof Target.Topic t) {
      return new Target.Topic(tenant, t.topic());
    }
    return new Target.Broadcast(tenant);
  }

  /** Names the message field that contradicts the channel target. */
  static String conflictingField(JsonObject msg, Target channelTarget) {
    boolean users = msg.getValue("user_id") != null || msg.getValue("user_ids") != null;
    if (channelTarget instanceof Target.Users) {
      if (msg.getValue("topic") != null) {
        return "topic";
      }
      if (Boolean.TRUE.equals(msg.getValue("broadcast"))) {
        return "broadcast";
      }
      return msg.getValue("user_id") != null ? "user_id" : "user_ids";
    }
    if (users) {
      return msg.getValue("user_id") != null ? "user_id" : "user_ids";
    }
    if (channelTarget instanceof Target.Topic) {
      return Boolean.TRUE.equals(msg.getValue("broadcast")) ? "broadcast" : "topic";
    }
    return "topic";
  }
}
