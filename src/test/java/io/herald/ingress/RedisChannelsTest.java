package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The id every node of a fleet gives a Redis message published without one. */
class RedisChannelsTest {

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theDerivedIdIsTheSameForTheSameChannelAndPayloadAndAValidId() {
    String id = RedisChannels.derivedId("notifications:user:u1", bytes("{\"type\":\"SYSTEM\"}"));
    assertEquals(id, RedisChannels.derivedId("notifications:user:u1", bytes("{\"type\":\"SYSTEM\"}")));
    assertTrue(id.matches("r-[0-9a-f]{32}"), id);
    assertTrue(MessageFields.isValidId(id));
    assertNotEquals(id, RedisChannels.derivedId("notifications:user:u2", bytes("{\"type\":\"SYSTEM\"}")));
    assertNotEquals(id, RedisChannels.derivedId("notifications:user:u1", bytes("{\"type\":\"SYSTEM\" }")));
    // The channel and the payload are separated: moving a byte from one to the other gives another id.
    assertNotEquals(RedisChannels.derivedId("ab", bytes("c")), RedisChannels.derivedId("a", bytes("bc")));
  }
}
