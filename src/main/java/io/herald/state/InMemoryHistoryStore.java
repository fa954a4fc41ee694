package io.herald.state;

import io.herald.model.Notification;
import io.herald.model.NotificationCodec;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiPredicate;

/**
 * {@link HistoryStore} in memory, for the embedded single-node mode: the same semantics as
 * {@link RedisHistoryStore} (positions, epochs, trimming, TTLs, offline queue, appends idempotent by notification
 * id over the stream's last {@link RedisHistoryStore#DEDUPE_IDS_PER_STREAM} appends: {@link IdIndex}) within one JVM. TTLs are checked
 * against the injected clock when a stream or queue is used, and expired ones are swept at most once a minute so
 * abandoned ones do not accumulate. Thread-safe by synchronisation; every future it returns is already completed.
 *
 * <p>Each entry is kept as its canonical JSON bytes (as Redis keeps it), not as the notification's object graph:
 * one array per entry for the garbage collector to copy and mark instead of a few dozen objects, which is what
 * made every collection of a busy embedded node slow. Entries are decoded when read (a resume, an offline-queue
 * take), which is rare next to appends.
 */
public final class InMemoryHistoryStore implements HistoryStore {

  private static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

  private final Clock clock;
  private final BiPredicate<String, String> hasLiveSession;
  private final int historySize;
  private final Duration historyTtl;
  private final int offlineQueueMax;
  private final Duration offlineQueueTtl;
  private final Map<StreamKey, History> histories = new HashMap<>();
  /** Offline queues keyed by the user's stream key. */
  private final Map<StreamKey, OfflineQueue> queues = new HashMap<>();
  /** The last non-empty take of each user's queue, keyed by the user's stream key; its expiresAt is the record's. */
  private final Map<StreamKey, OfflineQueue> takes = new HashMap<>();
  private Instant nextSweep;

  /**
   * A store with the default sizes and TTLs of {@link RedisHistoryStore} and the system clock.
   *
   * @param hasLiveSession whether a user (tenant, user id) has a connection open: false means notifications for
   *                       them are also queued
   */
  public InMemoryHistoryStore(BiPredicate<String, String> hasLiveSession) {
    this(Clock.systemUTC(), hasLiveSession, RedisHistoryStore.DEFAULT_HISTORY_SIZE,
        RedisHistoryStore.DEFAULT_HISTORY_TTL_SECS, RedisHistoryStore.DEFAULT_OFFLINE_QUEUE_MAX,
        RedisHistoryStore.DEFAULT_OFFLINE_QUEUE_TTL_SECS);
  }

  /**
   * @param clock               the time TTLs are measured against (a test clock can advance it)
   * @param hasLiveSession      whether a user (tenant, user id) has a connection open: false means notifications
   *                            for them are also queued; called while this store's lock is held, so it must not call
   *                            back into this store
   * @param historySize         entries kept per history stream, at least 1; default 100
   * @param historyTtlSecs      seconds a history stream lives after its last append, at least 1; default 86400
   * @param offlineQueueMax     notifications kept in a user's offline queue (oldest dropped), at least 1;
   *                            default 100
   * @param offlineQueueTtlSecs seconds an offline queue lives after its last push, at least 1; default 604800
   */
  public InMemoryHistoryStore(Clock clock, BiPredicate<String, String> hasLiveSession, int historySize,
      long historyTtlSecs, int offlineQueueMax, long offlineQueueTtlSecs) {
    if (historySize < 1 || historyTtlSecs < 1 || offlineQueueMax < 1 || offlineQueueTtlSecs < 1) {
      throw new IllegalArgumentException("history and offline queue sizes and TTLs must be at least 1");
    }
    this.clock = clock;
    this.hasLiveSession = hasLiveSession;
    this.historySize = historySize;
    this.historyTtl = Duration.ofSeconds(historyTtlSecs);
    this.offlineQueueMax = offlineQueueMax;
    this.offlineQueueTtl = Duration.ofSeconds(offlineQueueTtlSecs);
    this.nextSweep = clock.instant().plus(SWEEP_INTERVAL);
  }

