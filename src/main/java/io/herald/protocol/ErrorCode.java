package io.herald.protocol;

/**
 * The catalogue of {@code code} values of {@code Error} frames (and of the per-stream {@code error} of a resume's
 * answer). An Error leaves the connection open unless it is followed by a close frame (see {@link CloseCode}).
 */
public enum ErrorCode {
  /** The frame is not valid JSON, not a JSON object, or has no string {@code type}. */
  MALFORMED("malformed"),
  /** The {@code type} names no client message. */
  UNKNOWN_TYPE("unknown_type"),
  /** A field has the wrong type or an invalid value (e.g. a topic name with forbidden characters). */
  INVALID("invalid"),
  /** Binary frames are not part of the protocol. */
  UNSUPPORTED("unsupported"),
  /** The message needs an authenticated connection. */
  NOT_AUTHENTICATED("not_authenticated"),
  /** Authenticate was sent on an authenticated connection. */
  ALREADY_AUTHENTICATED("already_authenticated"),
  /** The token is invalid or expired (Authenticate fails with a close; Refresh keeps the old token). */
  TOKEN_INVALID("token_invalid"),
  /** The token is valid but not allowed: a topic not granted, a Refresh for another user. */
  FORBIDDEN("forbidden"),
  /** The client sends faster than {@code rate_limit_per_sec}; the message was dropped. */
  RATE_LIMITED("rate_limited"),
  /** The per-node or per-user connection limit is reached (followed by close 4029). */
  CONNECTION_LIMIT("connection_limit"),
  /** The frame exceeded {@code max_frame_bytes} (followed by close 1009). */
  TOO_LARGE("too_large"),
  /** The server could not complete the request (e.g. Redis unreachable for a Knox token). */
  UNAVAILABLE("unavailable"),
  /**
   * A Resume named a topic stream the connection has not joined: it is not replayed. Only in the per-stream answer of
   * Resumed and {@code herald.client.resume}, never an Error frame.
   */
  NOT_SUBSCRIBED("not_subscribed");

  private final String wireName;

  ErrorCode(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }
}
