package io.herald.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class NotificationFrameTest {

  private static Notification notification() {
    return Notification.builder().id("n1").target(new Target.Users(Ids.DEFAULT_TENANT, java.util.List.of("u1")))
        .priority(Priority.HIGH).message("hello").details(new JsonObject().put("chain", "ethereum")).build();
  }

  @Test
  void theFrameIsEncodedOnceAndReused() {
    Notification n = notification();
    assertSame(n.frame(), n.frame(), "a second call returns the cached encoding");
    assertEquals(n.toFrame(), new JsonObject(n.frame()));
  }

  @Test
  void aPositionedCopyCarriesItsPositionAndTheSameContent() {
    Notification n = notification();
    String unpositioned = n.frame();
    Notification positioned = n.withPosition("e1", 7);
    JsonObject frame = new JsonObject(positioned.frame());
    assertEquals("e1", frame.getString("epoch"));
    assertEquals(7L, frame.getLong("offset"));
    assertEquals("user", frame.getString("stream"));
    frame.remove("epoch");
    frame.remove("offset");
    frame.remove("stream");
    assertEquals(new JsonObject(unpositioned), frame, "same content apart from the position");
    assertFalse(new JsonObject(unpositioned).containsKey("epoch"), "the original stays without a position");
    assertEquals("ethereum", positioned.chain());
  }

  @Test
  void theFrameDoesNotChangeWhenACallerChangesTheDetailsItWasGiven() {
    JsonObject details = new JsonObject().put("chain", "ethereum");
    Notification n = Notification.builder().id("n2").target(new Target.Broadcast(Ids.DEFAULT_TENANT)).details(details).build();
    details.put("chain", "bitcoin");
    n.toFrame().getJsonObject("details").put("chain", "solana");
    assertEquals("ethereum", new JsonObject(n.frame()).getJsonObject("details").getString("chain"));
  }
}
