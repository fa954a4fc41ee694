package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.herald.testkit.FuzzChecks;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * Fuzzes the NATS ingress decoder: a message's bytes through {@link NotificationMapper#parseObject} and
 * {@link NotificationMapper#fromNats}, as the ingress verticle maps them. Only {@link InvalidNotificationException}
 * may refuse; what is accepted was exactly one JSON object, goes to the target its fields name, stays within the
 * limits and survives the codec's round trip. Seeds: {@code NatsIngressFuzzITInputs/}.
 */
class NatsIngressFuzzIT {

  private static final NotificationMapper MAPPER =
      new NotificationMapper(Map.of("ethereum", "https://etherscan.io/tx/{hash}"), null);

  @FuzzTest
  void natsMessage(byte[] data) {
    Notification n;
    try {
      n = MAPPER.fromNats(NotificationMapper.parseObject(Buffer.buffer(data)));
    } catch (InvalidNotificationException refused) {
      assertTrue(refused.getMessage().length() <= 200, "a refusal's reason is short");
      return;
    }
    assertTrue(FuzzChecks.isOneJsonValue(data), "accepted what is not one JSON value");
    Target named = IngressChecks.namedTarget((JsonObject) Json.decodeValue(Buffer.buffer(data)));
    assertNotNull(named, "accepted a message that names no target");
    IngressChecks.assertSameTarget(named, n.target());
    IngressChecks.assertAccepted(n, data.length);
  }
}
