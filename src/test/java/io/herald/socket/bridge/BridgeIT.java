package io.herald.socket.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Addresses;
import io.herald.testkit.BridgeConnection;
import io.herald.testkit.BridgeWsClient;
import io.herald.testkit.SockJsXhrClient;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The event-bus bridge end to end on a real node, with real clients on its transports (raw WebSocket, SockJS
 * WebSocket, XHR streaming): delivery of the user's notifications as the /ws Notification frame, REGISTER permissions,
 * topics, filters, the client API, and where the token may come from.
 */
@Timeout(60)
class BridgeIT {

  private static final Duration T = Duration.ofSeconds(5);
  private static final Duration QUIET = Duration.ofMillis(500);
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestNode.options().access(access -> access.setPublicTopics(List.of("news"))));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static String user() {
    return "bt-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static String userAddress(String user) {
    return Addresses.user("default", user);
  }

  /** A raw-WebSocket bridge client authenticated with a token on the URL. */
  static BridgeWsClient raw(TestNode node, String token) {
    return BridgeWsClient.raw(node.vertx(), node.port(), "?token=" + token);
  }

  /**
   * Registers and waits until the registration is in place: frames are decided in order, so once a ping request sent
   * after the REGISTER is answered, the REGISTER was decided and its consumer exists.
   */
  static void registerAndSync(BridgeConnection c, String... addresses) {
    for (String address : addresses) {
      c.register(address);
    }
    c.call(BridgeAddresses.PING, new JsonObject());
  }

  static JsonObject notification(String user, String message) {
    return new JsonObject().put("user_id", user).put("message", message);
  }

  @Test
  void theUsersNotificationsArriveOnEveryTransportAsTheWsNotificationFrame() {
    String user = user();
    String token = node.token(user);
    try (WsClient ws = node.connect(user);
         BridgeWsClient raw = raw(node, token);
         BridgeWsClient sockJs = BridgeWsClient.sockJs(node.vertx(), node.port(), "?token=" + token);
         SockJsXhrClient xhr = SockJsXhrClient.open(node.vertx(), "127.0.0.1", node.port(), null, "?token=" + token, Map.of())) {
      List<BridgeConnection> bridges = List.of(raw, sockJs, xhr);
      for (BridgeConnection b : bridges) {
        registerAndSync(b, userAddress(user), Addresses.broadcast("default"));
      }
      node.publish(notification(user, "to the user").put("alert_id", "a-1").put("priority", "High")
          .put("details", new JsonObject().put("chain", "ethereum")));
      JsonObject frame = ws.awaitType("Notification", T);
      for (BridgeConnection b : bridges) {
        JsonObject rec = b.awaitOn(userAddress(user), T);
        assertEquals(frame, rec.getJsonObject("body"), "the body is the /ws Notification frame");
        assertFalse(rec.containsKey("replyAddress") || rec.containsKey("headers"), rec.encode());
      }
      node.publish(new JsonObject().put("broadcast", true).put("message", "to everyone"));
      for (BridgeConnection b : bridges) {
        assertEquals("to everyone", b.awaitOn(Addresses.broadcast("default"), T).getJsonObject("body").getString("message"));
      }
    }
  }

  @Test
  void registerOnAnyAddressButTheUsersOwnIsRefusedAndDeliversNothing() {
    String user = user();
    String other = user();
    String tenantToken = node.token(user, Duration.ofHours(1), "acme", List.of());
    List<String> foreign = List.of(
        userAddress(other),                       // another user
        userAddress(user) + ".x",                 // a user whose id extends this one's
        Addresses.user("acme", user),             // the same id in another tenant
        Addresses.broadcast("acme"),              // another tenant's broadcast
        Addresses.topic("default", "secret"),     // a topic not granted
        BridgeAddresses.PING,                     // the client API is inbound only
        "__vertx.reply.1");
    try (BridgeWsClient c = raw(node, node.token(user));
         BridgeWsClient acme = raw(node, tenantToken)) {
      for (String address : foreign) {
        c.register(address);
        JsonObject err = c.awaitError(T);
        assertEquals("rejected", err.getString("body"), address);
      }
      registerAndSync(acme, Addresses.user("acme", user), Addresses.broadcast("acme"));
      node.publish(notification(other, "not yours"));
      node.publish(notification(user + ".x", "not yours either"));
      node.publish(notification(user, "acme's").put("tenant_id", "acme"));
      node.publish(new JsonObject().put("broadcast", true).put("tenant_id", "acme").put("message", "acme only"));
      node.publish(new JsonObject().put("topic", "secret").put("message", "secret"));
      // The other tenant's client got both: the publishes went through.
      acme.awaitOn(Addresses.user("acme", user), T);
      acme.awaitOn(Addresses.broadcast("acme"), T);
      c.assertNothing(QUIET);
      registerAndSync(c, userAddress(user));
      node.publish(notification(user, "yours"));
      assertEquals("yours", c.awaitOn(userAddress(user), T).getJsonObject("body").getString("message"));
    }
  }

  @Test
  void aUserClaimedInTheBodyOrHeadersIsIgnored() {
    String user = user();
    String other = user();
    node.publish(notification(user, "mine"));
    node.publish(notification(other, "theirs 1"));
    node.publish(notification(other, "theirs 2"));
    try (BridgeWsClient c = raw(node, node.token(user));
         BridgeWsClient victim = raw(node, node.token(other))) {
      JsonObject victimStatus = victim.call(BridgeAddresses.STATUS, new JsonObject());
      JsonObject forgedHeaders = new JsonObject().put(ClientApi.HEADER_USER, other).put(ClientApi.HEADER_TENANT, "default")
          .put(ClientApi.HEADER_CONNECTION, victimStatus.getString("connection_id")).put("user_id", other)
          .put("token", node.token(other));
      JsonObject forgedBody = new JsonObject().put("user_id", other).put("tenant", "default");

      JsonObject status = c.request(BridgeAddresses.STATUS, forgedBody, forgedHeaders).getJsonObject("body");
      assertEquals(user, status.getString("user_id"));
      assertEquals(userAddress(user), status.getJsonObject("addresses").getString("user"));

      JsonObject unread = c.request(BridgeAddresses.UNREAD, forgedBody.copy().put("limit", 10), forgedHeaders).getJsonObject("body");
      assertEquals(1, unread.getInteger("count"), unread.encode());
      assertEquals("mine", unread.getJsonArray("notifications").getJsonObject(0).getString("message"));

      String theirs = victim.call(BridgeAddresses.UNREAD, new JsonObject()).getJsonArray("notifications").getJsonObject(0).getString("id");
      c.request(BridgeAddresses.MARK_READ, forgedBody.copy().put("notification_id", theirs), forgedHeaders);
      assertEquals(2, victim.call(BridgeAddresses.UNREAD, new JsonObject()).getInteger("count"), "the other user's inbox is untouched");
    }
  }

  @Test
  void topicsArePermittedByGrantOrPublicListAndOthersAreRefused() {
    String user = user();
    try (BridgeWsClient c = raw(node, node.token(user, Duration.ofHours(1), null, List.of("market.*")))) {
      JsonObject subscribed = c.call(BridgeAddresses.SUBSCRIBE,
          new JsonObject().put("topics", new JsonArray().add("market.btc").add("news").add("secret").add("bad topic")));
      assertEquals("Subscribed", subscribed.getString("type"));
      assertEquals(new JsonArray().add("market.btc").add("news"), subscribed.getJsonArray("topics"));
      assertEquals(new JsonArray().add("secret").add("bad topic"), subscribed.getJsonArray("refused"));
      assertEquals(new JsonObject().put("market.btc", Addresses.topic("default", "market.btc"))
          .put("news", Addresses.topic("default", "news")), subscribed.getJsonObject("addresses"));

      c.register(Addresses.topic("default", "secret"));
      assertEquals("rejected", c.awaitError(T).getString("body"));
      // A permitted topic may be registered without subscribing first.
      registerAndSync(c, Addresses.topic("default", "market.btc"), Addresses.topic("default", "news"),
          Addresses.topic("default", "market.eth"));
      node.publish(new JsonObject().put("topic", "secret").put("message", "no"));
      node.publish(new JsonObject().put("topic", "market.eth").put("message", "eth"));
      JsonObject rec = c.awaitOn(Addresses.topic("default", "market.eth"), T);
      assertEquals("market.eth", rec.getJsonObject("body").getString("topic"));
      assertEquals("eth", rec.getJsonObject("body").getString("message"));
      c.assertNothing(QUIET);

      JsonObject status = c.call(BridgeAddresses.STATUS, new JsonObject());
      assertEquals(new JsonArray().add("market.btc").add("news").add("market.eth"), status.getJsonArray("topics"));
    }
  }

  @Test
  void filtersApplyToDeliveriesAndToResume() {
    String user = user();
    try (BridgeWsClient c = raw(node, node.token(user))) {
      registerAndSync(c, userAddress(user));
      JsonObject subscribed = c.call(BridgeAddresses.SUBSCRIBE,
          new JsonObject().put("filters", new JsonObject().put("priorities", new JsonArray().add("High"))));
      assertEquals(new JsonArray().add("High"), subscribed.getJsonObject("filters").getJsonArray("priorities"));
      node.publish(notification(user, "low").put("priority", "Low"));
      node.publish(notification(user, "high").put("priority", "High"));
      assertEquals("high", c.awaitOn(userAddress(user), T).getJsonObject("body").getString("message"));
      c.assertNothing(QUIET);

      JsonObject resumed = c.call(BridgeAddresses.RESUME, new JsonObject().put("last_offset", 0));
      assertEquals(1, resumed.getInteger("missed"), resumed.encode());
      assertEquals("high", resumed.getJsonArray("notifications").getJsonObject(0).getString("message"));
      assertEquals(2L, resumed.getLong("offset"));
    }
  }

  @Test
  void theClientApiAnswersWithTheWsFrames() {
    String user = user();
    try (WsClient ws = node.connect(user);
         BridgeWsClient c = raw(node, node.token(user))) {
      registerAndSync(c, userAddress(user));
      for (int i = 1; i <= 3; i++) {
        node.publish(notification(user, "n" + i));
        c.awaitOn(userAddress(user), T);
      }
      assertEquals("Pong", c.call(BridgeAddresses.PING, new JsonObject()).getString("type"));

      JsonObject status = c.call(BridgeAddresses.STATUS, null);
      assertEquals("Status", status.getString("type"));
      assertEquals(user, status.getString("user_id"));
      assertEquals("default", status.getString("tenant"));
      assertEquals(3L, status.getLong("messages_sent"));
      assertEquals(3L, status.getLong("offset"));
      assertEquals(Addresses.broadcast("default"), status.getJsonObject("addresses").getString("broadcast"));
      String epoch = status.getString("epoch");
      assertNotNull(epoch);

      JsonObject unread = c.call(BridgeAddresses.UNREAD, new JsonObject().put("limit", 2));
      assertEquals("Unread", unread.getString("type"));
      assertEquals(3, unread.getInteger("count"));
      assertEquals(List.of("n3", "n2"), unread.getJsonArray("notifications").stream()
          .map(n -> ((JsonObject) n).getString("message")).toList());

      String id = unread.getJsonArray("notifications").getJsonObject(0).getString("id");
      JsonObject marked = c.call(BridgeAddresses.MARK_READ, new JsonObject().put("notification_id", id));
      assertEquals(new JsonObject().put("type", "MarkedRead").put("notification_id", id), marked);
      JsonObject updated = new JsonObject().put("type", "NotificationUpdated").put("notification_id", id).put("read", true);
      assertEquals(updated, c.awaitOn(userAddress(user), T).getJsonObject("body"));
      assertEquals(updated, ws.awaitType("NotificationUpdated", T));

      JsonObject resumed = c.call(BridgeAddresses.RESUME, new JsonObject().put("epoch", epoch).put("last_offset", 1));
      assertEquals("Resumed", resumed.getString("type"));
      assertTrue(resumed.getBoolean("recovered"));
      assertEquals(2, resumed.getInteger("missed"));
      assertEquals(List.of(2L, 3L), resumed.getJsonArray("notifications").stream()
          .map(n -> ((JsonObject) n).getLong("offset")).toList());

      for (JsonObject invalid : List.of(new JsonObject().put("limit", 0), new JsonObject().put("limit", "ten"))) {
        assertInvalid(c.request(BridgeAddresses.UNREAD, invalid));
      }
      assertInvalid(c.request(BridgeAddresses.MARK_READ, new JsonObject()));
      assertInvalid(c.request(BridgeAddresses.RESUME, new JsonObject().put("epoch", "x")));
      assertInvalid(c.request(BridgeAddresses.SUBSCRIBE, new JsonObject().put("filters", new JsonObject().put("priorities", "High"))));
      JsonObject label = new JsonObject().put("type", "send").put("address", BridgeAddresses.STATUS).put("body", "text")
          .put("replyAddress", "r-1");
      c.write(label);
      assertInvalid(c.await(m -> "r-1".equals(m.getString("address")), T, "the answer to a text body"));
    }
  }

  @Test
  void everySocketVerticleAnswersTheApiForSocketsItDoesNotOwnByForwardingToTheOwner() {
    String user = user();
    List<String> forwarded = new CopyOnWriteArrayList<>();
    Handler<DeliveryContext<Object>> spy = ctx -> {
      if (ctx.message().address().contains(".bridge.")) {
        forwarded.add(ctx.message().address());
      }
      ctx.next();
    };
    node.vertx().eventBus().addOutboundInterceptor(spy);
    try (BridgeWsClient c = raw(node, node.token(user))) {
      // The test node runs two socket verticles; the event bus hands each request to either one's consumer.
      for (int i = 0; i < 10; i++) {
        assertEquals(user, c.call(BridgeAddresses.STATUS, new JsonObject()).getString("user_id"));
      }
      assertFalse(forwarded.isEmpty(), "some requests reached the verticle that does not own the socket");
    } finally {
      node.vertx().eventBus().removeOutboundInterceptor(spy);
    }
  }

  static void assertInvalid(JsonObject answer) {
    assertEquals("err", answer.getString("type"), answer.encode());
    assertEquals(400, answer.getInteger("failureCode"), answer.encode());
    assertEquals("invalid", answer.getString("message"), answer.encode());
  }

  @Test
  void theTokenMayComeInTheHeadersOfTheFirstFrameAndLaterTokensAreIgnored() {
    String user = user();
    try (BridgeWsClient c = BridgeWsClient.raw(node.vertx(), node.port(), "")) {
      c.ping();
      c.send(BridgeAddresses.PING, new JsonObject(), null, "before-token");
      assertEquals("rejected", c.awaitError(T).getString("body"), "unauthenticated: refused");
      c.register(userAddress(user), new JsonObject().put("token", node.token(user)));
      JsonObject status = c.request(BridgeAddresses.STATUS, new JsonObject(),
          new JsonObject().put("token", node.token(user()))).getJsonObject("body");
      assertEquals(user, status.getString("user_id"), "a second token does not change the user");
      node.publish(notification(user, "after header auth"));
      assertEquals("after header auth", c.awaitOn(userAddress(user), T).getJsonObject("body").getString("message"));
    }
  }
}
