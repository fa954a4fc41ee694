package io.herald.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * How a WebSocket ended, as seen by a test client.
 *
 * @param code   the status code of the close frame, or {@code null} when the connection ended without a close
 *               frame (TCP closed / reset: what browsers report as 1006)
 * @param reason the reason text of the close frame ({@code ""} when the frame had none), {@code null} when
 *               there was no close frame
 */
public record CloseInfo(Short code, String reason) {

  /** True when the connection ended without a close frame (1006-like). */
  public boolean abnormal() {
    return code == null;
  }

  /** The code as an int, or 1006 when there was no close frame. */
  public int codeOr1006() {
    return code == null ? 1006 : code & 0xFFFF;
  }

  /** Asserts that the close carried {@code code} and {@code reason}. */
  public static void assertClosed(CloseInfo close, int code, String reason) {
    assertEquals(code, close.codeOr1006(), close.toString());
    assertEquals(reason, close.reason(), close.toString());
  }
}
