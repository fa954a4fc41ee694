package io.herald.state;

import io.herald.model.Notification;

/** A notification read back from a history stream or the offline queue, with its position in its stream. */
public record StoredNotification(Notification notification, Position position) {
}