  @Override
  public synchronized Future<AppendResult> appendForUser(String tenant, String userId, Notification notification) {
    Instant now = now();
    StreamKey stream = StreamKey.user(tenant, userId);
    History history = liveHistory(stream, now);
    long idHash = notification.idHash();
    Position known = history == null ? null : history.positionOf(idHash);
    if (known != null) {
      return Future.succeededFuture(new AppendResult(known, false, true));
    }
    Entry stored = appendAt(stream, history, notification, idHash, now);
    if (hasLiveSession.test(tenant, userId)) {
      return Future.succeededFuture(new AppendResult(stored.position(), false, false));
    }
    OfflineQueue queue = liveQueue(stream, now);
    if (queue == null) {
      queue = new OfflineQueue();
      queues.put(stream, queue);
    }
    queue.items.addLast(stored);
    if (queue.items.size() > offlineQueueMax) {
      queue.items.removeFirst();
    }
    queue.expiresAt = now.plus(offlineQueueTtl);
    return Future.succeededFuture(new AppendResult(stored.position(), true, false));
  }

  @Override
  public synchronized Future<Position> append(StreamKey stream, Notification notification) {
    Instant now = now();
    History history = liveHistory(stream, now);
    long idHash = notification.idHash();
    Position known = history == null ? null : history.positionOf(idHash);
    return Future.succeededFuture(known != null ? known : appendAt(stream, history, notification, idHash, now).position());
  }

  @Override
  public synchronized Future<Position> current(StreamKey stream) {
    History history = liveHistory(stream, now());
    return Future.succeededFuture(history == null ? new Position(newEpoch(), 0) : history.current());
  }

  @Override
  public synchronized Future<Replay> since(StreamKey stream, String epoch, long lastOffset) {
    History history = liveHistory(stream, now());
    if (history == null) {
      return Future.succeededFuture(new Replay(false, new Position(newEpoch(), 0), List.of()));
    }
    Position current = history.current();
    if (history.epoch.equals(epoch)) {
      if (lastOffset >= history.lastOffset) {
        return Future.succeededFuture(new Replay(true, current, List.of()));
      }
      if (history.entries.getFirst().position().offset() <= lastOffset + 1) {
        List<StoredNotification> missed = new ArrayList<>();
        for (Entry entry : history.entries) {
          if (entry.position().offset() > lastOffset) {
            missed.add(entry.decode());
          }
        }
        return Future.succeededFuture(new Replay(true, current, missed));
      }
    }
    return Future.succeededFuture(new Replay(false, current, decode(history.entries)));
  }

