package io.herald.state;

import io.herald.model.NotificationCodec;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link InboxStore} in Redis, shared by every node of the fleet, each operation one Lua script.
 *
 * <p>Keys ({@code <u>} is {@link StreamKey#userKey}): {@code <prefix>:unread:<u>}, a sorted set of unread
 * notification ids scored by their order in the user's stream, and {@code <prefix>:inbox:<u>}, a hash id → JSON
 * {@code {"epoch", "offset", "n": the notification's canonical JSON}}. Both hold at most {@code inboxSize} entries
 * (the oldest are dropped) and expire together {@code inboxTtlSecs} after the latest notification was added.
 *
 * <p>The score is the notification's offset in its stream. The history restarts at offset 1 under a new epoch
 * when it is lost (its TTL is much shorter than the inbox's), so a notification of another epoch than the newest
 * unread one is scored after it (the newest score plus its offset), and later offsets of that epoch keep the same
 * base: the order stays the order of arrival across resets and the newest are never the ones trimmed.
 */
public final class RedisInboxStore implements InboxStore {

  /** The key prefix existing tools read. */
  public static final String DEFAULT_PREFIX = "websocket";
  /** Most unread notifications kept per user by default. */
  public static final int DEFAULT_INBOX_SIZE = 100;
  /** Default lifetime of an inbox after its latest addition, in seconds (7 days). */
  public static final long DEFAULT_INBOX_TTL_SECS = 604_800;

  /**
   * Lua function {@code addUnread(unread, inbox, id, epoch, offset, entryJson, inboxSize, ttl)} (shared with
   * {@link RedisNotificationRecorder}'s script): a known id changes nothing (returns 0); otherwise the id is scored
   * after the newest unread one's base (see the class comment), added, trimmed, both keys expired (returns 1).
   */
  static final String ADD_UNREAD_FUNCTION = """
      local function addUnread(unread, inbox, id, epoch, offset, entryJson, inboxSize, ttl)
        if redis.call('ZSCORE', unread, id) then return 0 end
        offset = tonumber(offset)
        local score = offset
        local newest = redis.call('ZREVRANGE', unread, 0, 0, 'WITHSCORES')
        if newest[1] then
          local entry = redis.call('HGET', inbox, newest[1])
          if entry then
            -- the newest entry's position from its leading fields, as both writers lay them out (0.3 µs here,
            -- where decoding the whole notification took 2.6 µs); another layout is decoded
            local newestEpoch, newestOffset = string.match(entry, '^{"epoch":"(%w*)","offset":(%d+),')
            if not newestEpoch then
              local newestEntry = cjson.decode(entry)
              newestEpoch, newestOffset = newestEntry.epoch, newestEntry.offset
            end
            local newestScore = tonumber(newest[2])
            if newestEpoch == epoch then
              score = newestScore - tonumber(newestOffset) + offset
            else
              score = newestScore + offset
            end
          end
        end
        redis.call('ZADD', unread, 'NX', score, id)
        redis.call('HSET', inbox, id, entryJson)
        local oldest = redis.call('ZRANGE', unread, 0, -(tonumber(inboxSize) + 1))
        for _, old in ipairs(oldest) do
          redis.call('ZREM', unread, old)
          redis.call('HDEL', inbox, old)
        end
        redis.call('EXPIRE', unread, ttl)
        redis.call('EXPIRE', inbox, ttl)
        return 1
      end
      """;

  /** KEYS: unread zset, inbox hash; ARGV: id, epoch, offset, entry JSON, inbox size, TTL. See {@link #ADD_UNREAD_FUNCTION}. */
  private static final RedisScript ADD_UNREAD = new RedisScript(ADD_UNREAD_FUNCTION
      + "return addUnread(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])\n");

  /** KEYS: unread zset, inbox hash; ARGV: limit. Returns {count, entries of the newest {@code limit}, newest first}. */
  private static final RedisScript UNREAD = new RedisScript(
      "local count = redis.call('ZCARD', KEYS[1])\n"
          + "local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)\n"
          + "if #ids == 0 then return {count, {}} end\n"
          + "return {count, redis.call('HMGET', KEYS[2], unpack(ids))}\n");

  /** KEYS: unread zset, inbox hash; ARGV: id. Returns 1 when the id was unread. */
  private static final RedisScript MARK_READ = new RedisScript(
      "local removed = redis.call('ZREM', KEYS[1], ARGV[1])\n"
          + "redis.call('HDEL', KEYS[2], ARGV[1])\n"
          + "return removed\n");

  private final Redis redis;
  private final String prefix;
  private final int inboxSize;
  private final long inboxTtlSecs;

  /** An inbox store with the default prefix {@code websocket}, 100 notifications per user and a 7-day TTL. */
  public RedisInboxStore(Redis redis) {
    this(redis, DEFAULT_PREFIX, DEFAULT_INBOX_SIZE, DEFAULT_INBOX_TTL_SECS);
  }

  /**
   * @param redis        the client commands are sent with
   * @param prefix       the first part of every key (default {@code websocket})
   * @param inboxSize    most unread notifications kept per user, the oldest dropped beyond it (default 100)
   * @param inboxTtlSecs seconds an inbox lives after its latest addition (default 604800, 7 days)
   */
  public RedisInboxStore(Redis redis, String prefix, int inboxSize, long inboxTtlSecs) {
    if (inboxSize < 1) {
      throw new IllegalArgumentException("inboxSize must be at least 1: " + inboxSize);
    }
    if (inboxTtlSecs < 1) {
      throw new IllegalArgumentException("inboxTtlSecs must be at least 1: " + inboxTtlSecs);
    }
    this.redis = redis;
    this.prefix = prefix;
    this.inboxSize = inboxSize;
    this.inboxTtlSecs = inboxTtlSecs;
  }

  @Override
  public Future<Void> addUnread(String tenant, String userId, StoredNotification notification) {
    Position position = notification.position();
    JsonObject entry = new JsonObject()
        .put("epoch", position.epoch())
        .put("offset", position.offset())
        .put("n", notification.notification().toJson());
    List<String> args = List.of(notification.notification().id(), position.epoch(), Long.toString(position.offset()),
        entry.encode(), Integer.toString(inboxSize), Long.toString(inboxTtlSecs));
    return ADD_UNREAD.run(redis, keys(tenant, userId), args).mapEmpty();
  }

  @Override
  public Future<Inbox> unread(String tenant, String userId, int limit) {
    int clampedLimit = Math.max(1, Math.min(limit, inboxSize));
    return UNREAD.run(redis, keys(tenant, userId), List.of(Integer.toString(clampedLimit))).map(reply -> {
      Response entries = reply.get(1);
      List<StoredNotification> latest = new ArrayList<>(entries.size());
      for (int i = 0; i < entries.size(); i++) {
        Response entry = entries.get(i);
        // Both keys change together in every script, so a missing entry cannot happen; skip rather than fail.
        if (entry != null) {
          latest.add(decode(new JsonObject(entry.toBuffer())));
        }
      }
      return new Inbox(reply.get(0).toInteger(), List.copyOf(latest));
    });
  }

  @Override
  public Future<Boolean> markRead(String tenant, String userId, String notificationId) {
    return MARK_READ.run(redis, keys(tenant, userId), List.of(notificationId)).map(reply -> reply.toInteger() == 1);
  }

  private List<String> keys(String tenant, String userId) {
    String user = StreamKey.userKey(tenant, userId);
    return List.of(prefix + ":unread:" + user, prefix + ":inbox:" + user);
  }

  private static StoredNotification decode(JsonObject entry) {
    Position position = new Position(entry.getString("epoch"), entry.getLong("offset"));
    return new StoredNotification(
        NotificationCodec.decode(entry.getJsonObject("n")).withPosition(position.epoch(), position.offset()), position);
  }
}
