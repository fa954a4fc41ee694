package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.BlockingWsClient;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** End to end on one node: authenticate, publish over HTTP, receive; ping, status, multi-device. */
class DeliveryIT {

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void authenticatedClientReceivesItsUsersNotification() {
    try (WsClient client = node.connect("alice")) {
      JsonObject ids = node.publish(new JsonObject().put("user_id", "alice").put("message", "hello").put("priority", "High"));
      JsonObject frame = client.awaitType("Notification", Duration.ofSeconds(5));
      assertEquals("hello", frame.getString("message"));
      assertEquals("High", frame.getString("priority"));
      assertEquals(ids.getJsonArray("ids").getString(0), frame.getString("id"));
    }
  }

  @Test
  void everyDeviceOfTheUserReceivesAndOtherUsersDoNot() {
    try (WsClient web = node.connectWithToken(node.token("bob"), "Dashboard");
         WsClient phone = node.connectWithToken(node.token("bob"), "iOS");
         WsClient other = node.connect("carol")) {
      node.publish(new JsonObject().put("user_id", "bob").put("message", "to bob"));
      assertEquals("to bob", web.awaitType("Notification", Duration.ofSeconds(5)).getString("message"));
      assertEquals("to bob", phone.awaitType("Notification", Duration.ofSeconds(5)).getString("message"));
      other.assertNoFrame(Duration.ofMillis(300));
    }
  }

  /**
   * A connection that negotiated permessage-deflate gets its frames compressed by Netty's encoder; one without an
   * extension gets the frame Herald encodes once and shares: both read the same notification.
   */
  @Test
  void aBroadcastReachesCompressedAndPlainConnectionsAlike() {
    Duration t = Duration.ofSeconds(5);
    try (BlockingWsClient compressed = BlockingWsClient.connect(node.port(), "/ws?token=" + node.token("erin"), null);
         BlockingWsClient plain = BlockingWsClient.connectWithoutExtensions(node.port(), "/ws?token=" + node.token("frank"));
         BlockingWsClient plainToo = BlockingWsClient.connectWithoutExtensions(node.port(), "/ws?token=" + node.token("gus"))) {
      assertTrue(String.valueOf(compressed.extensions()).contains("permessage-deflate"), compressed.extensions());
      assertNull(plain.extensions());
      for (BlockingWsClient c : List.of(compressed, plain, plainToo)) {
        assertEquals("Authenticated", new JsonObject(c.nextMessage(t)).getString("type"));
      }
      String message = "to everyone " + "é".repeat(200);
      node.publish(new JsonObject().put("broadcast", true).put("message", message));
      for (BlockingWsClient c : List.of(compressed, plain, plainToo)) {
        JsonObject frame = new JsonObject(c.nextMessage(t));
        assertEquals("Notification", frame.getString("type"), frame.encode());
        assertEquals(message, frame.getString("message"));
        assertEquals(c == compressed, c.lastMessageWasCompressed(), "compressed only where negotiated");
      }
    }
  }

  @Test
  void pingIsAnsweredWithPongAndStatusDescribesTheConnection() {
    try (WsClient client = node.connectWithToken(node.token("dave"), "android")) {
      client.send(new JsonObject().put("type", "ping"));
      JsonObject pong = client.awaitType("Pong", Duration.ofSeconds(5));
      assertNotNull(java.time.Instant.parse(pong.getString("timestamp")));
      node.publish(new JsonObject().put("user_id", "dave").put("message", "one"));
      client.awaitType("Notification", Duration.ofSeconds(5));
      client.send(new JsonObject().put("type", "get_status"));
      JsonObject status = client.awaitType("Status", Duration.ofSeconds(5));
      assertEquals("dave", status.getString("user_id"));
      assertEquals("Android", status.getString("device"));
      assertEquals(node.node().nodeId(), status.getString("node_id"));
      assertEquals(1L, status.getLong("messages_sent"));
      assertTrue(status.containsKey("connected_at") && status.containsKey("filters") && status.containsKey("topics"));
    }
  }
}
