package io.herald.state;

import java.util.List;

/** A user's unread notifications: the total count and the most recent ones, newest first. */
public record Inbox(int unreadCount, List<StoredNotification> latest) {
}
