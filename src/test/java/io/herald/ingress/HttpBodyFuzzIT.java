package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.testkit.FuzzChecks;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the HTTP API's body decoder ({@link NotificationMapper#fromHttpBody}, what {@code POST /api/v1/notifications}
 * maps): only {@link InvalidNotificationException} may refuse; an accepted body was exactly one JSON object or array
 * of at most {@value NotificationMapper#MAX_HTTP_BATCH} objects, and its i-th notification goes to the target the i-th
 * object names, within the limits, losslessly encoded. Seeds: {@code HttpBodyFuzzITInputs/}.
 */
class HttpBodyFuzzIT {

  private static final NotificationMapper MAPPER =
      new NotificationMapper(Map.of("ethereum", "https://etherscan.io/tx/{hash}"), null);

  @FuzzTest
  void httpBody(byte[] body) {
    List<Notification> batch;
    try {
      batch = MAPPER.fromHttpBody(Buffer.buffer(body));
    } catch (InvalidNotificationException refused) {
      assertTrue(refused.getMessage().length() <= 200, "a refusal's reason is short");
      return;
    }
    assertTrue(FuzzChecks.isOneJsonValue(body), "accepted a body that is not one JSON value");
    Object parsed = Json.decodeValue(Buffer.buffer(body));
    List<?> elements = parsed instanceof JsonArray array ? array.getList() : List.of(parsed);
    assertEquals(elements.size(), batch.size(), "one notification per element");
    assertTrue(batch.size() <= NotificationMapper.MAX_HTTP_BATCH, "batch size");
    for (int i = 0; i < batch.size(); i++) {
      Object element = parsed instanceof JsonArray array ? array.getValue(i) : parsed;
      IngressChecks.assertSameTarget(IngressChecks.namedTarget((JsonObject) element), batch.get(i).target());
      IngressChecks.assertAccepted(batch.get(i), body.length);
    }
  }
}
