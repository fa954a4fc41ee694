package io.herald.model;

/** An ingress message that cannot become a {@link Notification}; the message says why, never what the payload held. */
public final class InvalidNotificationException extends RuntimeException {

  public InvalidNotificationException(String reason) {
    super(reason, null, false, false);
  }
}
