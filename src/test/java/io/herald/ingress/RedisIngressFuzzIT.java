package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.herald.model.Ids;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.herald.testkit.FuzzChecks;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the Redis pub/sub decoder: a channel name and a payload (the input's first line and the rest) through
 * {@link NotificationMapper#fromRedis}. Only {@link InvalidNotificationException} may refuse; an accepted message goes
 * to the channel's target ({@code notifications:user:<id>}, {@code :channel:<id>}, {@code :global}) in the payload's
 * {@code tenant_id}, never to a user, topic or tenant taken from anywhere else; within the limits; losslessly encoded.
 * Seeds: {@code RedisIngressFuzzITInputs/}.
 */
class RedisIngressFuzzIT {

  private static final String PREFIX = "notifications";
  private static final NotificationMapper MAPPER =
      new NotificationMapper(Map.of("ethereum", "https://etherscan.io/tx/{hash}"), PREFIX);

  @FuzzTest
  void redisMessage(byte[] input) {
    int newline = indexOf(input, (byte) '\n');
    String channel = new String(input, 0, newline < 0 ? input.length : newline, StandardCharsets.UTF_8);
    byte[] payload = newline < 0 ? new byte[0] : Arrays.copyOfRange(input, newline + 1, input.length);
    Notification n;
    try {
      n = MAPPER.fromRedis(channel, NotificationMapper.parseObject(Buffer.buffer(payload)));
    } catch (InvalidNotificationException refused) {
      assertTrue(refused.getMessage().length() <= 200, "a refusal's reason is short");
      return;
    }
    assertTrue(FuzzChecks.isOneJsonValue(payload), "accepted a payload that is not one JSON value");
    JsonObject msg = (JsonObject) Json.decodeValue(Buffer.buffer(payload));
    String tenant = msg.getValue("tenant_id") instanceof String t && !t.isEmpty() ? t : Ids.DEFAULT_TENANT;
    Target expected;
    if (channel.equals(PREFIX + ":global")) {
      expected = new Target.Broadcast(tenant);
    } else if (channel.startsWith(PREFIX + ":user:")) {
      expected = new Target.Users(tenant, List.of(channel.substring((PREFIX + ":user:").length())));
    } else if (channel.startsWith(PREFIX + ":channel:")) {
      expected = new Target.Topic(tenant, channel.substring((PREFIX + ":channel:").length()));
    } else {
      throw new AssertionError("accepted a message on channel " + channel);
    }
    assertEquals(expected, n.target(), "the notification goes elsewhere than its channel names");
    assertEquals(MAPPER.targetOfChannel(channel).map(Target::getClass).orElse(null), n.target().getClass());
    IngressChecks.assertAccepted(n, input.length);
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }
}
