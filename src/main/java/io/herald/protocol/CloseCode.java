package io.herald.protocol;

/**
 * The catalogue of WebSocket close codes Herald sends, with whether a client should reconnect.
 * The README's table is generated from the same facts; keep both in step.
 */
public enum CloseCode {
  /** The client or server ended the session on purpose. */
  NORMAL(1000, "normal", false),
  /** The node is shutting down or draining; reconnect (through the load balancer) to another node. */
  SHUTDOWN(1001, "node shutting down, reconnect", true),
  /** A frame or message was larger than {@code max_frame_bytes}. Reconnect, but fix the sender. */
  FRAME_TOO_LARGE(1009, "frame too large", true),
  /** An unexpected server error. Reconnect with backoff. */
  INTERNAL_ERROR(1011, "internal error", true),
  /** A dependency the request needs (e.g. the Knox token store) is unavailable. Reconnect with backoff. */
  TRY_AGAIN_LATER(1013, "try again later", true),
  /** No token, or the first message was not a well-formed Authenticate. Reconnect with a token. */
  AUTH_MISSING(4000, "authentication missing or malformed", true),
  /** The token is invalid or expired. Reconnect only with a fresh token. */
  TOKEN_INVALID(4001, "token invalid or expired", true),
  /** The user is not allowed here (origin, tenant, permission). Do not reconnect. */
  FORBIDDEN(4003, "forbidden", false),
  /** No Authenticate within {@code auth_timeout_secs}. Reconnect and authenticate at once. */
  AUTH_TIMEOUT(4008, "authentication timeout", true),
  /** The client could not keep up: its write queue stayed full. Reconnect; it may have missed notifications. */
  SLOW_CLIENT(4010, "slow client", true),
  /** Nothing was received (no pong, frame or message) for {@code connection_timeout_secs}. Reconnect. */
  CONNECTION_TIMEOUT(4011, "connection timeout", true),
  /**
   * The node lost its fleet (it sees fewer members than {@code cluster_min_members}, e.g. a network partition cut it
   * off): reconnect through the load balancer, which routes to a node that still has its fleet, and resume.
   */
  ISOLATED(4012, "node isolated from its fleet: reconnect", true),
  /** Connection limit (per node or per user) or persistent rate-limit excess. Reconnect with backoff. */
  LIMIT_EXCEEDED(4029, "connection limit or rate limit exceeded", true);

  private final short code;
  private final String reason;
  private final boolean reconnect;

  CloseCode(int code, String reason, boolean reconnect) {
    this.code = (short) code;
    this.reason = reason;
    this.reconnect = reconnect;
  }

  public short code() {
    return code;
  }

  /** The default reason text sent in the close frame. */
  public String reason() {
    return reason;
  }

  /** Whether a client library should reconnect after this close. */
  public boolean reconnect() {
    return reconnect;
  }
}
