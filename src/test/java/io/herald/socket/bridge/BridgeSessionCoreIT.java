package io.herald.socket.bridge;

import static io.herald.socket.bridge.BridgeIT.notification;
import static io.herald.socket.bridge.BridgeIT.registerAndSync;
import static io.herald.socket.bridge.BridgeIT.user;
import static io.herald.socket.bridge.BridgeIT.userAddress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.herald.model.Ids;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.herald.testkit.BridgeConnection;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the bridge gained from the session core it shares with {@code /ws}: the first registration of the user's
 * address starts the user stream as {@code /ws} authentication does (what was appended since the socket authenticated
 * is replayed, InitialState is pushed when {@code initial_state} is on, the offline queue is taken by the first session
 * of the user), and deliveries on the user address come in offset order. On in-memory state: the HTTP ingress appends
 * (and queues) before it answers, so a publish has reached the history, the inbox and the offline queue when
 * {@code publish} returns.
 */
@Timeout(60)
class BridgeSessionCoreIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final Duration QUIET = Duration.ofMillis(500);
  /** {@code initial_state} off (TestNode's default). */
  private static TestNode node;
  /** {@code initial_state} on, with the 2 latest unread notifications. */
  private static TestNode withInitialState;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    withInitialState = TestNode.start(TestNode.options().state(s -> s.setInitialState(true).setInitialStateSize(2)));
  }

  @AfterAll
  static void stop() {
    try {
      node.close();
    } finally {
      withInitialState.close();
    }
  }

  @Test
  void theOfflineQueueGoesToTheFirstBridgeSocketThatRegistersTheUserAddressAndToNoOtherSession() {
    String user = user();
    String address = userAddress(user);
    // No session of the user anywhere: queued.
    withInitialState.publish(new JsonArray().add(notification(user, "q1")).add(notification(user, "q2"))
        .add(notification(user, "q3")));
    try (BridgeWsClient first = authenticatedByHeader(withInitialState, user)) {
      registerAndSync(first, address);
      assertInitialState(first.awaitOn(address, T), address, 3, List.of("q3", "q2"));
      List<JsonObject> queued = nextNotifications(first, address, 3);
      assertEquals(List.of("q1", "q2", "q3"), messages(queued), "the queue, oldest first");
      assertEquals(List.of(1L, 2L, 3L), offsets(queued), "queued notifications keep their position");

      // Taken once: a second bridge socket and a later /ws connection of the user get the InitialState only.
      try (BridgeWsClient second = BridgeIT.raw(withInitialState, withInitialState.token(user))) {
        registerAndSync(second, address);
        assertInitialState(second.awaitOn(address, T), address, 3, List.of("q3", "q2"));
        second.assertNothing(QUIET);
      }
      try (WsClient ws = withInitialState.connect(user)) {
        assertEquals("InitialState", ws.next(T).getString("type"));
        ws.assertNoFrame(QUIET);
      }
      first.assertNothing(Duration.ofMillis(100));
    }
  }

  @Test
  void initialStateIsPushedOnTheUserAddressRightAfterItsRegistrationBeforeAnyNotification() {
    String user = user();
    String address = userAddress(user);
    try (BridgeWsClient c = authenticatedByHeader(withInitialState, user)) {
      // Unread, and not queued (the user has a session): replayed after the InitialState that counts them.
      withInitialState.publish(new JsonArray().add(notification(user, "u1")).add(notification(user, "u2"))
          .add(notification(user, "u3")));
      registerAndSync(c, address);
      assertInitialState(c.awaitOn(address, T), address, 3, List.of("u3", "u2"));
      assertEquals(List.of("u1", "u2", "u3"), messages(nextNotifications(c, address, 3)));
      withInitialState.publish(notification(user, "live"));
      assertEquals(List.of("live"), messages(nextNotifications(c, address, 1)));
      c.assertNothing(QUIET);
    }
  }

  @Test
  void initialStateIsNotPushedWhenItIsOff() {
    String user = user();
    String address = userAddress(user);
    try (WsClient online = node.connect(user)) {
      node.publish(notification(user, "unread"));
      try (BridgeWsClient c = BridgeIT.raw(node, node.token(user))) {
        registerAndSync(c, address);
        node.publish(notification(user, "live"));
        JsonObject first = c.awaitOn(address, T).getJsonObject("body");
        assertEquals("Notification", first.getString("type"), first.encode());
        assertEquals("live", first.getString("message"));
        c.assertNothing(QUIET);
      }
    }
  }

  /**
   * In a fleet a user's consecutive notifications may enter through different nodes and reach this one out of order;
   * a positioned notification ahead of the next expected offset waits (at most 50 ms) for the one before it.
   */
  @Test
  void theUserStreamIsDeliveredInOffsetOrder() {
    String user = user();
    String address = userAddress(user);
    try (BridgeWsClient c = BridgeIT.raw(node, node.token(user))) {
      registerAndSync(c, address);
      node.publish(notification(user, "n1"));
      JsonObject n1 = c.awaitOn(address, T).getJsonObject("body");
      String epoch = n1.getString("epoch");
      long offset = n1.getLong("offset");
      Notification third = positioned(user, "n3", epoch, offset + 2);
      Notification second = positioned(user, "n2", epoch, offset + 1);
      // Both sent in one event-loop task, the later offset first, as two ingress nodes racing would.
      node.vertx().runOnContext(v -> {
        node.vertx().eventBus().publish(address, third);
        node.vertx().eventBus().publish(address, second);
      });
      List<JsonObject> delivered = nextNotifications(c, address, 2);
      assertEquals(List.of(offset + 1, offset + 2), offsets(delivered), "put back in offset order");
      assertEquals(List.of("n2", "n3"), messages(delivered));
      c.assertNothing(QUIET);
    }
  }

  @Test
  void whatIsAppendedBetweenAuthenticationAndTheUserAddressRegistrationIsReplayed() {
    String user = user();
    String address = userAddress(user);
    try (BridgeWsClient c = authenticatedByHeader(node, user)) {
      // Authenticated, so not queued: it is only in the history, after the socket's baseline.
      node.publish(notification(user, "in the gap"));
      registerAndSync(c, address);
      JsonObject replayed = c.awaitOn(address, T).getJsonObject("body");
      assertEquals("in the gap", replayed.getString("message"), replayed.encode());
      assertEquals(1L, replayed.getLong("offset"));
      node.publish(notification(user, "live"));
      JsonObject live = c.awaitOn(address, T).getJsonObject("body");
      assertEquals("live", live.getString("message"), "no duplicate of the replayed one: " + live.encode());
      assertEquals(2L, live.getLong("offset"));
      c.assertNothing(QUIET);
    }
  }

  /** A raw bridge socket authenticated as herald-client.js does: the first frame, a status request, has the token. */
  private static BridgeWsClient authenticatedByHeader(TestNode on, String user) {
    BridgeWsClient c = BridgeWsClient.raw(on.vertx(), on.port(), "");
    JsonObject status = c.request(BridgeAddresses.STATUS, new JsonObject(), new JsonObject().put("token", on.token(user)));
    assertEquals(user, status.getJsonObject("body").getString("user_id"), status.encode());
    return c;
  }

  private static void assertInitialState(JsonObject rec, String address, int unread, List<String> latest) {
    assertEquals(address, rec.getString("address"), rec.encode());
    assertFalse(rec.containsKey("headers") || rec.containsKey("replyAddress"), rec.encode());
    JsonObject body = rec.getJsonObject("body");
    assertEquals("InitialState", body.getString("type"), body.encode());
    assertEquals(unread, body.getInteger("unread_count"), body.encode());
    assertEquals(latest, messages(body.getJsonArray("notifications").stream().map(n -> (JsonObject) n).toList()),
        "the latest unread, newest first");
  }

  /** The bodies of the next {@code n} messages on the address, which must all be Notification frames. */
  private static List<JsonObject> nextNotifications(BridgeConnection c, String address, int n) {
    List<JsonObject> bodies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      JsonObject body = c.awaitOn(address, T).getJsonObject("body");
      assertEquals("Notification", body.getString("type"), body.encode());
      bodies.add(body);
    }
    return bodies;
  }

  private static Notification positioned(String user, String message, String epoch, long offset) {
    return Notification.builder().id(UUID.randomUUID().toString())
        .target(new Target.Users(Ids.DEFAULT_TENANT, List.of(user))).message(message).build()
        .withPosition(epoch, offset);
  }

  private static List<String> messages(List<JsonObject> frames) {
    return frames.stream().map(f -> f.getString("message")).toList();
  }

  private static List<Long> offsets(List<JsonObject> frames) {
    return frames.stream().map(f -> f.getLong("offset")).toList();
  }
}
