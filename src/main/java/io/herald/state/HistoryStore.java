package io.herald.state;

import io.herald.model.Notification;
import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/**
 * Per-stream notification history (for gap-free recovery) and the per-user offline queue. Each call is one
 * atomic step of the backing store (one Lua script in Redis), so concurrent nodes never interleave inside it.
 */
public interface HistoryStore {

  /** Most notifications an offline queue holds; older ones are dropped. */
  int OFFLINE_QUEUE_MAX = 100;

  /**
   * Appends a notification to the user's stream (trimmed to {@code historySize} entries, TTL
   * {@code historyTtlSecs} refreshed) and, when the user has no live session anywhere
   * ({@link SessionStore}), also to the user's offline queue (capped at {@code offlineQueueMax}, oldest
   * dropped, TTL {@code offlineQueueTtlSecs}). A stream that does not exist (never created, expired, flushed)
   * gets a new random epoch and starts again at offset 1.
   *
   * <p>Idempotent by the notification's id: when a notification of the same id is among the stream's retained
   * entries (a JetStream redelivery, a publisher's retry, every node of a fleet recording the same pub/sub
   * message), nothing is written or queued and the result is the first append's position, marked duplicate. An
   * id older than the retained entries is appended again.
   */
  Future<AppendResult> appendForUser(String tenant, String userId, Notification notification);

  /**
   * Appends to a topic or broadcast stream; same trimming, TTL, epoch and idempotency rules (a duplicate gives the
   * first append's position); never queued.
   */
  Future<Position> append(StreamKey stream, Notification notification);

  /** The stream's current position: its epoch and last offset; a fresh epoch and offset 0 when it does not exist. */
  Future<Position> current(StreamKey stream);

  /**
   * Everything after {@code (epoch, lastOffset)}, oldest first, with {@code recovered} true only when nothing
   * in between was lost (same epoch, and the entry at {@code lastOffset + 1} is still retained or nothing was
   * appended since).
   */
  Future<Replay> since(StreamKey stream, String epoch, long lastOffset);

  /**
   * Takes the whole offline queue of the user in one atomic step (it is empty afterwards), oldest first. Two
   * callers racing get disjoint results. A non-empty take is recorded in the same step for
   * {@link #QUEUE_TAKE_RECORD_SECS} seconds (replacing the record of an earlier take), see {@link #lastQueueTake};
   * an empty take records nothing and leaves an earlier record as it is.
   */
  Future<List<StoredNotification>> takeOfflineQueue(String tenant, String userId);

  /** Seconds the record of a non-empty {@link #takeOfflineQueue} is kept. */
  long QUEUE_TAKE_RECORD_SECS = 60;

  /**
   * The user's last non-empty {@link #takeOfflineQueue}, when it was made less than {@link #QUEUE_TAKE_RECORD_SECS}
   * seconds ago: what it returned (oldest first, with their positions) and how long ago it was made, as the store
   * measures time; empty otherwise. It lets a connection of the user that was already open when another one took
   * the queue deliver those notifications itself: the taker publishes them on the user's address, which a connection
   * whose consumer registration completes later never receives.
   */
  Future<Optional<QueueTake>> lastQueueTake(String tenant, String userId);

  /**
   * A recorded offline-queue take.
   *
   * @param notifications what the take returned, oldest first, with their positions
   * @param ageMillis     milliseconds since the take, at the moment the record was read
   */
  record QueueTake(List<StoredNotification> notifications, long ageMillis) {
  }
}
