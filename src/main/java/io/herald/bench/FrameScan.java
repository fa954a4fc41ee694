package io.herald.bench;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * Reads what the benchmark needs from a server frame without a full JSON parse: its {@code type} (the server writes
 * it first) and, for a {@code Notification}, {@code details.bench_target}, {@code bench_seq} and
 * {@code bench_sent_ns}, and its history position ({@code stream}, {@code epoch}, {@code offset}, written after the
 * details). Frames of another shape fall back to a JSON parse, so the scan is a shortcut, never a guess.
 *
 * <p>A frame with no {@code type} at all is the raw forwarder baseline's (scripts/bench, README Performance): the
 * benchmark's own ingress payload, passed on unchanged. It counts as a notification, without a position, when it
 * carries the benchmark's fields; Herald's frames always have a type, so its runs are read as before.
 */
public final class FrameScan {

  /**
   * What a frame said. {@code stream} is null when the notification carries no benchmark fields; {@code history}
   * (user, topic or broadcast) and {@code epoch} are null, and {@code offset} 0, when it carries no position.
   */
  public record Frame(String type, String stream, long seq, long sentNs, String history, String epoch, long offset) {

    static Frame other(String type) {
      return new Frame(type, null, 0, 0, null, null, 0);
    }

    public boolean isNotification() {
      return "Notification".equals(type);
    }

    /** Whether it is a notification of the receiver's user stream with its position. */
    public boolean hasUserPosition() {
      return "user".equals(history) && epoch != null;
    }
  }

  private static final byte[] TYPE = bytes("{\"type\":\"");
  private static final byte[] TYPE_KEY = bytes("\"type\":");
  private static final byte[] TARGET = bytes("\"bench_target\":\"");
  private static final byte[] SEQ = bytes("\"bench_seq\":");
  private static final byte[] SENT = bytes("\"bench_sent_ns\":");
  private static final byte[] HISTORY = bytes("\"stream\":\"");
  private static final byte[] EPOCH = bytes("\"epoch\":\"");
  private static final byte[] OFFSET = bytes("\"offset\":");

  private FrameScan() {
  }

  public static Frame scan(byte[] b) {
    if (!startsWith(b, TYPE, 0)) {
      return find(b, TYPE_KEY, 0) < 0 ? notification(b, 0) : parse(b);
    }
    int end = indexOf(b, (byte) '"', TYPE.length);
    if (end < 0) {
      return parse(b);
    }
    String type = new String(b, TYPE.length, end - TYPE.length, StandardCharsets.US_ASCII);
    if (!"Notification".equals(type)) {
      return Frame.other(type);
    }
    return notification(b, end);
  }

  /** A notification's benchmark fields and position, read from {@code from} on (a full parse when they are not all there). */
  private static Frame notification(byte[] b, int from) {
    String type = "Notification";
    int t = find(b, TARGET, from);
    int s = find(b, SEQ, from);
    int n = find(b, SENT, from);
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
    // The position follows the details (and the benchmark's fields in them).
    int h = find(b, HISTORY, n);
    if (h < 0) {
      return new Frame(type, stream, seq, sent, null, null, 0);
    }
    int hEnd = indexOf(b, (byte) '"', h);
    int e = find(b, EPOCH, h);
    int eEnd = e < 0 ? -1 : indexOf(b, (byte) '"', e);
    int o = find(b, OFFSET, h);
    long offset = o < 0 ? Long.MIN_VALUE : number(b, o);
    if (hEnd < 0 || eEnd < 0 || offset == Long.MIN_VALUE) {
      return parse(b);
    }
    return new Frame(type, stream, seq, sent, new String(b, h, hEnd - h, StandardCharsets.UTF_8),
        new String(b, e, eEnd - e, StandardCharsets.UTF_8), offset);
  }

  /** The slow path: a full parse. */
  static Frame parse(byte[] b) {
    JsonObject json;
    try {
      json = new JsonObject(new String(b, StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return Frame.other("?");
    }
    // No type at all: the raw forwarder's unchanged payload, a notification if it carries the benchmark's fields.
    String type = json.getValue("type") instanceof String s ? s : json.containsKey("type") ? "?" : "Notification";
    JsonObject details = json.getValue("details") instanceof JsonObject d ? d : null;
    if (!"Notification".equals(type) || details == null
        || !(details.getValue("bench_target") instanceof String stream)
        || !(details.getValue("bench_seq") instanceof Number seq)
        || !(details.getValue("bench_sent_ns") instanceof Number sent)) {
      return Frame.other(type);
    }
    boolean positioned = json.getValue("stream") instanceof String && json.getValue("epoch") instanceof String
        && json.getValue("offset") instanceof Number;
    return new Frame(type, stream, seq.longValue(), sent.longValue(), positioned ? json.getString("stream") : null,
        positioned ? json.getString("epoch") : null, positioned ? json.getLong("offset") : 0);
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
