package io.herald.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogTextTest {

  @Test
  void plainTextIsKept() {
    assertEquals("notifications:user:alice", LogText.of("notifications:user:alice"));
    assertEquals("-", LogText.of(null));
  }

  @Test
  void lineBreaksAndControlCharactersCannotForgeALogLine() {
    String forged = LogText.of("x\r\n2026-12-03 ERROR admin logged in\u0000\u001b[31m\\");
    assertFalse(forged.contains("\n") || forged.contains("\r") || forged.contains("\u0000") || forged.contains("\u001b"),
        forged);
    assertEquals("x\\r\\n2026-12-03 ERROR admin logged in\\u0000\\u001b[31m\\\\", forged);
  }

  @Test
  void nonAsciiIsEscapedSoNothingHidesInTheLine() {
    assertEquals("caf\\u00e9\\u202e", LogText.of("café\u202e"));
  }

  @Test
  void longValuesAreBoundedAndSayHowMuchWasCut() {
    String escaped = LogText.of("a".repeat(10_000));
    assertTrue(escaped.length() < LogText.MAX_CHARS + 32, escaped.length() + " characters");
    assertTrue(escaped.endsWith("...(9800 more)"), escaped.substring(LogText.MAX_CHARS));
  }

  @Test
  void quotedTextKeepsItsBoundariesVisible() {
    assertEquals("\"\"", LogText.quoted("", 64));
    assertEquals("null", LogText.quoted(null, 64));
    assertEquals("\"say \\\"hi\\\"\\n\"", LogText.quoted("say \"hi\"\n", 64));
    assertEquals("\"abcd...(6 more)\"", LogText.quoted("abcdefghij", 4));
  }
}
