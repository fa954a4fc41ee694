package io.herald.state;

import io.herald.model.NotificationCodec;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link InboxStore} in this JVM's memory, for the embedded single-node mode: the same semantics as
 * {@link RedisInboxStore} (cap, order across epoch resets, TTL from the latest addition), with expiry checked
 * lazily against an injectable clock. Synchronized: simple and enough for one node; futures are already complete.
 */
public final class InMemoryInboxStore implements InboxStore {

  private final Clock clock;
  private final int inboxSize;
  private final long inboxTtlSecs;
  private final Map<String, UserInbox> inboxes = new HashMap<>();

  /** An inbox store on the system clock with 100 notifications per user and a 7-day TTL. */
  public InMemoryInboxStore() {
    this(Clock.systemUTC(), RedisInboxStore.DEFAULT_INBOX_SIZE, RedisInboxStore.DEFAULT_INBOX_TTL_SECS);
  }

  /**
   * @param clock        the time expiry is checked against (tests advance it)
   * @param inboxSize    most unread notifications kept per user, the oldest dropped beyond it (default 100)
   * @param inboxTtlSecs seconds an inbox lives after its latest addition (default 604800, 7 days)
   */
  public InMemoryInboxStore(Clock clock, int inboxSize, long inboxTtlSecs) {
    if (inboxSize < 1) {
      throw new IllegalArgumentException("inboxSize must be at least 1: " + inboxSize);
    }
    if (inboxTtlSecs < 1) {
      throw new IllegalArgumentException("inboxTtlSecs must be at least 1: " + inboxTtlSecs);
    }
    this.clock = clock;
    this.inboxSize = inboxSize;
    this.inboxTtlSecs = inboxTtlSecs;
  }

  @Override
  public synchronized Future<Void> addUnread(String tenant, String userId, StoredNotification notification) {
    String user = StreamKey.userKey(tenant, userId);
    UserInbox inbox = live(user);
    String id = notification.notification().id();
    if (inbox != null && inbox.byId.containsKey(id)) {
      return Future.succeededFuture();
    }
    if (inbox == null) {
      inbox = new UserInbox();
      inboxes.put(user, inbox);
    }
    Entry entry = new Entry(id, notification.position(), notification.notification().canonicalJsonBytes(),
        inbox.scoreOf(notification.position()));
    inbox.add(entry);
    inbox.byId.put(id, entry);
    while (inbox.ordered.size() > inboxSize) {
      inbox.byId.remove(inbox.ordered.remove(0).id);
    }
    inbox.expiresAt = clock.instant().plusSeconds(inboxTtlSecs);
    return Future.succeededFuture();
  }

  @Override
  public synchronized Future<Inbox> unread(String tenant, String userId, int limit) {
    UserInbox inbox = live(StreamKey.userKey(tenant, userId));
    if (inbox == null) {
      return Future.succeededFuture(new Inbox(0, List.of()));
    }
    int clampedLimit = Math.max(1, Math.min(limit, inboxSize));
    List<StoredNotification> latest = new ArrayList<>(Math.min(clampedLimit, inbox.ordered.size()));
    for (int i = inbox.ordered.size() - 1; i >= 0 && latest.size() < clampedLimit; i--) {
      latest.add(inbox.ordered.get(i).decode());
    }
    return Future.succeededFuture(new Inbox(inbox.ordered.size(), List.copyOf(latest)));
  }

  @Override
  public synchronized Future<Boolean> markRead(String tenant, String userId, String notificationId) {
    String user = StreamKey.userKey(tenant, userId);
    UserInbox inbox = live(user);
    Entry removed = inbox == null ? null : inbox.byId.remove(notificationId);
    if (removed == null) {
      return Future.succeededFuture(false);
    }
    inbox.remove(removed);
    // An empty sorted set does not exist in Redis; dropping it here keeps memory bounded by users with unread ones.
    if (inbox.ordered.isEmpty()) {
      inboxes.remove(user);
    }
    return Future.succeededFuture(true);
  }

  /** The user's inbox, or null when there is none or it expired (then it is removed). */
  private UserInbox live(String user) {
    UserInbox inbox = inboxes.get(user);
    if (inbox != null && !clock.instant().isBefore(inbox.expiresAt)) {
      inboxes.remove(user);
      return null;
    }
    return inbox;
  }

  /**
   * An unread notification: its id, position, canonical JSON (as it was given, with or without its position) and
   * score. Kept as bytes, decoded when read, for the reason {@link InMemoryHistoryStore} gives; read back at its
   * position.
   */
  private record Entry(String id, Position position, byte[] json, long score) {
    StoredNotification decode() {
      return new StoredNotification(NotificationCodec.decode(json).withPosition(position.epoch(), position.offset()),
          position);
    }
  }

  /** One user's unread notifications; both collections always hold the same entries. */
  private static final class UserInbox {
    /** Oldest first; equal scores (only possible with inconsistent positions) ordered by id, as in a Redis ZSET. */
    private static final Comparator<Entry> ORDER = Comparator.comparingLong(Entry::score).thenComparing(Entry::id);
    /**
     * Sorted by {@link #ORDER}. A sorted list rather than a tree: a new notification nearly always comes after the
     * newest (its position is the stream's next), so adding is an append, and at most inbox_size entries are kept.
     */
    final List<Entry> ordered = new ArrayList<>();
    final Map<String, Entry> byId = new HashMap<>();
    Instant expiresAt;

    void add(Entry entry) {
      int size = ordered.size();
      if (size == 0 || ORDER.compare(ordered.get(size - 1), entry) < 0) {
        ordered.add(entry);
        return;
      }
      int at = Collections.binarySearch(ordered, entry, ORDER);
      ordered.add(at < 0 ? -at - 1 : at, entry);
    }

    void remove(Entry entry) {
      int at = Collections.binarySearch(ordered, entry, ORDER);
      if (at >= 0) {
        ordered.remove(at);
      }
    }

    /**
     * The score of a new notification: its offset, on the base of the newest unread one when it is of the same
     * epoch, after the newest one when its stream restarted under another epoch (as in {@link RedisInboxStore}).
     */
    long scoreOf(Position position) {
      if (ordered.isEmpty()) {
        return position.offset();
      }
      Entry newest = ordered.get(ordered.size() - 1);
      Position newestPosition = newest.position;
      long base = newestPosition.epoch().equals(position.epoch())
          ? newest.score - newestPosition.offset()
          : newest.score;
      return base + position.offset();
    }
  }
}
