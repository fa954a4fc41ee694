package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.Await;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Filters, topics, broadcast, tenants and message-type matching through the WebSocket protocol, against a real
 * node (2 socket verticle instances) fed through the HTTP ingress.
 *
 * <p>Negative delivery checks mostly use a "sentinel": a notification that must pass is published after the one
 * that must not, on the same address, and the client's very next frame must be the sentinel (the event bus keeps the
 * order of one sender to one consumer). Where the addresses differ, a short quiet period follows.
 */
@Timeout(60)
class SubscriptionIT {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Duration QUIET = Duration.ofMillis(300);
  private static final String DEFAULT_TOPIC = "announcements";
  private static final String PUBLIC_TOPIC = "news";
  private static final String PUBLIC_TOPIC_2 = "alerts";

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestNode.options()
        .auth(auth -> auth.setAuthTimeoutSecs(5))
        .access(access -> access.setDefaultTopics(List.of(DEFAULT_TOPIC))
            .setPublicTopics(List.of(PUBLIC_TOPIC, PUBLIC_TOPIC_2))));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  // ---------------------------------------------------------------- filters

  @Test
  void priorityFilterDropsOtherPrioritiesAndAckAndStatusCarryTheFilters() {
    try (WsClient c = node.connect("f-prio")) {
      JsonObject ack = subscribe(c, new JsonObject().put("filters",
          new JsonObject().put("priorities", new JsonArray().add("High").add("Critical"))));
      assertEquals(Set.of("High", "Critical"), strings(ack.getJsonObject("filters").getJsonArray("priorities")));
      assertTrue(ack.getJsonObject("filters").getJsonArray("alert_ids").isEmpty());
      assertTrue(ack.getJsonObject("filters").getJsonArray("chains").isEmpty());

      c.send(new JsonObject().put("type", "GetStatus"));
      JsonObject status = c.next();
      assertEquals("Status", status.getString("type"));
      assertEquals(Set.of("High", "Critical"), strings(status.getJsonObject("filters").getJsonArray("priorities")));

      node.publish(user("f-prio", "low one").put("priority", "Low"));
      node.publish(user("f-prio", "medium one")); // no priority = Medium
      node.publish(user("f-prio", "critical one").put("priority", "Critical"));
      node.publish(user("f-prio", "high one").put("priority", "High"));
      expectNotification(c, "critical one");
      expectNotification(c, "high one");
      c.assertNoFrame(QUIET);
    }
  }

  @Test
  void alertIdFilterPassesOnlyTheListedAlerts() {
    try (WsClient c = node.connect("f-alert")) {
      JsonObject ack = subscribe(c, filters(new JsonObject().put("alert_ids", new JsonArray().add("a-1").add("a-3"))));
      assertEquals(Set.of("a-1", "a-3"), strings(ack.getJsonObject("filters").getJsonArray("alert_ids")));

      node.publish(user("f-alert", "alert 2").put("alert_id", "a-2"));
      node.publish(user("f-alert", "no alert id"));
      node.publish(user("f-alert", "alert 1").put("alert_id", "a-1"));
      node.publish(user("f-alert", "alert 3").put("alert_id", "a-3"));
      JsonObject first = expectNotification(c, "alert 1");
      assertEquals("a-1", first.getString("alert_id"));
      expectNotification(c, "alert 3");
      c.assertNoFrame(QUIET);
    }
  }

  @Test
  void chainFilterMatchesDetailsChainCaseInsensitively() {
    try (WsClient c = node.connect("f-chain")) {
      JsonObject ack = subscribe(c, filters(new JsonObject().put("chains", new JsonArray().add("ETHEREUM"))));
      JsonArray chains = ack.getJsonObject("filters").getJsonArray("chains");
      assertEquals(1, chains.size());
      assertTrue("ethereum".equalsIgnoreCase(chains.getString(0)), chains.encode());

      node.publish(user("f-chain", "on polygon").put("details", new JsonObject().put("chain", "polygon")));
      node.publish(user("f-chain", "no chain"));
      node.publish(user("f-chain", "on ethereum").put("details", new JsonObject().put("chain", "Ethereum")));
      // the NATS-style payload.chain ends up in details.chain too
      node.publish(user("f-chain", "payload chain").put("payload", new JsonObject().put("chain", "ethereum")));
      JsonObject frame = expectNotification(c, "on ethereum");
      assertEquals("Ethereum", frame.getJsonObject("details").getString("chain"));
      expectNotification(c, "payload chain");
      c.assertNoFrame(QUIET);
    }
  }

  @Test
  void combinedFiltersRequireEveryField() {
    try (WsClient c = node.connect("f-all")) {
      subscribe(c, filters(new JsonObject()
          .put("priorities", new JsonArray().add("High"))
          .put("alert_ids", new JsonArray().add("a1"))
          .put("chains", new JsonArray().add("eth"))));
      JsonObject eth = new JsonObject().put("chain", "eth");
      node.publish(user("f-all", "wrong priority").put("priority", "Low").put("alert_id", "a1").put("details", eth));
      node.publish(user("f-all", "wrong alert").put("priority", "High").put("alert_id", "a2").put("details", eth));
      node.publish(user("f-all", "wrong chain").put("priority", "High").put("alert_id", "a1")
          .put("details", new JsonObject().put("chain", "btc")));
      node.publish(user("f-all", "no alert").put("priority", "High").put("details", eth));
      node.publish(user("f-all", "no chain").put("priority", "High").put("alert_id", "a1"));
      node.publish(user("f-all", "all match").put("priority", "High").put("alert_id", "a1")
          .put("details", new JsonObject().put("chain", "ETH")));
      expectNotification(c, "all match");
      c.assertNoFrame(QUIET);
    }
  }

  @Test
  void secondSubscribeReplacesFiltersAndEmptyObjectRemovesThem() {
    try (WsClient c = node.connect("f-replace")) {
      subscribe(c, filters(new JsonObject()
          .put("priorities", new JsonArray().add("Critical"))
          .put("alert_ids", new JsonArray().add("x1"))));
      node.publish(user("f-replace", "low before").put("priority", "Low"));
      node.publish(user("f-replace", "critical x1").put("priority", "Critical").put("alert_id", "x1"));
      expectNotification(c, "critical x1");

      // Replaced, not merged: alert_ids is gone, only Low passes now.
      JsonObject ack = subscribe(c, filters(new JsonObject().put("priorities", new JsonArray().add("Low"))));
      assertEquals(Set.of("Low"), strings(ack.getJsonObject("filters").getJsonArray("priorities")));
      assertTrue(ack.getJsonObject("filters").getJsonArray("alert_ids").isEmpty(), ack.encode());
      node.publish(user("f-replace", "critical after").put("priority", "Critical").put("alert_id", "x1"));
      node.publish(user("f-replace", "low after").put("priority", "Low"));
      expectNotification(c, "low after");

      // An empty filters object removes every restriction.
      JsonObject cleared = subscribe(c, filters(new JsonObject()));
      assertNoRestriction(cleared.getJsonObject("filters"));
      node.publish(user("f-replace", "medium").put("priority", "Medium"));
      node.publish(user("f-replace", "critical").put("priority", "Critical").put("alert_id", "other"));
      expectNotification(c, "medium");
      expectNotification(c, "critical");
      c.send(new JsonObject().put("type", "GetStatus"));
      assertNoRestriction(c.awaitType("Status", WAIT).getJsonObject("filters"));
      c.assertNoFrame(QUIET);
    }
  }

  @Test
  void subscribeWithOnlyTopicsKeepsTheFilters() {
    try (WsClient c = node.connect("f-keep")) {
      subscribe(c, filters(new JsonObject().put("priorities", new JsonArray().add("Critical"))));
      JsonObject ack = subscribe(c, new JsonObject().put("topics", new JsonArray().add(PUBLIC_TOPIC)));
      assertEquals(Set.of("Critical"), strings(ack.getJsonObject("filters").getJsonArray("priorities")));
      assertEquals(List.of(PUBLIC_TOPIC), ack.getJsonArray("topics").getList());

      // Filters apply to topic notifications as well as to user ones.
      node.publish(topic(PUBLIC_TOPIC, "topic low").put("priority", "Low"));
      node.publish(topic(PUBLIC_TOPIC, "topic critical").put("priority", "Critical"));
      JsonObject frame = expectNotification(c, "topic critical");
      assertEquals(PUBLIC_TOPIC, frame.getString("topic"));
      node.publish(user("f-keep", "user low").put("priority", "Low"));
      node.publish(user("f-keep", "user critical").put("priority", "Critical"));
      expectNotification(c, "user critical");
      c.send(new JsonObject().put("type", "get_status"));
      JsonObject status = c.awaitType("Status", WAIT);
      assertEquals(Set.of("Critical"), strings(status.getJsonObject("filters").getJsonArray("priorities")));
      c.assertNoFrame(QUIET);
    }
  }

  @Test
  void invalidFiltersAreRefusedAndLeaveTheFiltersAndConnectionAsTheyWere() {
    try (WsClient c = node.connect("f-invalid")) {
      subscribe(c, filters(new JsonObject().put("priorities", new JsonArray().add("Critical"))));
      List<JsonObject> invalid = List.of(
          new JsonObject().put("priorities", "High"),
          new JsonObject().put("priorities", new JsonArray().add("Urgent")),
          new JsonObject().put("chains", new JsonArray().add(1)),
          new JsonObject().put("alert_ids", new JsonArray().add("")));
      for (JsonObject bad : invalid) {
        c.send(new JsonObject().put("type", "Subscribe").put("filters", bad));
        JsonObject error = c.next();
        assertEquals("Error", error.getString("type"), "for " + bad.encode() + ": " + error.encode());
        assertEquals("invalid", error.getString("code"), "for " + bad.encode());
        assertPingAnswered(c);
      }
      // filters is not an object at all
      c.send(new JsonObject().put("type", "Subscribe").put("filters", "Critical"));
      assertError(c, "invalid");

      c.send(new JsonObject().put("type", "GetStatus"));
      JsonObject status = c.next();
      assertEquals("Status", status.getString("type"));
      assertEquals(Set.of("Critical"), strings(status.getJsonObject("filters").getJsonArray("priorities")));
      node.publish(user("f-invalid", "low").put("priority", "Low"));
      node.publish(user("f-invalid", "critical").put("priority", "Critical"));
      expectNotification(c, "critical");
      assertFalse(c.isClosed());
    }
  }

  @Test
  void aSubscribeRefusedForAWrongTopicsFieldDoesNotApplyItsFilters() {
    try (WsClient c = node.connect("f-atomic")) {
      subscribe(c, filters(new JsonObject().put("priorities", new JsonArray().add("Critical"))));
      c.send(new JsonObject().put("type", "Subscribe").put("topics", "x")
          .put("filters", new JsonObject().put("priorities", new JsonArray().add("Low"))));
      assertError(c, "invalid");
      c.send(new JsonObject().put("type", "GetStatus"));
      JsonObject status = c.next();
      assertEquals("Status", status.getString("type"));
      assertEquals(Set.of("Critical"), strings(status.getJsonObject("filters").getJsonArray("priorities")),
          "a refused Subscribe must not change the filters: " + status.encode());
    }
  }

  // ---------------------------------------------------------------- topics

  @Test
  void defaultTopicsAreJoinedAtAuthentication() {
    try (WsClient c = node.open()) {
      c.send(new JsonObject().put("type", "Authenticate").put("token", node.token("t-default")).put("device", "Dashboard"));
      JsonObject authenticated = c.next();
      assertEquals("Authenticated", authenticated.getString("type"), authenticated.encode());
      assertEquals(List.of(DEFAULT_TOPIC), authenticated.getJsonArray("topics").getList());

      node.publish(topic(DEFAULT_TOPIC, "for everyone"));
      JsonObject frame = expectNotification(c, "for everyone");
      assertEquals(DEFAULT_TOPIC, frame.getString("topic"));

      c.send(new JsonObject().put("type", "GetStatus"));
      assertEquals(List.of(DEFAULT_TOPIC), c.awaitType("Status", WAIT).getJsonArray("topics").getList());
    }
  }

  @Test
  void publicTopicsCanBeJoinedByAnyone() {
    try (WsClient c = node.connect("t-public");
         WsClient outsider = node.connect("t-public-other")) {
      JsonObject ack = subscribe(c, topics(PUBLIC_TOPIC));
      assertEquals(List.of(PUBLIC_TOPIC), ack.getJsonArray("topics").getList());
      assertEquals(Set.of(DEFAULT_TOPIC, PUBLIC_TOPIC), strings(ack.getJsonArray("all_topics")));
      node.publish(topic(PUBLIC_TOPIC, "public news"));
      JsonObject frame = expectNotification(c, "public news");
      assertEquals(PUBLIC_TOPIC, frame.getString("topic"));
      outsider.assertNoFrame(QUIET); // not subscribed
    }
  }

  @Test
  void otherTopicsNeedTheTokensTopicsClaimExactOrPrefix() {
    String token = node.token("t-claim", Duration.ofHours(1), null, List.of("vip", "market.*"));
    try (WsClient c = node.connectWithToken(token, "Dashboard");
         WsClient plain = node.connect("t-noclaim")) {
      JsonObject ack = subscribe(c, topics("vip", "market.eth"));
      assertEquals(List.of("vip", "market.eth"), ack.getJsonArray("topics").getList());

      for (String refused : List.of("vipx", "marketing", "market")) {
        c.send(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray().add(refused)));
        JsonObject error = assertError(c, "forbidden");
        assertTrue(error.getString("message").contains(refused), error.encode());
        assertTrue(c.next().getJsonArray("topics").isEmpty());
      }

      // Without the claim the same topics are refused.
      plain.send(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray().add("vip")));
      assertTrue(assertError(plain, "forbidden").getString("message").contains("vip"));
      assertTrue(plain.awaitType("Subscribed", WAIT).getJsonArray("topics").isEmpty());

      node.publish(topic("market.eth", "eth moved"));
      assertEquals("market.eth", expectNotification(c, "eth moved").getString("topic"));
      node.publish(topic("vip", "vip only"));
      expectNotification(c, "vip only");
      plain.assertNoFrame(QUIET);
    }
  }

  @Test
  void aRefusedTopicDoesNotStopTheRestOfTheSubscribe() {
    try (WsClient c = node.connect("t-mixed")) {
      c.send(new JsonObject().put("type", "Subscribe")
          .put("topics", new JsonArray().add("secret").add(PUBLIC_TOPIC))
          .put("filters", new JsonObject().put("priorities", new JsonArray().add("High"))));
      JsonObject error = assertError(c, "forbidden");
      assertTrue(error.getString("message").contains("secret"), error.encode());
      JsonObject ack = c.next();
      assertEquals("Subscribed", ack.getString("type"), ack.encode());
      assertEquals(List.of(PUBLIC_TOPIC), ack.getJsonArray("topics").getList());
      assertEquals(Set.of("High"), strings(ack.getJsonObject("filters").getJsonArray("priorities")));

      node.publish(topic("secret", "secret stuff").put("priority", "High"));
      node.publish(topic(PUBLIC_TOPIC, "news low").put("priority", "Low"));
      node.publish(topic(PUBLIC_TOPIC, "news high").put("priority", "High"));
      expectNotification(c, "news high");
      c.assertNoFrame(QUIET);
    }
  }

  @Test
  void manyRefusedTopicsDrawOneErrorPerKindNotOnePerTopic() {
    try (WsClient c = node.connect("t-many-refused")) {
      JsonArray topics = new JsonArray();
      for (int i = 0; i < 200; i++) {
        topics.add("secret-" + i);
      }
      topics.add("bad name").add(PUBLIC_TOPIC);
      c.send(new JsonObject().put("type", "Subscribe").put("topics", topics));
      JsonObject invalid = assertError(c, "invalid");
      assertTrue(invalid.getString("message").contains("'bad name'"), invalid.encode());
      JsonObject forbidden = assertError(c, "forbidden");
      assertTrue(forbidden.getString("message").contains("'secret-0'")
          && forbidden.getString("message").contains("and 197 more"), forbidden.encode());
      JsonObject ack = c.next();
      assertEquals("Subscribed", ack.getString("type"), ack.encode());
      assertEquals(List.of(PUBLIC_TOPIC), ack.getJsonArray("topics").getList());
      c.assertNoFrame(QUIET);
    }
  }

  @Test
  void invalidTopicNamesAreRefusedAsInvalid() {
    String tooLong = "t".repeat(200);
    String token = node.token("t-names", Duration.ofHours(1), null, List.of("*"));
    try (WsClient c = node.connectWithToken(token, "Dashboard")) {
      for (String bad : List.of("a b", "x*", tooLong, "", "é")) {
        c.send(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray().add(bad)));
        assertError(c, "invalid");
        JsonObject ack = c.next();
        assertEquals("Subscribed", ack.getString("type"));
        assertTrue(ack.getJsonArray("topics").isEmpty(), "for '" + bad + "': " + ack.encode());
        assertEquals(List.of(DEFAULT_TOPIC), ack.getJsonArray("all_topics").getList());
      }
      // The "*" grant allows any valid name.
      assertEquals(List.of("any.topic"), subscribe(c, topics("any.topic")).getJsonArray("topics").getList());
      assertPingAnswered(c);
    }
  }

  @Test
  void unsubscribeStopsDeliveryForThatTopic() {
    try (WsClient c = node.connect("t-unsub")) {
      subscribe(c, topics(PUBLIC_TOPIC, PUBLIC_TOPIC_2));
      node.publish(topic(PUBLIC_TOPIC, "before"));
      expectNotification(c, "before");

      c.send(new JsonObject().put("type", "Unsubscribe").put("topics", new JsonArray().add(PUBLIC_TOPIC).add("never-joined")));
      JsonObject ack = c.next();
      assertEquals("Unsubscribed", ack.getString("type"), ack.encode());
      assertEquals(List.of(PUBLIC_TOPIC), ack.getJsonArray("topics").getList());
      assertEquals(Set.of(DEFAULT_TOPIC, PUBLIC_TOPIC_2), strings(ack.getJsonArray("all_topics")));

      node.publish(topic(PUBLIC_TOPIC, "after"));
      node.publish(topic(PUBLIC_TOPIC_2, "still subscribed"));
      expectNotification(c, "still subscribed");
      c.assertNoFrame(QUIET);

      // The default topic can be left too.
      c.send(new JsonObject().put("type", "unsubscribe").put("topics", new JsonArray().add(DEFAULT_TOPIC)));
      assertEquals(List.of(DEFAULT_TOPIC), c.awaitType("Unsubscribed", WAIT).getJsonArray("topics").getList());
      node.publish(topic(DEFAULT_TOPIC, "default after"));
      c.assertNoFrame(QUIET);
    }
  }

  // ---------------------------------------------------------------- broadcast

  @Test
  void broadcastReachesEveryAuthenticatedConnectionOfTheTenantOnly() {
    String acmeToken = node.token("b-acme", Duration.ofHours(1), "acme", List.of());
    try (WsClient a1 = node.connect("b-user1");
         WsClient a2 = node.connectWithToken(node.token("b-user1"), "iOS");
         WsClient b = node.connect("b-user2");
         WsClient c = node.connect("b-user3");
         WsClient acme = node.connectWithToken(acmeToken, "Dashboard");
         WsClient anonymous = node.open()) {
      node.publish(new JsonObject().put("broadcast", true).put("message", "to all"));
      for (WsClient client : List.of(a1, a2, b, c)) {
        JsonObject frame = expectNotification(client, "to all");
        assertNull(frame.getValue("topic"));
      }
      anonymous.assertNoFrame(QUIET);
      assertFalse(anonymous.isClosed(), "the unauthenticated connection must still be open for this check to mean anything");
      for (WsClient client : List.of(a1, a2, b, c, acme)) {
        client.assertNoFrame(Duration.ofMillis(20));
      }

      node.publish(new JsonObject().put("broadcast", true).put("tenant_id", "acme").put("message", "to acme"));
      expectNotification(acme, "to acme");
      a1.assertNoFrame(QUIET);
      for (WsClient client : List.of(a2, b, c)) {
        client.assertNoFrame(Duration.ofMillis(20));
      }
    }
  }

  // ---------------------------------------------------------------- consumers follow connections

  @Test
  void everyConnectionOfAUserAcrossVerticlesReceivesExactlyOnceAndReRegistrationWorks() {
    String userId = "c-multi";
    List<WsClient> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        clients.add(node.connect(userId));
      }
      node.publish(user(userId, "to six"));
      for (WsClient client : clients) {
        expectNotification(client, "to six");
      }
      assertQuiet(clients);

      // Close half of them (whichever verticles they were on): the others still get exactly one copy.
      for (int i = 0; i < 3; i++) {
        clients.remove(0).close();
      }
      node.publish(user(userId, "to three"));
      for (WsClient client : clients) {
        expectNotification(client, "to three");
      }
      assertQuiet(clients);

      for (WsClient client : clients) {
        client.close();
      }
      clients.clear();
      Await.until(() -> node.get("/health").json().getInteger("connections", -1) == 0, WAIT,
          "every connection released by the node");

      // No consumer left for the user: the publish is still accepted, and kept in the offline queue.
      node.publish(user(userId, "to nobody"));

      try (WsClient again = node.connect(userId)) {
        // The first connection back takes the offline queue.
        expectNotification(again, "to nobody");
        WsClient again2 = node.connect(userId);
        clients.add(again2);
        node.publish(user(userId, "welcome back"));
        expectNotification(again, "welcome back");
        // A device that connects within the take record's millisecond resolution of the take is treated as open
        // at the take (README, offline queue): it may get the taken notification once, never twice, before the next.
        JsonObject next = again2.next(WAIT);
        if ("to nobody".equals(next.getString("message"))) {
          next = again2.next(WAIT);
        }
        assertEquals("welcome back", next.getString("message"), next.encode());
        assertQuiet(List.of(again, again2));
      }
    } finally {
      clients.forEach(WsClient::close);
    }
  }

  @Test
  void topicConsumersFollowConnectionsToo() {
    try (WsClient first = node.connect("c-topic1")) {
      subscribe(first, topics(PUBLIC_TOPIC_2));
      first.send(new JsonObject().put("type", "Unsubscribe").put("topics", new JsonArray().add(PUBLIC_TOPIC_2)));
      first.awaitType("Unsubscribed", WAIT);
      node.publish(topic(PUBLIC_TOPIC_2, "no subscriber"));
      first.assertNoFrame(QUIET);
      // Subscribing again after the consumer went away works.
      subscribe(first, topics(PUBLIC_TOPIC_2));
      node.publish(topic(PUBLIC_TOPIC_2, "resubscribed"));
      expectNotification(first, "resubscribed");
    }
    try (WsClient second = node.connect("c-topic2")) {
      subscribe(second, topics(PUBLIC_TOPIC_2));
      node.publish(topic(PUBLIC_TOPIC_2, "new connection"));
      expectNotification(second, "new connection");
      second.assertNoFrame(QUIET);
    }
  }

  // ---------------------------------------------------------------- tenants

  @Test
  void topicNotificationsStayInTheirTenant() {
    String acmeToken = node.token("ten-acme", Duration.ofHours(1), "acme", List.of());
    try (WsClient acme = node.connectWithToken(acmeToken, "Dashboard");
         WsClient plain = node.connect("ten-default")) {
      subscribe(acme, topics(PUBLIC_TOPIC_2));
      subscribe(plain, topics(PUBLIC_TOPIC_2));

      node.publish(topic(PUBLIC_TOPIC_2, "acme alert").put("tenant_id", "acme"));
      JsonObject frame = expectNotification(acme, "acme alert");
      assertEquals(PUBLIC_TOPIC_2, frame.getString("topic"));
      node.publish(topic(PUBLIC_TOPIC_2, "default alert"));
      expectNotification(plain, "default alert"); // and not "acme alert" before it
      acme.assertNoFrame(QUIET);
      plain.assertNoFrame(Duration.ofMillis(20));
    }
  }

  @Test
  void sameUserIdInTwoTenantsIsTwoDifferentUsers() {
    String acmeToken = node.token("sam", Duration.ofHours(1), "acme", List.of());
    try (WsClient acmeSam = node.connectWithToken(acmeToken, "Dashboard");
         WsClient defaultSam = node.connect("sam")) {
      node.publish(user("sam", "acme sam").put("tenant_id", "acme"));
      expectNotification(acmeSam, "acme sam");
      node.publish(user("sam", "default sam"));
      expectNotification(defaultSam, "default sam");
      node.publish(new JsonObject().put("user_ids", new JsonArray().add("sam").add("nobody")).put("tenant_id", "acme")
          .put("message", "acme sam again"));
      expectNotification(acmeSam, "acme sam again");
      acmeSam.assertNoFrame(QUIET);
      defaultSam.assertNoFrame(Duration.ofMillis(20));

      acmeSam.send(new JsonObject().put("type", "GetStatus"));
      JsonObject status = acmeSam.awaitType("Status", WAIT);
      assertEquals("acme", status.getString("tenant"));
      assertEquals("sam", status.getString("user_id"));
    }
  }

  // ---------------------------------------------------------------- message types

  @Test
  void messageTypesMatchIgnoringCaseAndUnderscores() {
    try (WsClient c = node.connect("m-types")) {
      for (String type : List.of("SUBSCRIBE", "subscribe", "Subscribe")) {
        c.send(new JsonObject().put("type", type).put("topics", new JsonArray().add(PUBLIC_TOPIC)));
        JsonObject reply = c.next();
        assertEquals("Subscribed", reply.getString("type"), "for " + type + ": " + reply.encode());
      }
      for (String type : List.of("get_status", "GET_STATUS", "GetStatus", "getstatus")) {
        c.send(new JsonObject().put("type", type));
        JsonObject reply = c.next();
        assertEquals("Status", reply.getString("type"), "for " + type + ": " + reply.encode());
      }
      for (String type : List.of("PING", "ping")) {
        c.send(new JsonObject().put("type", type));
        assertEquals("Pong", c.next().getString("type"), "for " + type);
      }
      c.send(new JsonObject().put("type", "UNSUBSCRIBE").put("topics", new JsonArray().add(PUBLIC_TOPIC)));
      assertEquals("Unsubscribed", c.next().getString("type"));
    }
  }

  @Test
  void badMessagesGetAnErrorAndLeaveTheConnectionOpen() {
    try (WsClient c = node.connect("m-bad")) {
      c.send(new JsonObject().put("type", "Frobnicate"));
      assertTrue(assertError(c, "unknown_type").getString("message").contains("Frobnicate"));
      assertPingAnswered(c);

      c.send(new JsonObject().put("topics", new JsonArray().add(PUBLIC_TOPIC)));
      assertError(c, "malformed");
      assertPingAnswered(c);

      c.send(new JsonObject().put("type", 7));
      assertError(c, "malformed");
      assertPingAnswered(c);

      for (String raw : List.of("[{\"type\":\"Ping\"}]", "42", "\"Ping\"", "{not json")) {
        c.sendText(raw);
        JsonObject error = c.next();
        assertEquals("Error", error.getString("type"), "for " + raw + ": " + error.encode());
        assertEquals("malformed", error.getString("code"), "for " + raw);
        assertPingAnswered(c);
      }

      c.send(new JsonObject().put("type", "Subscribe").put("topics", "x"));
      assertError(c, "invalid");
      assertPingAnswered(c);
      c.send(new JsonObject().put("type", "Subscribe").put("topics", new JsonArray().add(1)));
      assertError(c, "invalid");
      c.send(new JsonObject().put("type", "Unsubscribe").put("topics", 3));
      assertError(c, "invalid");
      assertPingAnswered(c);

      // Still fully working: subscriptions and deliveries go on.
      assertEquals(List.of(PUBLIC_TOPIC), subscribe(c, topics(PUBLIC_TOPIC)).getJsonArray("topics").getList());
      node.publish(user("m-bad", "still here"));
      expectNotification(c, "still here");
      assertFalse(c.isClosed());
    }
  }

  // ---------------------------------------------------------------- helpers

  private static JsonObject user(String userId, String message) {
    return new JsonObject().put("user_id", userId).put("message", message);
  }

  private static JsonObject topic(String topic, String message) {
    return new JsonObject().put("topic", topic).put("message", message);
  }

  private static JsonObject filters(JsonObject filters) {
    return new JsonObject().put("filters", filters);
  }

  private static JsonObject topics(String... names) {
    return new JsonObject().put("topics", new JsonArray(List.of((Object[]) names)));
  }

  /** Sends Subscribe and requires the very next frame to be its Subscribed ack. */
  private static JsonObject subscribe(WsClient client, JsonObject body) {
    client.send(body.copy().put("type", "Subscribe"));
    JsonObject ack = client.next();
    assertEquals("Subscribed", ack.getString("type"), ack.encode());
    return ack;
  }

  /** The very next frame must be a Notification with this message. */
  private static JsonObject expectNotification(WsClient client, String message) {
    JsonObject frame = client.next(WAIT);
    assertEquals("Notification", frame.getString("type"), frame.encode());
    assertEquals(message, frame.getString("message"), frame.encode());
    return frame;
  }

  /** The very next frame must be an Error with this code. */
  private static JsonObject assertError(WsClient client, String code) {
    JsonObject frame = client.next(WAIT);
    assertEquals("Error", frame.getString("type"), frame.encode());
    assertEquals(code, frame.getString("code"), frame.encode());
    return frame;
  }

  private static void assertPingAnswered(WsClient client) {
    client.send(new JsonObject().put("type", "Ping"));
    JsonObject pong = client.next(WAIT);
    assertEquals("Pong", pong.getString("type"), pong.encode());
  }

  /** One quiet period for all: no client receives any further frame. */
  private static void assertQuiet(List<WsClient> clients) {
    clients.get(0).assertNoFrame(QUIET);
    for (WsClient client : clients) {
      client.assertNoFrame(Duration.ofMillis(20));
    }
  }

  private static void assertNoRestriction(JsonObject filters) {
    assertTrue(filters.getJsonArray("priorities").isEmpty(), filters.encode());
    assertTrue(filters.getJsonArray("alert_ids").isEmpty(), filters.encode());
    assertTrue(filters.getJsonArray("chains").isEmpty(), filters.encode());
  }

  private static Set<String> strings(JsonArray array) {
    Set<String> out = new HashSet<>();
    for (Object o : array) {
      out.add(String.valueOf(o));
    }
    return out;
  }
}
