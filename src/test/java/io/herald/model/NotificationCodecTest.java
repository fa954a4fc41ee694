package io.herald.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.herald.testkit.FuzzChecks;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NotificationCodecTest {

  private static final String VALID =
      "{\"id\":\"n-1\",\"tenant_id\":\"acme\",\"user_ids\":[\"u1\"],\"message\":\"m\",\"details\":{},"
          + "\"timestamp\":\"2024-01-01T00:00:00Z\",\"actions\":[]}";

  /**
   * The stored and forwarded form was trusted: anything else escaped as a ClassCastException, NullPointerException,
   * DecodeException or DateTimeParseException, and an id no ingress accepts (a tenant with a dot, which would make the
   * address ambiguous) was rebuilt as is. Found writing {@code NotificationCodecFuzzIT}.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "", "not json", "[]", "{}",
      "{\"id\":\"n-1\",\"tenant_id\":\"a.b\",\"broadcast\":true,\"timestamp\":\"2024-01-01T00:00:00Z\"}",
      "{\"id\":\"n-1\",\"tenant_id\":\"acme\",\"user_ids\":[\"u 1\"],\"timestamp\":\"2024-01-01T00:00:00Z\"}",
      "{\"id\":\"n-1\",\"tenant_id\":\"acme\",\"user_ids\":\"u1\",\"timestamp\":\"2024-01-01T00:00:00Z\"}",
      "{\"id\":\"n-1\",\"tenant_id\":\"acme\",\"topic\":5,\"timestamp\":\"2024-01-01T00:00:00Z\"}",
      "{\"id\":5,\"tenant_id\":\"acme\",\"broadcast\":true,\"timestamp\":\"2024-01-01T00:00:00Z\"}",
      "{\"id\":\"n-1\",\"tenant_id\":\"acme\",\"broadcast\":true,\"timestamp\":\"yesterday\"}",
      "{\"id\":\"n-1\",\"tenant_id\":\"acme\",\"broadcast\":true,\"timestamp\":\"2024-01-01T00:00:00Z\",\"actions\":[1]}",
      "{\"id\":\"n-1\",\"tenant_id\":\"acme\",\"broadcast\":true,\"timestamp\":\"2024-01-01T00:00:00Z\",\"offset\":\"x\"}",
      "{\"id\":\"n-1\",\"tenant_id\":\"acme\",\"broadcast\":true,\"timestamp\":\"2024-01-01T00:00:00Z\",\"details\":{\"x\":1e400}}"})
  void anythingButTheCanonicalFormIsRefused(String stored) {
    assertThrows(InvalidNotificationException.class, () -> NotificationCodec.decode(stored.getBytes(StandardCharsets.UTF_8)));
  }

  /** A length beyond the buffer (or no length) escaped as IndexOutOfBoundsException from the clustered event bus. */
  @Test
  void aWireFormWhoseLengthDoesNotFitIsRefused() {
    NotificationCodec codec = new NotificationCodec();
    byte[] json = VALID.getBytes(StandardCharsets.UTF_8);
    assertThrows(InvalidNotificationException.class, () -> codec.decodeFromWire(0, Buffer.buffer(new byte[] {0, 0})));
    assertThrows(InvalidNotificationException.class,
        () -> codec.decodeFromWire(0, Buffer.buffer().appendInt(json.length + 1).appendBytes(json)));
    assertThrows(InvalidNotificationException.class,
        () -> codec.decodeFromWire(0, Buffer.buffer().appendInt(-1).appendBytes(json)));
    Buffer wire = Buffer.buffer("xy").appendInt(json.length).appendBytes(json);
    assertEquals(new Target.Users("acme", List.of("u1")), codec.decodeFromWire(2, wire).target());
  }

  @Test
  void theCanonicalFormRoundTrips() {
    Notification n = NotificationCodec.decode(VALID.getBytes(StandardCharsets.UTF_8));
    assertEquals(new Target.Users("acme", List.of("u1")), n.target());
    FuzzChecks.assertRoundTrip(n);
    Notification positioned = Notification.builder().id("n-2").target(new Target.Broadcast("t"))
        .timestamp(Instant.parse("+10000-01-01T00:00:00Z")).message("\ud800 lone surrogate").build().withPosition("e", 7);
    assertEquals(7, FuzzChecks.assertRoundTrip(positioned).offset());
  }
}
