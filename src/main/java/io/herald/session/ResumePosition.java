package io.herald.session;

import io.vertx.core.json.JsonObject;

/**
 * A client's position in its user stream, sent with {@code Authenticate} or {@code Resume}: the epoch and the
 * last offset it received. An offset of 0 means it has received nothing yet.
 */
public record ResumePosition(String epoch, long lastOffset) {

  /** Longest accepted epoch, in characters. */
  public static final int MAX_EPOCH_LENGTH = 64;

  /**
   * Largest offset a client may give as a floating-point number (2^53): past it a double no longer holds every
   * integer, so {@code 4.2777777777777779E17} would be read as an offset its sender never wrote.
   */
  static final long MAX_EXACT_DOUBLE = 1L << 53;

  /**
   * The position in a message's {@code epoch} and {@code last_offset}; null when either is malformed. The offset is
   * a non-negative integer: an integral JSON number, or a whole floating-point one up to {@link #MAX_EXACT_DOUBLE}.
   */
  public static ResumePosition fromMessage(JsonObject message) {
    Object epoch = message.getValue("epoch");
    Object offset = message.getValue("last_offset");
    if (!(offset instanceof Number number) || number.longValue() < 0 || number.doubleValue() != number.longValue()
        || (!(number instanceof Integer || number instanceof Long) && number.longValue() > MAX_EXACT_DOUBLE)) {
      return null;
    }
    if (epoch == null && number.longValue() == 0) {
      return new ResumePosition("", 0);
    }
    if (!(epoch instanceof String text) || text.isEmpty() || text.length() > MAX_EPOCH_LENGTH) {
      return null;
    }
    return new ResumePosition(text, number.longValue());
  }
}