  @Override
  public synchronized Future<List<StoredNotification>> takeOfflineQueue(String tenant, String userId) {
    StreamKey stream = StreamKey.user(tenant, userId);
    Instant now = now();
    OfflineQueue queue = liveQueue(stream, now);
    if (queue == null) {
      return Future.succeededFuture(List.of());
    }
    queues.remove(stream);
    if (queue.items.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    // The taken queue becomes the take record (see lastQueueTake).
    queue.expiresAt = now.plusSeconds(QUEUE_TAKE_RECORD_SECS);
    takes.put(stream, queue);
    return Future.succeededFuture(decode(queue.items));
  }

  @Override
  public synchronized Future<Optional<QueueTake>> lastQueueTake(String tenant, String userId) {
    StreamKey stream = StreamKey.user(tenant, userId);
    Instant now = now();
    OfflineQueue taken = takes.get(stream);
    if (taken == null) {
      return Future.succeededFuture(Optional.empty());
    }
    if (!now.isBefore(taken.expiresAt)) {
      takes.remove(stream);
      return Future.succeededFuture(Optional.empty());
    }
    Instant takenAt = taken.expiresAt.minusSeconds(QUEUE_TAKE_RECORD_SECS);
    return Future.succeededFuture(Optional.of(new QueueTake(decode(taken.items),
        Math.max(0, Duration.between(takenAt, now).toMillis()))));
  }

  /**
   * Appends to the stream, whose live history the caller looked up ({@link #liveHistory}), creating it with a new
   * epoch when it does not exist (or expired).
   */
  private Entry appendAt(StreamKey stream, History live, Notification notification, long idHash, Instant now) {
    History history = live;
    if (history == null) {
      history = new History(newEpoch(), historySize);
      histories.put(stream, history);
    }
    history.lastOffset++;
    Entry stored = new Entry(history.current(), notification.canonicalJsonBytes());
    history.entries.addLast(stored);
    history.ids.add(history.lastOffset, idHash);
    if (history.entries.size() > historySize) {
      history.entries.removeFirst();
    }
    history.expiresAt = now.plus(historyTtl);
    return stored;
  }

  /** The stream's history, or null when it does not exist or has expired (it is then removed). */
  private History liveHistory(StreamKey stream, Instant now) {
    History history = histories.get(stream);
    if (history != null && !now.isBefore(history.expiresAt)) {
      histories.remove(stream);
      return null;
    }
    return history;
  }

  /** The user's offline queue, or null when it does not exist or has expired (it is then removed). */
  private OfflineQueue liveQueue(StreamKey stream, Instant now) {
    OfflineQueue queue = queues.get(stream);
    if (queue != null && !now.isBefore(queue.expiresAt)) {
      queues.remove(stream);
      return null;
    }
    return queue;
  }

  /** The clock's time, after dropping every expired history and queue when a sweep is due. */
  private Instant now() {
    Instant now = clock.instant();
    if (!now.isBefore(nextSweep)) {
      histories.values().removeIf(h -> !now.isBefore(h.expiresAt));
      queues.values().removeIf(q -> !now.isBefore(q.expiresAt));
      takes.values().removeIf(t -> !now.isBefore(t.expiresAt));
      nextSweep = now.plus(SWEEP_INTERVAL);
    }
    return now;
  }

  /** A random epoch, 12 hex digits like {@link RedisHistoryStore}'s. */
  private static String newEpoch() {
    return String.format("%012x", ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFF_FFFFL);
  }

  private static List<StoredNotification> decode(ArrayDeque<Entry> entries) {
    List<StoredNotification> decoded = new ArrayList<>(entries.size());
    entries.forEach(entry -> decoded.add(entry.decode()));
    return decoded;
  }

  /** A retained notification: its position and canonical JSON (shared by the stream and the offline queue). */
  private record Entry(Position position, byte[] json) {
    StoredNotification decode() {
      return new StoredNotification(NotificationCodec.decode(json), position);
    }
  }

  /** One stream: its epoch, last offset and retained entries, oldest first. */
  private static final class History {
    final String epoch;
    final ArrayDeque<Entry> entries = new ArrayDeque<>();
    final IdIndex ids;
    long lastOffset;
    Instant expiresAt;

    History(String epoch, int historySize) {
      this.epoch = epoch;
      this.ids = new IdIndex(Math.max(historySize, RedisHistoryStore.DEDUPE_IDS_PER_STREAM));
    }

    Position current() {
      return new Position(epoch, lastOffset);
    }

    /**
     * The position of the notification id of this hash ({@link Notification#idHash()}) among the stream's last appends, or
     * null: what makes an append idempotent.
     */
    Position positionOf(long idHash) {
      long offset = ids.offsetOf(idHash);
      return offset < 0 ? null : new Position(epoch, offset);
    }
  }

  /** A user's offline queue, oldest first. */
  private static final class OfflineQueue {
    final ArrayDeque<Entry> items = new ArrayDeque<>();
    Instant expiresAt;
  }
}
