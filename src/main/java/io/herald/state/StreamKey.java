package io.herald.state;

import io.herald.model.Ids;

/**
 * Identifies one history stream: a user's, a topic's or a tenant's broadcast stream. Each has its own
 * positions ({@link Position}).
 *
 * <p>Redis keys ({@code <p>} is the key prefix, {@code websocket} by default; {@code <u>} is the user key, the user
 * id in the default tenant and {@code <tenant>/<user id>} in any other, which no user id can forge since ids
 * cannot contain '/'):
 * user stream {@code <p>:history:<u>}, topic stream {@code <p>:topic-history:<tenant>:<topic>}, broadcast stream
 * {@code <p>:broadcast-history:<tenant>}.
 */
public record StreamKey(Kind kind, String tenant, String name) {

  public enum Kind { USER, TOPIC, BROADCAST }

  public static StreamKey user(String tenant, String userId) {
    return new StreamKey(Kind.USER, tenant, userId);
  }

  public static StreamKey topic(String tenant, String topic) {
    return new StreamKey(Kind.TOPIC, tenant, topic);
  }

  public static StreamKey broadcast(String tenant) {
    return new StreamKey(Kind.BROADCAST, tenant, null);
  }

  /** The user part of per-user keys: the id itself in the default tenant, {@code tenant/id} otherwise. */
  public static String userKey(String tenant, String userId) {
    return Ids.DEFAULT_TENANT.equals(tenant) ? userId : tenant + "/" + userId;
  }

  /**
   * The Redis key of this stream's id index, which makes appends idempotent: a ZSET of the retained entries'
   * notification ids scored by their offsets ({@code <p>:history-ids:<u>}, {@code <p>:topic-history-ids:<tenant>:<topic>},
   * {@code <p>:broadcast-history-ids:<tenant>}).
   */
  public String idsRedisKey(String prefix) {
    switch (kind) {
      case USER:
        return prefix + ":history-ids:" + userKey(tenant, name);
      case TOPIC:
        return prefix + ":topic-history-ids:" + tenant + ":" + name;
      default:
        return prefix + ":broadcast-history-ids:" + tenant;
    }
  }

  /** The Redis key of this stream's history. */
  public String redisKey(String prefix) {
    switch (kind) {
      case USER:
        return prefix + ":history:" + userKey(tenant, name);
      case TOPIC:
        return prefix + ":topic-history:" + tenant + ":" + name;
      default:
        return prefix + ":broadcast-history:" + tenant;
    }
  }
}
