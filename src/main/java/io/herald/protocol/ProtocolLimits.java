package io.herald.protocol;

/** Limits of the client protocol that every transport ({@code /ws}, the bridge) applies the same way. */
public final class ProtocolLimits {

  /** Most topics one connection may hold = {@value}. */
  public static final int MAX_TOPICS_PER_CONNECTION = 256;

  /** Most notifications one unread request (GetUnread, {@code herald.client.unread}) returns = {@value}. */
  public static final int MAX_UNREAD_LIMIT = 100;

  private ProtocolLimits() {
  }
}
