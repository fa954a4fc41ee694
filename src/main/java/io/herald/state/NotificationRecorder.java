package io.herald.state;

import io.herald.model.Notification;
import io.vertx.core.Future;

/**
 * The writes the ingress makes for each notification, once, on the node where it entered the fleet: its history
 * (and, for a user, the offline queue and the inbox). Writes take effect in the order they are made, so a caller
 * need not wait for one to complete before making the next: a stream's offsets follow the order of the calls,
 * and the futures of one caller complete in that order too.
 */
public interface NotificationRecorder {

  /**
   * In one atomic step of the backing store: appends the notification to the user's stream and, when the user has no
   * live session anywhere, to the offline queue — as {@link HistoryStore#appendForUser} — and records it unread in the
   * user's inbox at that position, as {@link InboxStore#addUnread} does with the notification at its position.
   *
   * @param notification the notification as it entered, without a position
   * @return where it was appended and whether it was queued; failed when nothing is known to have been written
   */
  Future<AppendResult> recordForUser(String tenant, String userId, Notification notification);

  /**
   * Appends the notification to a topic or broadcast stream, as {@link HistoryStore#append}.
   *
   * @param notification the notification as it entered, without a position
   */
  Future<Position> recordForStream(StreamKey stream, Notification notification);
}
