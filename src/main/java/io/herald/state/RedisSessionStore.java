package io.herald.state;

import io.vertx.core.Future;
import io.vertx.redis.client.Redis;
import java.util.List;

/**
 * Fleet-wide sessions in Redis. Keys ({@code <p>} is the key prefix, {@code <u>} the user key of
 * {@link StreamKey#userKey}):
 * <ul>
 *   <li>{@code <p>:sessions:<u>}: SET of the user's connection ids;</li>
 *   <li>{@code <p>:connections:<id>}: the connection's {@link SessionInfo#toJson()}, expiring after
 *       {@code sessionTtlSecs} unless {@link #touch touched}.</li>
 * </ul>
 * The set's own TTL is pushed to at least {@code sessionTtlSecs} whenever a member is written, so it always outlives
 * its members' metadata and disappears with them when every node holding the user's connections dies.
 *
 * <p>Every operation is one Lua script, so the per-user limit holds however many nodes race. The scripts build
 * the metadata keys of the set's members from the prefix, which is correct on a single Redis server (or a
 * replicated one), not on Redis Cluster.
 */
public final class RedisSessionStore implements SessionStore {

  /** Key prefix used when none is configured. */
  public static final String DEFAULT_PREFIX = "websocket";
  /** Metadata TTL used when none is configured, in seconds. */
  public static final long DEFAULT_SESSION_TTL_SECS = 90;

  /**
   * Removes from the set (KEYS[1]) the ids whose metadata ({@code ARGV[1] .. id}) has expired. Shared by the scripts
   * that decide on the set's size.
   */
  private static final String REMOVE_EXPIRED_IDS =
      "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
      + "  if redis.call('EXISTS', ARGV[1] .. id) == 0 then redis.call('SREM', KEYS[1], id) end\n"
      + "end\n";

  /** Makes the set (KEYS[1]) live at least ttl seconds; a longer TTL written by a differently configured node stays. */
  private static final String EXTEND_SET_TTL =
      "local function extendSetTtl(ttl)\n"
      + "  if redis.call('TTL', KEYS[1]) < ttl then redis.call('EXPIRE', KEYS[1], ttl) end\n"
      + "end\n";

  /**
   * KEYS: sessions set, metadata key; ARGV: connections key prefix, connection id, metadata JSON, TTL secs, max.
   * Returns 1 when registered, 0 when the user is at the limit. An id already in the set is re-registered without
   * counting twice, so a retried register whose first reply was lost does not refuse its own connection.
   */
  private static final RedisScript REGISTER = new RedisScript(EXTEND_SET_TTL + REMOVE_EXPIRED_IDS
      + "local ttl = tonumber(ARGV[4])\n"
      + "if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 0\n"
      + "    and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[5]) then\n"
      + "  return 0\n"
      + "end\n"
      + "redis.call('SADD', KEYS[1], ARGV[2])\n"
      + "redis.call('SET', KEYS[2], ARGV[3], 'EX', ttl)\n"
      + "extendSetTtl(ttl)\n"
      + "return 1\n");

  /** KEYS: sessions set, metadata key; ARGV: connection id, metadata JSON, TTL secs. */
  private static final RedisScript TOUCH = new RedisScript(EXTEND_SET_TTL
      + "local ttl = tonumber(ARGV[3])\n"
      + "redis.call('SET', KEYS[2], ARGV[2], 'EX', ttl)\n"
      + "redis.call('SADD', KEYS[1], ARGV[1])\n"
      + "extendSetTtl(ttl)\n"
      + "return 1\n");

  /** KEYS: sessions set, metadata key; ARGV: connection id. Redis deletes the set with its last member. */
  private static final RedisScript UNREGISTER = new RedisScript(
      "redis.call('DEL', KEYS[2])\n"
      + "redis.call('SREM', KEYS[1], ARGV[1])\n"
      + "return 1\n");

  /** KEYS: sessions set; ARGV: connections key prefix. Returns the number of live ids. */
  private static final RedisScript COUNT = new RedisScript(REMOVE_EXPIRED_IDS
      + "return redis.call('SCARD', KEYS[1])\n");

  private final Redis redis;
  private final String prefix;
  private final String ttlSecs;

  /**
   * @param redis          the client the scripts run on
   * @param prefix         key prefix ({@value #DEFAULT_PREFIX} by default)
   * @param sessionTtlSecs lifetime of a connection's metadata after its last register or touch, in seconds
   *                       ({@value #DEFAULT_SESSION_TTL_SECS} by default); the caller touches more often than that
   */
  public RedisSessionStore(Redis redis, String prefix, long sessionTtlSecs) {
    if (sessionTtlSecs < 1) {
      throw new IllegalArgumentException("sessionTtlSecs must be at least 1, got " + sessionTtlSecs);
    }
    this.redis = redis;
    this.prefix = prefix;
    this.ttlSecs = Long.toString(sessionTtlSecs);
  }

  /**
   * A store with the default prefix ({@value #DEFAULT_PREFIX}) and metadata TTL ({@value #DEFAULT_SESSION_TTL_SECS} s).
   *
   * @param redis the client the scripts run on
   */
  public RedisSessionStore(Redis redis) {
    this(redis, DEFAULT_PREFIX, DEFAULT_SESSION_TTL_SECS);
  }

  @Override
  public Future<Boolean> register(SessionInfo session, int maxPerUser) {
    return REGISTER.run(redis, List.of(sessionsKey(session.tenant(), session.userId()), connectionKey(session.connectionId())),
            List.of(connectionKeyPrefix(), session.connectionId(), session.toJson().encode(), ttlSecs,
                Integer.toString(maxPerUser)))
        .map(reply -> reply.toInteger() == 1);
  }

  @Override
  public Future<Void> touch(SessionInfo session) {
    return TOUCH.run(redis, List.of(sessionsKey(session.tenant(), session.userId()), connectionKey(session.connectionId())),
            List.of(session.connectionId(), session.toJson().encode(), ttlSecs))
        .mapEmpty();
  }

  @Override
  public Future<Void> unregister(String tenant, String userId, String connectionId) {
    return UNREGISTER.run(redis, List.of(sessionsKey(tenant, userId), connectionKey(connectionId)), List.of(connectionId))
        .mapEmpty();
  }

  @Override
  public Future<Integer> count(String tenant, String userId) {
    return COUNT.run(redis, List.of(sessionsKey(tenant, userId)), List.of(connectionKeyPrefix()))
        .map(reply -> reply.toInteger());
  }

  private String sessionsKey(String tenant, String userId) {
    return prefix + ":sessions:" + StreamKey.userKey(tenant, userId);
  }

  private String connectionKeyPrefix() {
    return prefix + ":connections:";
  }

  private String connectionKey(String connectionId) {
    return connectionKeyPrefix() + connectionId;
  }
}
