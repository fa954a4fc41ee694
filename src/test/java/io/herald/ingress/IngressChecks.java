package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Ids;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.herald.testkit.FuzzChecks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/** What the ingress fuzz targets check of every notification the mapper accepts, read from the README's rules. */
final class IngressChecks {

  private IngressChecks() {
  }

  /** The target the message's own fields name (README, *Ingress formats*), or null when they name none. */
  static Target namedTarget(JsonObject msg) {
    String tenant = msg.getValue("tenant_id") instanceof String t && !t.isEmpty() ? t : Ids.DEFAULT_TENANT;
    Object userId = msg.getValue("user_id");
    Object userIds = msg.getValue("user_ids");
    if (userId != null || userIds != null) {
      Set<String> ids = new LinkedHashSet<>();
      if (userId != null) {
        ids.add((String) userId);
      }
      if (userIds instanceof JsonArray array) {
        array.forEach(id -> ids.add((String) id));
      }
      return new Target.Users(tenant, new ArrayList<>(ids));
    }
    if (msg.getValue("topic") instanceof String topic) {
      return new Target.Topic(tenant, topic);
    }
    if (Boolean.TRUE.equals(msg.getValue("broadcast"))) {
      return new Target.Broadcast(tenant);
    }
    return null;
  }

  /**
   * A notification the ingress accepted: a valid target, fields within the documented limits, no more than a few
   * times the input's size (nothing is amplified), and a lossless round trip through the codec.
   */
  static void assertAccepted(Notification n, int inputBytes) {
    FuzzChecks.assertValidTarget(n.target(), TargetFields.MAX_USER_IDS);
    assertTrue(n.id().length() <= MessageFields.MAX_ID_LENGTH, "id length");
    assertTrue(n.alertId() == null || n.alertId().length() <= AlertFormat.MAX_ALERT_ID_LENGTH, "alert_id length");
    assertTrue(n.message().length() <= MessageFields.MAX_MESSAGE_LENGTH, () -> "message of " + n.message().length() + " characters");
    assertTrue(n.actions().size() <= AlertFormat.MAX_ACTIONS, "actions");
    int frame = n.frameBytes().length;
    // Each input character is written at most twice (a payload value also rendered into the message), escaped at most
    // six bytes for three (outside the BMP); plus a generated id, timestamp and the two derived actions.
    assertTrue(frame <= 8 * inputBytes + 4096, () -> "a frame of " + frame + " bytes from " + inputBytes);
    FuzzChecks.assertRoundTrip(n);
  }

  static void assertSameTarget(Target expected, Target actual) {
    assertEquals(expected, actual, "the notification goes elsewhere than its message names");
  }
}
