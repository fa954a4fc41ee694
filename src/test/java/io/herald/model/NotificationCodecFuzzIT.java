package io.herald.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.herald.testkit.FuzzChecks;
import io.vertx.core.buffer.Buffer;

/**
 * Fuzzes the codec the state stores and the clustered event bus use: arbitrary bytes to
 * {@link NotificationCodec#decode(byte[])} and, read as a length and a form,
 * {@link NotificationCodec#decodeFromWire} may only be refused with {@link InvalidNotificationException}; what decodes
 * names a valid target, and encodes and decodes again to the same bytes (canonical and client frame). The ingress
 * targets check the round trip of every notification they map as well. Seeds (canonical forms):
 * {@code NotificationCodecFuzzITInputs/}.
 */
class NotificationCodecFuzzIT {

  private static final NotificationCodec CODEC = new NotificationCodec();

  @FuzzTest
  void decode(byte[] canonical) {
    decodeFromWire(canonical);
    Notification n;
    try {
      n = NotificationCodec.decode(canonical);
    } catch (InvalidNotificationException refused) {
      assertTrue(refused.getMessage().length() <= 200, "a refusal's reason is short");
      return;
    }
    assertTrue(FuzzChecks.isOneJsonValue(canonical), "decoded what is not one JSON value");
    FuzzChecks.assertValidTarget(n.target(), Integer.MAX_VALUE);
    FuzzChecks.assertRoundTrip(n);
    Buffer wire = Buffer.buffer("prefix");
    CODEC.encodeToWire(wire, n);
    assertArrayEquals(n.canonicalJsonBytes(), CODEC.decodeFromWire(6, wire).canonicalJsonBytes(), "wire round trip");
  }

  /** The same bytes as the event bus hands them over: a length, then (perhaps) a canonical form. */
  private static void decodeFromWire(byte[] wire) {
    Notification n;
    try {
      n = CODEC.decodeFromWire(0, Buffer.buffer(wire));
    } catch (InvalidNotificationException refused) {
      return;
    }
    FuzzChecks.assertValidTarget(n.target(), Integer.MAX_VALUE);
    FuzzChecks.assertRoundTrip(n);
  }
}
