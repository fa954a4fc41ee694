package io.herald.bench;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * Reads what the benchmark needs from a server frame without a full JSON parse: its {@code type} (the server writes
 * it first) and, for a {@code Notification}, {@code details.bench_target}, {@code bench_seq} and
 * {@code bench_sent_ns}. Frames of another shape fall back to a JSON parse, so the scan is a shortcut, never a guess.
 */
public final class FrameScan {

  /** What a frame said. {@code stream} is null when the notification carries no benchmark fields. */
  public record Frame(String type, String stream, long seq, long sentNs) {
    public boolean isNotification() {
      return "Notification".equals(type);
    }
  }

  private static final byte[] TYPE = bytes("{\"type\":\"");
  private static final byte[] TARGET = bytes("\"bench_target\":\"");
  private static final byte[] SEQ = bytes("\"bench_seq\":");
  private static final byte[] SENT = bytes("\"bench_sent_ns\":");

  private FrameScan() {
  }

  public static Frame scan(byte[] b) {
    if (!startsWith(b, TYPE, 0)) {
      return parse(b);
    }
    int end = indexOf(b, (byte) '"', TYPE.length);
    if (end < 0) {
      return parse(b);
    }
    String type = new String(b, TYPE.length, end - TYPE.length, StandardCharsets.US_ASCII);
    if (!"Notification".equals(type)) {
      return new Frame(type, null, 0, 0);
    }
    int t = find(b, TARGET, end);
    int s = find(b, SEQ, end);
    int n = find(b, SENT, end);
    if (t < 0 || s < 0 || n < 0) {
      return parse(b);
    }
    int tEnd = indexOf(b, (byte) '"', t);
    if (tEnd < 0) {
      return parse(b);
    }
    String stream = new String(b, t, tEnd - t, StandardCharsets.UTF_8);
    long seq = number(b, s);
    long sent = number(b, n);
    if (seq == Long.MIN_VALUE || sent == Long.MIN_VALUE) {
      return parse(b);
    }
    return new Frame(type, stream, seq, sent);
  }

  /** The slow path: a full parse. */
  static Frame parse(byte[] b) {
    JsonObject json;
    try {
      json = new JsonObject(new String(b, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return new Frame("?", null, 0, 0);
    }
    String type = json.getValue("type") instanceof String s ? s : "?";
    JsonObject details = json.getValue("details") instanceof JsonObject d ? d : null;
    if (!"Notification".equals(type) || details == null
        || !(details.getValue("bench_target") instanceof String stream)
        || !(details.getValue("bench_seq") instanceof Number seq)
        || !(details.getValue("bench_sent_ns") instanceof Number sent)) {
      return new Frame(type, null, 0, 0);
    }
    return new Frame(type, stream, seq.longValue(), sent.longValue());
  }

  private static long number(byte[] b, int from) {
    int i = from;
    while (i < b.length && b[i] == ' ') {
      i++;
    }
    long v = 0;
    int start = i;
    while (i < b.length && b[i] >= '0' && b[i] <= '9') {
      v = v * 10 + (b[i] - '0');
      i++;
    }
    return i == start ? Long.MIN_VALUE : v;
  }

  /** Index just after the first occurrence of the needle at or after from; -1 if none. */
  private static int find(byte[] b, byte[] needle, int from) {
    outer:
    for (int i = from; i <= b.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (b[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i + needle.length;
    }
    return -1;
  }

  private static int indexOf(byte[] b, byte c, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] b, byte[] prefix, int at) {
    if (b.length - at < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
