package io.herald.state;

import io.herald.model.Notification;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@link NotificationRecorder} on Redis: one script per write, idempotent by notification id — for a user notification, the history append, the
 * session count, the offline queue and the inbox in one {@code EVALSHA} — sent through a {@link RedisPipeline}, so
 * the writes of one event-loop turn leave in one batch and take effect in the order they were made. The keys and
 * their content are those of {@link RedisHistoryStore} and {@link RedisInboxStore}, which read them.
 */
public final class RedisNotificationRecorder implements NotificationRecorder {

  /**
   * KEYS: stream, its id index, sessions set, queue, unread zset, inbox hash. ARGV: candidate epoch, notification
   * JSON (without a position), history size, history TTL, connection metadata key prefix, queue max, queue TTL,
   * notification id, inbox size, inbox TTL, ids kept. → {epoch, offset, 1 when queued else 0, 1 when the id was already in
   * the stream else 0}: a notification recorded again (a redelivery, a publisher's retry) is neither queued nor
   * added to the inbox a second time.
   */
  private static final RedisScript RECORD_FOR_USER = new RedisScript(RedisHistoryStore.PRELUDE
      + RedisHistoryStore.QUEUE_WHEN_OFFLINE + RedisInboxStore.ADD_UNREAD_FUNCTION + """
      local epoch, offset, duplicate = appendEntry(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[8],
        ARGV[11])
      if duplicate == 1 then return {epoch, offset, 0, 1} end
      local queued = queueWhenOffline(KEYS[3], ARGV[5], KEYS[4], ARGV[2], epoch, offset, ARGV[6], ARGV[7])
      -- the inbox keeps the notification at its position: the position's fields spliced in before the closing
      -- brace, as the notification's own JSON form has them last
      local position = '"epoch":' .. cjson.encode(epoch) .. ',"offset":' .. string.format('%d', offset)
      local positioned = string.sub(ARGV[2], 1, -2) .. ',' .. position .. '}'
      addUnread(KEYS[5], KEYS[6], ARGV[8], epoch, offset, '{' .. position .. ',"n":' .. positioned .. '}',
        ARGV[9], ARGV[10])
      return {epoch, offset, queued, 0}
      """);

  private final RedisPipeline pipeline;
  private final String prefix;
  // The sizes, TTLs and key prefix as the scripts' UTF-8 arguments, made once rather than per notification.
  private final byte[] historySize;
  private final byte[] historyTtlSecs;
  private final byte[] offlineQueueMax;
  private final byte[] offlineQueueTtlSecs;
  private final byte[] inboxSize;
  private final byte[] inboxTtlSecs;
  private final byte[] connectionKeyPrefix;
  private final byte[] idsKept;

  /**
   * The sizes and TTLs are those of the {@link RedisHistoryStore} and {@link RedisInboxStore} of the same keys.
   *
   * @param pipeline            the pipeline the scripts are sent through
   * @param prefix              key prefix, {@code websocket} by default
   * @param historySize         entries kept per history stream, at least 1; default 100
   * @param historyTtlSecs      seconds a history stream lives after its last append, at least 1; default 86400
   * @param offlineQueueMax     notifications kept in a user's offline queue (oldest dropped), at least 1; default 100
   * @param offlineQueueTtlSecs seconds an offline queue lives after its last push, at least 1; default 604800
   * @param inboxSize           most unread notifications kept per user, at least 1; default 100
   * @param inboxTtlSecs        seconds an inbox lives after its latest addition, at least 1; default 604800
   */
  RedisNotificationRecorder(RedisPipeline pipeline, String prefix, int historySize, long historyTtlSecs,
      int offlineQueueMax, long offlineQueueTtlSecs, int inboxSize, long inboxTtlSecs) {
    if (historySize < 1 || historyTtlSecs < 1 || offlineQueueMax < 1 || offlineQueueTtlSecs < 1 || inboxSize < 1
        || inboxTtlSecs < 1) {
      throw new IllegalArgumentException("history, offline queue and inbox sizes and TTLs must be at least 1");
    }
    this.pipeline = pipeline;
    this.prefix = prefix;
    this.historySize = utf8(Integer.toString(historySize));
    this.historyTtlSecs = utf8(Long.toString(historyTtlSecs));
    this.offlineQueueMax = utf8(Integer.toString(offlineQueueMax));
    this.offlineQueueTtlSecs = utf8(Long.toString(offlineQueueTtlSecs));
    this.inboxSize = utf8(Integer.toString(inboxSize));
    this.inboxTtlSecs = utf8(Long.toString(inboxTtlSecs));
    this.connectionKeyPrefix = utf8(prefix + ":connections:");
    this.idsKept = utf8(RedisHistoryStore.idsKept(historySize));
  }

  @Override
  public Future<AppendResult> recordForUser(String tenant, String userId, Notification notification) {
    requireNoPosition(notification);
    String userKey = StreamKey.userKey(tenant, userId);
    StreamKey stream = StreamKey.user(tenant, userId);
    List<String> keys = List.of(stream.redisKey(prefix), stream.idsRedisKey(prefix), prefix + ":sessions:" + userKey,
        prefix + ":queue:" + userKey, prefix + ":unread:" + userKey, prefix + ":inbox:" + userKey);
    List<byte[]> args = List.of(utf8(RedisHistoryStore.newEpoch()), notification.canonicalJsonBytes(), historySize,
        historyTtlSecs, connectionKeyPrefix, offlineQueueMax, offlineQueueTtlSecs, utf8(notification.id()), inboxSize,
        inboxTtlSecs, idsKept);
    return pipeline.run(RECORD_FOR_USER, keys, args)
        .map(r -> new AppendResult(new Position(r.get(0).toString(), r.get(1).toLong()), r.get(2).toInteger() == 1,
            r.get(3).toInteger() == 1));
  }

  @Override
  public Future<Position> recordForStream(StreamKey stream, Notification notification) {
    List<byte[]> args = List.of(utf8(RedisHistoryStore.newEpoch()), notification.canonicalJsonBytes(), historySize,
        historyTtlSecs, utf8(notification.id()), idsKept);
    return pipeline.run(RedisHistoryStore.APPEND, List.of(stream.redisKey(prefix), stream.idsRedisKey(prefix)), args)
        .map(r -> new Position(r.get(0).toString(), r.get(1).toLong()));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** The script splices the position into the notification's JSON, which must not have one already. */
  private static void requireNoPosition(Notification notification) {
    if (notification.epoch() != null) {
      throw new IllegalArgumentException("a notification is recorded as it entered, without a position");
    }
  }
}
