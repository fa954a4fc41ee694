package io.herald.model;

/**
 * Makes a string that someone else chose (a client's Origin or request URI, a Redis channel name, a peer address)
 * safe to put in a log line: control and non-ASCII characters are escaped, so a value cannot forge a log line or
 * hide in one, and the result is bounded, so a value cannot flood the log.
 */
public final class LogText {

  /** Longest escaped text kept from one value, in characters = {@value}. */
  public static final int MAX_CHARS = 200;

  private LogText() {
  }

  /** The value escaped ({@code \n}, {@code \\u0000}...) and cut to {@link #MAX_CHARS}; {@code -} for null. */
  public static String of(String value) {
    return value == null ? "-" : escape(value, MAX_CHARS);
  }

  /**
   * The value escaped, cut to {@code maxChars} and in double quotes, for a value that may be empty or contain spaces
   * (a client's message type, an address); {@code null} for null.
   */
  public static String quoted(String value, int maxChars) {
    return value == null ? "null" : '"' + escape(value, maxChars) + '"';
  }

  private static String escape(String value, int maxChars) {
    StringBuilder out = new StringBuilder(Math.min(value.length(), maxChars) + 16);
    int i = 0;
    for (; i < value.length() && out.length() < maxChars; i++) {
      char ch = value.charAt(i);
      switch (ch) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        default -> {
          if (ch < 0x20 || ch > 0x7e) {
            out.append(String.format("\\u%04x", (int) ch));
          } else {
            out.append(ch);
          }
        }
      }
    }
    if (i < value.length()) {
      out.append("...(").append(value.length() - i).append(" more)");
    }
    return out.toString();
  }
}
