package io.herald.state;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Sessions of the embedded (no-Redis) single-node mode, with the semantics of {@link RedisSessionStore}: a
 * connection's metadata expires {@code sessionTtlSecs} after its last register or touch, and expired ids leave the
 * user's set when it is counted. Expiry is checked lazily against the injected clock. Thread-safe; every future
 * returned is already completed.
 */
public final class InMemorySessionStore implements SessionStore {

  /** The session itself, not its JSON: a node of tens of thousands of connections keeps less per connection. */
  private record Metadata(SessionInfo session, Instant expiresAt) {
  }

  private final Clock clock;
  private final Duration ttl;
  /** User key ({@link StreamKey#userKey}) to the ids of the user's connections. */
  private final Map<String, Set<String>> sessionsByUser = new HashMap<>();
  private final Map<String, Metadata> metadataById = new HashMap<>();
  /**
   * When the next sweep of every user's expired ids is due. Users who never come back would otherwise keep their
   * dead ids forever; sweeping at most once per TTL keeps that cost negligible.
   */
  private Instant nextSweep;

  /**
   * @param clock          time source for metadata expiry ({@link Clock#systemUTC()} outside tests)
   * @param sessionTtlSecs lifetime of a connection's metadata after its last register or touch, in seconds
   *                       ({@value RedisSessionStore#DEFAULT_SESSION_TTL_SECS} by default)
   */
  public InMemorySessionStore(Clock clock, long sessionTtlSecs) {
    if (sessionTtlSecs < 1) {
      throw new IllegalArgumentException("sessionTtlSecs must be at least 1, got " + sessionTtlSecs);
    }
    this.clock = clock;
    this.ttl = Duration.ofSeconds(sessionTtlSecs);
    this.nextSweep = clock.instant().plus(ttl);
  }

  /**
   * A store on the system clock with the default metadata TTL ({@value RedisSessionStore#DEFAULT_SESSION_TTL_SECS} s).
   */
  public InMemorySessionStore() {
    this(Clock.systemUTC(), RedisSessionStore.DEFAULT_SESSION_TTL_SECS);
  }

  @Override
  public synchronized Future<Boolean> register(SessionInfo session, int maxPerUser) {
    Instant now = now();
    String user = StreamKey.userKey(session.tenant(), session.userId());
    Set<String> ids = liveIds(user, now);
    if (!ids.contains(session.connectionId()) && ids.size() >= maxPerUser) {
      return Future.succeededFuture(false);
    }
    write(user, session, now);
    return Future.succeededFuture(true);
  }

  @Override
  public synchronized Future<Void> touch(SessionInfo session) {
    Instant now = now();
    write(StreamKey.userKey(session.tenant(), session.userId()), session, now);
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Void> unregister(String tenant, String userId, String connectionId) {
    metadataById.remove(connectionId);
    String user = StreamKey.userKey(tenant, userId);
    Set<String> ids = sessionsByUser.get(user);
    if (ids != null) {
      ids.remove(connectionId);
      if (ids.isEmpty()) {
        sessionsByUser.remove(user);
      }
    }
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Integer> count(String tenant, String userId) {
    return Future.succeededFuture(liveIds(StreamKey.userKey(tenant, userId), now()).size());
  }

  /** The metadata JSON of a live connection, as Redis would hold it; null when unknown or expired. */
  public synchronized JsonObject connection(String connectionId) {
    Metadata metadata = metadataById.get(connectionId);
    return metadata == null || isExpired(metadata, now()) ? null : metadata.session().toJson();
  }

  private void write(String user, SessionInfo session, Instant now) {
    metadataById.put(session.connectionId(), new Metadata(session, now.plus(ttl)));
    sessionsByUser.computeIfAbsent(user, u -> new LinkedHashSet<>()).add(session.connectionId());
  }

  /** The user's ids after removing those whose metadata expired; a mutable view of the stored set. */
  private Set<String> liveIds(String user, Instant now) {
    Set<String> ids = sessionsByUser.get(user);
    if (ids == null) {
      return new LinkedHashSet<>();
    }
    ids.removeIf(id -> removeIfExpired(id, now));
    if (ids.isEmpty()) {
      sessionsByUser.remove(user);
    }
    return ids;
  }

  private boolean removeIfExpired(String id, Instant now) {
    Metadata metadata = metadataById.get(id);
    if (metadata == null) {
      return true;
    }
    if (isExpired(metadata, now)) {
      metadataById.remove(id);
      return true;
    }
    return false;
  }

  private static boolean isExpired(Metadata metadata, Instant now) {
    return !now.isBefore(metadata.expiresAt());
  }

  /** The current time, sweeping every user's expired ids first when a sweep is due. */
  private Instant now() {
    Instant now = clock.instant();
    if (!now.isBefore(nextSweep)) {
      sessionsByUser.values().removeIf(ids -> {
        ids.removeIf(id -> removeIfExpired(id, now));
        return ids.isEmpty();
      });
      nextSweep = now.plus(ttl);
    }
    return now;
  }
}
