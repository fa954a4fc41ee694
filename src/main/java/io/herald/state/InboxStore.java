package io.herald.state;

import io.herald.model.Notification;
import io.vertx.core.Future;

/**
 * Per-user unread notifications, shared by all of the user's devices (Redis keys
 * {@code <prefix>:unread:<u>}, a sorted set of notification ids by offset, and {@code <prefix>:inbox:<u>}, a hash
 * id → notification JSON; both capped at {@code inboxSize} entries, oldest dropped, TTL {@code inboxTtlSecs}).
 */
public interface InboxStore {

  /**
   * Records a user notification as unread (idempotent per notification id). The notification may come with or
   * without its position: it is read back at the record's position.
   */
  Future<Void> addUnread(String tenant, String userId, StoredNotification notification);

  /** The unread count and the {@code limit} most recent unread notifications, newest first. */
  Future<Inbox> unread(String tenant, String userId, int limit);

  /** Marks one notification read; true when it was unread (false when unknown or already read). */
  Future<Boolean> markRead(String tenant, String userId, String notificationId);
}
