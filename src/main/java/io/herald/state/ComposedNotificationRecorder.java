package io.herald.state;

import io.herald.model.Notification;
import io.vertx.core.Future;

/**
 * {@link NotificationRecorder} made of a history store and an inbox store, one call after the other. For stores
 * whose calls complete at once, in the order they are made (the in-memory ones of an embedded node): then the
 * user's two writes follow each other without anything in between, and the calls keep their order.
 */
public final class ComposedNotificationRecorder implements NotificationRecorder {

  private final HistoryStore history;
  private final InboxStore inbox;

  public ComposedNotificationRecorder(HistoryStore history, InboxStore inbox) {
    this.history = history;
    this.inbox = inbox;
  }

  @Override
  public Future<AppendResult> recordForUser(String tenant, String userId, Notification notification) {
    // The inbox gets the notification as it entered, with its position: an in-memory inbox keeps the bytes the
    // history encoded, and gives the notification back at its position.
    return history.appendForUser(tenant, userId, notification)
        .compose(appended -> appended.duplicate() ? Future.succeededFuture(appended)
            : inbox.addUnread(tenant, userId, new StoredNotification(notification, appended.position())).map(appended));
  }

  @Override
  public Future<Position> recordForStream(StreamKey stream, Notification notification) {
    return history.append(stream, notification);
  }
}
