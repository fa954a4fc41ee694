package io.herald.state;

import io.herald.model.Notification;
import io.herald.model.NotificationCodec;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@link HistoryStore} in Redis, shared by every node of the fleet. Each call is one Lua script (one atomic step).
 *
 * <p>Keys ({@code <p>} is the key prefix, {@code <u>} the user key of {@link StreamKey#userKey}):
 * <ul>
 *   <li>history streams ({@link StreamKey#redisKey}): Redis STREAMs whose entry ids are {@code <offset>-1}, so an
 *   entry's offset is the first part of its id; each entry has the fields {@code epoch} (the stream's epoch, the
 *   same in every entry) and {@code n} (the notification's canonical JSON, {@link Notification#toJson()}). Trimmed
 *   to exactly {@code historySize} entries (exact MAXLEN, so a trimmed position is detectable); TTL refreshed on
 *   every append. A missing stream gets a new random epoch on its next append, so positions of a lost history
 *   (expired, flushed, replaced Redis) are recognisably stale.</li>
 *   <li>{@code <p>:queue:<u>}: LIST of {@code {"epoch":..,"offset":..,"n":<canonical JSON>}}, oldest first, at most
 *   {@code offlineQueueMax}, TTL refreshed on every push.</li>
 *   <li>{@code <p>:queue-taken:<u>}: the last non-empty take of {@code <p>:queue:<u>} (the taken list itself,
 *   renamed in the same script), TTL {@link HistoryStore#QUEUE_TAKE_RECORD_SECS} (set in ms: the record's age is
 *   read back from its PTTL).</li>
 *   <li>read only: {@code <p>:sessions:<u>} (SET of connection ids) and {@code <p>:connections:<id>} (metadata with
 *   a TTL): a user has a live session when an id of the set still has its metadata; ids whose metadata expired
 *   are removed from the set by {@link #appendForUser}.</li>
 * </ul>
 *
 * <p>The scripts read {@code <p>:connections:<id>} keys they cannot declare in advance: fine on a standalone or
 * replicated Redis (the deployment this targets), not on Redis Cluster.
 */
public final class RedisHistoryStore implements HistoryStore {

  /** Default key prefix. */
  public static final String DEFAULT_PREFIX = "websocket";
  private static final HexFormat HEX = HexFormat.of();
  /** Default number of entries kept per stream. */
  public static final int DEFAULT_HISTORY_SIZE = 100;
  /** Default TTL of a history stream after its last append: 24 hours. */
  public static final long DEFAULT_HISTORY_TTL_SECS = 86_400;
  /** Default number of notifications kept in a user's offline queue. */
  public static final int DEFAULT_OFFLINE_QUEUE_MAX = 100;
  /**
   * Notification ids a stream's id index keeps (its most recent appends), when the stream keeps fewer entries: what
   * makes an append idempotent must outlast the skew between nodes recording the same Redis pub/sub message and a
   * JetStream redelivery (within {@code nats_ack_wait_secs}), which on a busy stream can be more appends than
   * {@code history_size} (a burst of 600 on one user stream put one node 237 appends behind another in
   * {@code ClusterIT}). About 60 bytes of Redis memory per id, only on streams that had that many appends within
   * their TTL: 60 KB per busy stream. A copy later than that counts as new.
   */
  public static final int DEDUPE_IDS_PER_STREAM = 1_000;
  /** Default TTL of an offline queue after its last push: 7 days. */
  public static final long DEFAULT_OFFLINE_QUEUE_TTL_SECS = 604_800;

  /**
   * Helpers shared by the scripts (and by {@link RedisNotificationRecorder}'s). An entry is
   * {@code {id, {field, value, ...}}} as XRANGE returns it.
   */
  static final String PRELUDE = """
      local function fieldOf(entry, name)
        local fields = entry[2]
        for i = 1, #fields, 2 do
          if fields[i] == name then return fields[i + 1] end
        end
      end
      local function offsetOf(entry)
        return tonumber(string.match(entry[1], '^(%d+)'))
      end
      local function lastEntry(stream)
        return redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
      end
      -- Appends unless the stream's id index (the ids of its last idsMax appends) already holds the notification's
      -- id: then nothing is written and the first append's position is returned, with 1 as the third value (a
      -- redelivery, a publisher's retry, another node recording the same pub/sub message).
      local function appendEntry(stream, ids, candidateEpoch, json, maxLen, ttl, id, idsMax)
        local last = lastEntry(stream)
        local epoch, offset = candidateEpoch, 1
        if last then
          epoch = fieldOf(last, 'epoch')
          local known = redis.call('ZSCORE', ids, id)
          if known then return epoch, tonumber(known), 1 end
          offset = offsetOf(last) + 1
        else
          -- an existing but emptied stream still remembers its last id, which would refuse 1-1; and the ids of a
          -- lost stream belong to its old epoch
          redis.call('DEL', stream, ids)
        end
        redis.call('XADD', stream, 'MAXLEN', maxLen, string.format('%d-1', offset), 'epoch', epoch, 'n', json)
        redis.call('EXPIRE', stream, ttl)
        redis.call('ZADD', ids, offset, id)
        redis.call('ZREMRANGEBYRANK', ids, 0, -tonumber(idsMax) - 1)
        redis.call('EXPIRE', ids, ttl)
        return epoch, offset, 0
      end
      """;

  /**
   * Lua function {@code queueWhenOffline(sessions, connectionPrefix, queue, json, epoch, offset, queueMax, queueTtl)}:
   * counts the user's live sessions (removing ids whose metadata expired) and, when there is none, pushes the
   * appended notification to the offline queue (trimmed, TTL refreshed). Returns 1 when queued, else 0.
   */
  static final String QUEUE_WHEN_OFFLINE = """
      local function queueWhenOffline(sessions, connectionPrefix, queue, json, epoch, offset, queueMax, queueTtl)
        local live = 0
        for _, id in ipairs(redis.call('SMEMBERS', sessions)) do
          if redis.call('EXISTS', connectionPrefix .. id) == 1 then
            live = live + 1
          else
            redis.call('SREM', sessions, id)
          end
        end
        if live > 0 then return 0 end
        -- the notification JSON is spliced in as is: decoding and re-encoding it in Lua would alter it
        redis.call('RPUSH', queue,
          '{"epoch":' .. cjson.encode(epoch) .. ',"offset":' .. string.format('%d', offset) .. ',"n":' .. json .. '}')
        redis.call('LTRIM', queue, -tonumber(queueMax), -1)
        redis.call('EXPIRE', queue, queueTtl)
        return 1
      end
      """;

  /**
   * KEYS: stream, its id index. ARGV: candidate epoch, notification JSON, history size, history TTL, notification
   * id, ids kept. → {epoch, offset, 1 when the id was already there else 0}.
   */
  static final RedisScript APPEND = new RedisScript(PRELUDE + """
      local epoch, offset, duplicate = appendEntry(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5],
        ARGV[6])
      return {epoch, offset, duplicate}
      """);

  /**
   * KEYS: stream, its id index, sessions set, queue. ARGV: candidate epoch, notification JSON, history size, history
   * TTL, connection metadata key prefix, queue max, queue TTL, notification id, ids kept. → {epoch, offset, 1 when
   * queued else 0, 1 when the id was already there else 0}.
   */
  private static final RedisScript APPEND_FOR_USER = new RedisScript(PRELUDE + QUEUE_WHEN_OFFLINE + """
      local epoch, offset, duplicate = appendEntry(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[8],
        ARGV[9])
      if duplicate == 1 then return {epoch, offset, 0, 1} end
      return {epoch, offset, queueWhenOffline(KEYS[3], ARGV[5], KEYS[4], ARGV[2], epoch, offset, ARGV[6], ARGV[7]), 0}
      """);

  /** The ids an id index keeps for a stream of {@code historySize} entries, as a script argument. */
  static String idsKept(int historySize) {
    return Integer.toString(Math.max(historySize, DEDUPE_IDS_PER_STREAM));
  }

  /** KEYS: stream. → {epoch, last offset}, or {} when the stream does not exist. */
  private static final RedisScript CURRENT = new RedisScript(PRELUDE + """
      local last = lastEntry(KEYS[1])
      if not last then return {} end
      return {fieldOf(last, 'epoch'), offsetOf(last)}
      """);

  /**
   * KEYS: stream. ARGV: client's epoch, client's last offset. → {1 when recovered else 0, epoch ('' when the stream
   * does not exist), last offset, entries}.
   */
  private static final RedisScript SINCE = new RedisScript(PRELUDE + """
      local last = lastEntry(KEYS[1])
      if not last then return {0, '', 0, {}} end
      local epoch, lastOffset = fieldOf(last, 'epoch'), offsetOf(last)
      local requested = tonumber(ARGV[2])
      if ARGV[1] == epoch then
        if requested >= lastOffset then return {1, epoch, lastOffset, {}} end
        local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
        if offsetOf(first) <= requested + 1 then
          return {1, epoch, lastOffset, redis.call('XRANGE', KEYS[1], string.format('%d-1', requested + 1), '+')}
        end
      end
      return {0, epoch, lastOffset, redis.call('XRANGE', KEYS[1], '-', '+')}
      """);

  /**
   * KEYS: queue, take record. ARGV: record TTL in ms. → the queue's elements, oldest first; a non-empty queue
   * becomes the take record (replacing an earlier one) with the record TTL, so the queue is gone either way.
   */
  private static final RedisScript TAKE_QUEUE = new RedisScript("""
      local items = redis.call('LRANGE', KEYS[1], 0, -1)
      if #items > 0 then
        redis.call('RENAME', KEYS[1], KEYS[2])
        redis.call('PEXPIRE', KEYS[2], ARGV[1])
      end
      return items
      """);

  /** KEYS: take record. → {remaining TTL in ms, its elements}, or {} when there is none. */
  private static final RedisScript LAST_TAKE = new RedisScript("""
      local ttl = redis.call('PTTL', KEYS[1])
      if ttl < 0 then return {} end
      return {ttl, redis.call('LRANGE', KEYS[1], 0, -1)}
      """);

  private final Redis redis;
  private final String prefix;
  private final int historySize;
  private final long historyTtlSecs;
  private final int offlineQueueMax;
  private final long offlineQueueTtlSecs;

  /** A store with the default prefix ({@code websocket}), sizes and TTLs. */
  public RedisHistoryStore(Redis redis) {
    this(redis, DEFAULT_PREFIX, DEFAULT_HISTORY_SIZE, DEFAULT_HISTORY_TTL_SECS, DEFAULT_OFFLINE_QUEUE_MAX,
        DEFAULT_OFFLINE_QUEUE_TTL_SECS);
  }

  /**
   * @param redis               the Redis client (pooled or single connection)
   * @param prefix              key prefix, {@code websocket} by default
   * @param historySize         entries kept per history stream, at least 1; default 100
   * @param historyTtlSecs      seconds a history stream lives after its last append, at least 1; default 86400
   * @param offlineQueueMax     notifications kept in a user's offline queue (oldest dropped), at least 1;
   *                            default 100
   * @param offlineQueueTtlSecs seconds an offline queue lives after its last push, at least 1; default 604800
   */
  public RedisHistoryStore(Redis redis, String prefix, int historySize, long historyTtlSecs, int offlineQueueMax,
      long offlineQueueTtlSecs) {
    if (historySize < 1 || historyTtlSecs < 1 || offlineQueueMax < 1 || offlineQueueTtlSecs < 1) {
      throw new IllegalArgumentException("history and offline queue sizes and TTLs must be at least 1");
    }
    this.redis = redis;
    this.prefix = prefix;
    this.historySize = historySize;
    this.historyTtlSecs = historyTtlSecs;
    this.offlineQueueMax = offlineQueueMax;
    this.offlineQueueTtlSecs = offlineQueueTtlSecs;
  }

  @Override
  public Future<AppendResult> appendForUser(String tenant, String userId, Notification notification) {
    String userKey = StreamKey.userKey(tenant, userId);
    StreamKey stream = StreamKey.user(tenant, userId);
    List<String> keys = List.of(stream.redisKey(prefix), stream.idsRedisKey(prefix), prefix + ":sessions:" + userKey,
        prefix + ":queue:" + userKey);
    List<String> args = List.of(newEpoch(), notification.canonicalJson(), Integer.toString(historySize),
        Long.toString(historyTtlSecs), prefix + ":connections:", Integer.toString(offlineQueueMax),
        Long.toString(offlineQueueTtlSecs), notification.id(), idsKept(historySize));
    return APPEND_FOR_USER.run(redis, keys, args)
        .map(r -> new AppendResult(new Position(r.get(0).toString(), r.get(1).toLong()), r.get(2).toInteger() == 1,
            r.get(3).toInteger() == 1));
  }

  @Override
  public Future<Position> append(StreamKey stream, Notification notification) {
    List<String> args = List.of(newEpoch(), notification.canonicalJson(), Integer.toString(historySize),
        Long.toString(historyTtlSecs), notification.id(), idsKept(historySize));
    return APPEND.run(redis, List.of(stream.redisKey(prefix), stream.idsRedisKey(prefix)), args)
        .map(r -> new Position(r.get(0).toString(), r.get(1).toLong()));
  }

  @Override
  public Future<Position> current(StreamKey stream) {
    return CURRENT.run(redis, List.of(stream.redisKey(prefix)), List.of())
        .map(r -> r.size() == 0 ? new Position(newEpoch(), 0) : new Position(r.get(0).toString(), r.get(1).toLong()));
  }

  @Override
  public Future<Replay> since(StreamKey stream, String epoch, long lastOffset) {
    return SINCE.run(redis, List.of(stream.redisKey(prefix)), List.of(epoch, Long.toString(lastOffset)))
        .map(r -> {
          String currentEpoch = r.get(1).toString();
          Position current = currentEpoch.isEmpty() ? new Position(newEpoch(), 0)
              : new Position(currentEpoch, r.get(2).toLong());
          List<StoredNotification> missed = new ArrayList<>();
          for (Response entry : r.get(3)) {
            missed.add(fromStreamEntry(entry));
          }
          return new Replay(r.get(0).toInteger() == 1, current, missed);
        });
  }

  @Override
  public Future<List<StoredNotification>> takeOfflineQueue(String tenant, String userId) {
    String userKey = StreamKey.userKey(tenant, userId);
    return TAKE_QUEUE.run(redis, List.of(prefix + ":queue:" + userKey, prefix + ":queue-taken:" + userKey),
        List.of(Long.toString(QUEUE_TAKE_RECORD_SECS * 1000))).map(RedisHistoryStore::fromQueueItems);
  }

  @Override
  public Future<Optional<QueueTake>> lastQueueTake(String tenant, String userId) {
    String recordKey = prefix + ":queue-taken:" + StreamKey.userKey(tenant, userId);
    return LAST_TAKE.run(redis, List.of(recordKey), List.of()).map(r -> r.size() == 0 ? Optional.empty()
        : Optional.of(new QueueTake(fromQueueItems(r.get(1)),
            Math.max(0, QUEUE_TAKE_RECORD_SECS * 1000 - r.get(0).toLong()))));
  }

  /** Rebuilds notifications and positions from queue elements {@code {"epoch":..,"offset":..,"n":..}}. */
  private static List<StoredNotification> fromQueueItems(Response items) {
    List<StoredNotification> taken = new ArrayList<>(items.size());
    for (Response item : items) {
      JsonObject queued = new JsonObject(item.toString());
      taken.add(new StoredNotification(NotificationCodec.decode(queued.getJsonObject("n")),
          new Position(queued.getString("epoch"), queued.getLong("offset"))));
    }
    return taken;
  }

  /** Rebuilds a notification and its position from a stream entry {@code [id, [field, value, ...]]}. */
  private static StoredNotification fromStreamEntry(Response entry) {
    String id = entry.get(0).toString();
    long offset = Long.parseLong(id.substring(0, id.indexOf('-')));
    Response fields = entry.get(1);
    String epoch = null;
    String json = null;
    for (int i = 0; i + 1 < fields.size(); i += 2) {
      String name = fields.get(i).toString();
      if ("epoch".equals(name)) {
        epoch = fields.get(i + 1).toString();
      } else if ("n".equals(name)) {
        json = fields.get(i + 1).toString();
      }
    }
    return new StoredNotification(NotificationCodec.decode(new JsonObject(json)), new Position(epoch, offset));
  }

  /**
   * A random epoch candidate, 12 hex digits (48 bits). Generated here rather than in the script so the script
   * stays deterministic; it is used only when the stream does not exist.
   */
  static String newEpoch() {
    // A candidate is made for every append (used only when the stream is new): 16 hex digits cut to 12, not a
    // format string parsed per call.
    return HEX.toHexDigits(ThreadLocalRandom.current().nextLong()).substring(4);
  }
}
