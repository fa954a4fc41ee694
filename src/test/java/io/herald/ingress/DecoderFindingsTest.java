package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.herald.model.InvalidNotificationException;
import io.herald.model.JsonLimits;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.herald.testkit.FuzzChecks;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ingress decoders' findings from writing and running the fuzz targets ({@code *FuzzIT}), one regression each; the
 * inputs are in the targets' corpus too.
 */
class DecoderFindingsTest {

  private static final NotificationMapper MAPPER = new NotificationMapper(Map.of(), "notifications");

  /** The HTTP body was read as the first element of {@code "[" + body + "]"}: anything after the first value passed. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"broadcast\":true,\"message\":\"m\"}, {\"user_id\":\"victim\"}",
      "{\"user_id\":\"u1\",\"message\":\"m\"}, 5",
      "[{\"user_id\":\"u1\",\"message\":\"m\"}], \"x\""})
  void anHttpBodyIsOneJsonValueAndNothingAfterIt(String body) {
    InvalidNotificationException refused =
        assertThrows(InvalidNotificationException.class, () -> MAPPER.fromHttpBody(Buffer.buffer(body)));
    assertEquals("body is not valid JSON", refused.getMessage());
  }

  @Test
  void anHttpBatchMapsEveryElementToItsOwnTarget() {
    List<Notification> batch = MAPPER.fromHttpBody(Buffer.buffer(
        "[{\"user_id\":\"u1\",\"message\":\"a\"},{\"topic\":\"news\",\"tenant_id\":\"acme\",\"message\":\"b\"}]"));
    assertEquals(new Target.Users("default", List.of("u1")), batch.get(0).target());
    assertEquals(new Target.Topic("acme", "news"), batch.get(1).target());
  }

  /** 1e400 was read as infinity and stored and delivered as the string "Infinity": not what was published. */
  @Test
  void aNumberBeyondADoubleIsRefused() {
    for (String msg : List.of("{\"user_id\":\"u1\",\"details\":{\"x\":1e400}}",
        "{\"user_id\":\"u1\",\"payload\":{\"triggered_value\":-1e999,\"threshold\":1}}")) {
      InvalidNotificationException refused = assertThrows(InvalidNotificationException.class,
          () -> MAPPER.fromNats(NotificationMapper.parseObject(Buffer.buffer(msg))));
      assertEquals("payload: a number out of range", refused.getMessage());
    }
    assertThrows(InvalidNotificationException.class, () -> MAPPER.fromRedis("notifications:global",
        NotificationMapper.parseObject(Buffer.buffer("{\"type\":\"TIP\",\"payload\":{\"x\":[1E400]}}"))));
  }

  /**
   * Details nested up to Jackson's read limit (1,000 levels) were accepted, and the forms that wrap them deeper (a
   * queue item, a bridge envelope) could then no longer be read back: the nesting is bounded far below.
   */
  @Test
  void nestingIsBounded() {
    // The message is level 1, its details level 2, the arrays in them the levels after.
    String atLimit = "{\"user_id\":\"u1\",\"details\":{\"x\":" + nested(JsonLimits.MAX_DEPTH - 2) + "}}";
    Notification n = MAPPER.fromNats(NotificationMapper.parseObject(Buffer.buffer(atLimit)));
    FuzzChecks.assertRoundTrip(n);
    String over = "{\"user_id\":\"u1\",\"details\":{\"x\":" + nested(JsonLimits.MAX_DEPTH - 1) + "}}";
    InvalidNotificationException refused = assertThrows(InvalidNotificationException.class,
        () -> MAPPER.fromNats(NotificationMapper.parseObject(Buffer.buffer(over))));
    assertEquals("payload: nested deeper than " + JsonLimits.MAX_DEPTH + " levels", refused.getMessage());
  }

  /** The message was held to 4,096 characters only when given as "message": alert_name or the payload bypassed it. */
  @Test
  void theMessageLimitHoldsWhateverTheMessageIsMadeOf() {
    String longText = "x".repeat(MessageFields.MAX_MESSAGE_LENGTH + 1);
    JsonObject byName = new JsonObject().put("user_id", "u1").put("alert_name", longText);
    assertEquals("alert_name: longer than 4096 characters",
        assertThrows(InvalidNotificationException.class, () -> MAPPER.fromNats(byName)).getMessage());
    JsonObject byPayload = new JsonObject().put("user_id", "u1")
        .put("payload", new JsonObject().put("triggered_value", longText).put("threshold", 1));
    assertEquals("message (from payload.triggered_value and payload.threshold): longer than 4096 characters",
        assertThrows(InvalidNotificationException.class, () -> MAPPER.fromNats(byPayload)).getMessage());
    JsonObject justUnder = new JsonObject().put("user_id", "u1").put("alert_name", longText.substring(1));
    assertEquals(MessageFields.MAX_MESSAGE_LENGTH, MAPPER.fromNats(justUnder).message().length());
  }

  /** {@code depth} levels of arrays, the outermost being level 1. */
  private static String nested(int depth) {
    return "[".repeat(depth) + "]".repeat(depth);
  }
}
