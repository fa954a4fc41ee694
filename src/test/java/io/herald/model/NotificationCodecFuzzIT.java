package io.herald.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.herald.testkit.FuzzChecks;

/**
 * Fuzzes the codec the state stores and the clustered event bus use: arbitrary bytes to
 * {@link NotificationCodec#decode(byte[])} may only be refused with {@link InvalidNotificationException}; what decodes
 * names a valid target, and encodes and decodes again to the same bytes (canonical and client frame). The ingress
 * targets check the round trip of every notification they map as well. Seeds (canonical forms):
 * {@code NotificationCodecFuzzITInputs/}.
 */
class NotificationCodecFuzzIT {

  @FuzzTest
  void decode(byte[] canonical) {
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
  }
}
