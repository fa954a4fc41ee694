package io.herald.ingress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Action;
import io.herald.model.Ids;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.model.Priority;
import io.herald.model.Target;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class NotificationMapperTest {

  /** Planted in a field called token, and in the invalid field where the case allows, and never echoed. */
  private static final String SECRET = "TOPSECRET-0123456789abcdefghijklmnopqrstuvwxyz!";

  private static final NotificationMapper MAPPER = new NotificationMapper(
      Map.of("ethereum", "https://etherscan.io/tx/{hash}", "Avalanche", "https://snowtrace.io/tx/{hash}"),
      "notifications");

  private static JsonObject natsSample() {
    return new JsonObject("""
        {"user_id":"u1","alert_id":"alert_123","alert_name":"Whale transfer","notification_type":"price_alert","priority":"High",
         "payload":{"triggered_value":"1500","threshold":"1000","transaction_hash":"0xabc","chain":"ethereum","wallet":"0xw","block_number":123},
         "timestamp":"2024-01-01T00:00:00Z","tenant_id":"acme"}
        """);
  }

  private static JsonObject redisSample(String type) {
    return new JsonObject()
        .put("id", "n-1")
        .put("userId", "u1")
        .put("type", type)
        .put("payload", new JsonObject().put("amount", 5).put("from", "fan42"))
        .putNull("readAt")
        .put("createdAt", "2024-01-01T00:00:00Z");
  }

  private static InvalidNotificationException invalid(Runnable r) {
    return assertThrows(InvalidNotificationException.class, r::run);
  }

  // ---------------------------------------------------------------------------------------------
  // NATS -> frame
  // ---------------------------------------------------------------------------------------------

  @Test
  void natsMessageMapsToFrameFieldByField() {
    JsonObject msg = natsSample().put("id", "evt-1");
    msg.getJsonObject("payload").put("gas", 21000).put("memo", new JsonObject().put("k", "v"));
    Notification n = MAPPER.fromNats(msg);
    JsonObject frame = n.toFrame();

    assertEquals("Notification", frame.getString("type"));
    assertEquals("evt-1", frame.getString("id"));
    assertEquals("alert_123", frame.getString("alert_id"));
    assertEquals("Whale transfer", frame.getString("alert_name"));
    assertEquals("price_alert", frame.getString("notification_type"));
    assertEquals("High", frame.getString("priority"));
    assertEquals("Alert triggered: 1500 exceeded 1000", frame.getString("message"));
    assertEquals("2024-01-01T00:00:00Z", frame.getString("timestamp"));
    assertFalse(frame.containsKey("topic"));

    JsonObject details = frame.getJsonObject("details");
    assertEquals("1500", details.getValue("current_value"));
    assertEquals("1000", details.getValue("threshold"));
    assertEquals("ethereum", details.getValue("chain"));
    assertEquals("0xw", details.getValue("wallet"));
    assertEquals("0xabc", details.getValue("transaction_hash"));
    assertEquals("https://etherscan.io/tx/0xabc", details.getValue("transaction_url"));
    assertEquals(123, details.getValue("block_number"));
    assertEquals(21000, details.getValue("gas"));
    assertEquals(new JsonObject().put("k", "v"), details.getValue("memo"));
    assertFalse(details.containsKey("triggered_value"));
    assertEquals(List.of("current_value", "threshold", "chain", "wallet", "transaction_hash", "transaction_url",
        "block_number", "gas", "memo"), new ArrayList<>(details.fieldNames()));

    JsonArray actions = frame.getJsonArray("actions");
    assertEquals(2, actions.size());
    assertEquals(new JsonObject().put("label", "View Transaction").put("url", "/alerts/alert_123/transactions"),
        actions.getJsonObject(0));
    assertEquals(new JsonObject().put("label", "Adjust Alert").put("url", "/alerts/alert_123/edit"),
        actions.getJsonObject(1));

    assertEquals(new Target.Users("acme", List.of("u1")), n.target());
    assertEquals(Priority.HIGH, n.priority());
    assertEquals("ethereum", n.chain());
    assertNull(n.original());
    assertEquals(frame.encode(), new String(n.frameBytes(), StandardCharsets.UTF_8), "the frame as Vert.x would encode it");
  }

  @Test
  void avalancheExplorerIsLookedUpCaseInsensitively() {
    JsonObject msg = natsSample();
    msg.getJsonObject("payload").put("chain", "AVALANCHE").put("transaction_hash", "0xdef");
    JsonObject details = MAPPER.fromNats(msg).toFrame().getJsonObject("details");
    assertEquals("https://snowtrace.io/tx/0xdef", details.getString("transaction_url"));
    assertEquals("AVALANCHE", details.getString("chain"));
  }

  @Test
  void unknownChainOrMissingHashHasNoTransactionUrl() {
    JsonObject msg = natsSample();
    msg.getJsonObject("payload").put("chain", "solana");
    JsonObject details = MAPPER.fromNats(msg).details();
    assertFalse(details.containsKey("transaction_url"));
    assertEquals("solana", details.getString("chain"));
    assertEquals("0xabc", details.getString("transaction_hash"));

    JsonObject noHash = natsSample();
    noHash.getJsonObject("payload").remove("transaction_hash");
    JsonObject d2 = MAPPER.fromNats(noHash).details();
    assertFalse(d2.containsKey("transaction_url"));
    assertFalse(d2.containsKey("transaction_hash"));
    assertEquals("ethereum", d2.getString("chain"));

    NotificationMapper noExplorers = new NotificationMapper(null, null);
    assertFalse(noExplorers.fromNats(natsSample()).details().containsKey("transaction_url"));
  }

  @Test
  void hashAndAlertIdAreEncodedAsOnePathSegment() {
    JsonObject msg = natsSample().put("alert_id", "a/b?c");
    msg.getJsonObject("payload").put("transaction_hash", "0x1/../x?y");
    Notification n = MAPPER.fromNats(msg);
    assertEquals("https://etherscan.io/tx/0x1%2F..%2Fx%3Fy", n.details().getString("transaction_url"));
    assertEquals("0x1/../x?y", n.details().getString("transaction_hash"));
    assertEquals(List.of(new Action("View Transaction", "/alerts/a%2Fb%3Fc/transactions"),
        new Action("Adjust Alert", "/alerts/a%2Fb%3Fc/edit")), n.actions());
    assertEquals("a/b?c", n.alertId());
  }

  @Test
  void numericValuesKeepTheirTypeAndRenderUnquoted() {
    JsonObject msg = new JsonObject("""
        {"user_id":"u1","alert_id":"a1","payload":{"triggered_value":1500.5,"threshold":1000}}""");
    Notification n = MAPPER.fromNats(msg);
    assertEquals("Alert triggered: 1500.5 exceeded 1000", n.message());
    assertEquals(1500.5, n.details().getValue("current_value"));
    assertEquals(1000, n.details().getValue("threshold"));
    assertEquals(Priority.MEDIUM, n.priority());
    assertNull(n.kind());
    assertNull(n.alertName());
  }

  @Test
  void messageFallsBackToAlertNameThenEmpty() {
    JsonObject msg = natsSample();
    msg.getJsonObject("payload").remove("threshold");
    Notification n = MAPPER.fromNats(msg);
    assertEquals("Whale transfer", n.message());
    assertEquals("1500", n.details().getValue("current_value"));
    assertFalse(n.details().containsKey("threshold"));

    msg.remove("alert_name");
    assertEquals("", MAPPER.fromNats(msg).message());

    JsonObject noPayload = new JsonObject().put("user_id", "u1").put("alert_name", "Just a name");
    Notification bare = MAPPER.fromNats(noPayload);
    assertEquals("Just a name", bare.message());
    assertEquals(new JsonObject(), bare.details());
    assertEquals(List.of(), bare.actions());
  }

  @Test
  void ownMessageAndActionsWin() {
    JsonObject msg = natsSample()
        .put("message", "Custom text")
        .put("actions", new JsonArray().add(new JsonObject().put("label", "Open").put("url", "https://x.test/1")));
    Notification n = MAPPER.fromNats(msg);
    assertEquals("Custom text", n.message());
    assertEquals(List.of(new Action("Open", "https://x.test/1")), n.actions());
    assertEquals("1500", n.details().getValue("current_value"));

    Notification emptyActions = MAPPER.fromNats(natsSample().put("actions", new JsonArray()));
    assertEquals(List.of(), emptyActions.actions());
  }

  @Test
  void noAlertIdMeansNoDefaultActions() {
    JsonObject msg = natsSample();
    msg.remove("alert_id");
    Notification n = MAPPER.fromNats(msg);
    assertEquals(List.of(), n.actions());
    assertEquals(0, n.toFrame().getJsonArray("actions").size());
    assertNull(n.toFrame().getValue("alert_id"));
  }

  @Test
  void canonicalDetailsAreUsedWhenThereIsNoPayload() {
    JsonObject details = new JsonObject().put("chain", "base").put("anything", new JsonArray().add(1));
    JsonObject msg = new JsonObject().put("topic", "whales").put("message", "Hello").put("details", details)
        .put("priority", "critical");
    Notification n = MAPPER.fromCanonical(msg);
    assertEquals(details, n.details());
    assertEquals("Hello", n.message());
    assertEquals(Priority.CRITICAL, n.priority());
    assertEquals("base", n.chain());
  }

  @Test
  void payloadAndDetailsTogetherKeepBoth() {
    JsonObject msg = natsSample().put("details", new JsonObject().put("extra", "x").put("chain", "ignored"));
    JsonObject details = MAPPER.fromNats(msg).details();
    assertEquals("x", details.getString("extra"));
    assertEquals("ethereum", details.getString("chain"));
  }

  // ---------------------------------------------------------------------------------------------
  // Targets and tenants
  // ---------------------------------------------------------------------------------------------

  @Test
  void topicTarget() {
    JsonObject msg = natsSample();
    msg.remove("user_id");
    msg.put("topic", "whales.eth");
    Notification n = MAPPER.fromNats(msg);
    assertEquals(new Target.Topic("acme", "whales.eth"), n.target());
    assertEquals("whales.eth", n.toFrame().getString("topic"));
  }

  @Test
  void broadcastTarget() {
    JsonObject msg = natsSample();
    msg.remove("user_id");
    msg.put("broadcast", true);
    Notification n = MAPPER.fromNats(msg);
    assertEquals(new Target.Broadcast("acme"), n.target());
    assertFalse(n.toFrame().containsKey("topic"));
  }

  @Test
  void broadcastFalseIsNotATarget() {
    JsonObject msg = natsSample().put("broadcast", false);
    assertEquals(new Target.Users("acme", List.of("u1")), MAPPER.fromNats(msg).target());
    msg.remove("user_id");
    assertTrue(invalid(() -> MAPPER.fromNats(msg)).getMessage().startsWith("no target"));
  }

  @Test
  void userIdsAreDeduplicatedKeepingOrder() {
    JsonObject msg = new JsonObject().put("user_ids", new JsonArray(List.of("b", "a", "b", "c", "a")));
    assertEquals(new Target.Users(Ids.DEFAULT_TENANT, List.of("b", "a", "c")), MAPPER.fromNats(msg).target());

    JsonObject both = new JsonObject().put("user_id", "c").put("user_ids", new JsonArray(List.of("a", "c", "b")));
    assertEquals(List.of("c", "a", "b"), ((Target.Users) MAPPER.fromNats(both).target()).userIds());
  }

  @Test
  void userIdsLimits() {
    List<String> thousand = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      thousand.add("user" + i);
    }
    Notification n = MAPPER.fromNats(new JsonObject().put("user_ids", new JsonArray(thousand)));
    assertEquals(1000, ((Target.Users) n.target()).userIds().size());

    List<String> tooMany = new ArrayList<>(thousand);
    tooMany.add("user1000");
    assertTrue(invalid(() -> MAPPER.fromNats(new JsonObject().put("user_ids", new JsonArray(tooMany))))
        .getMessage().startsWith("user_ids:"));

    assertTrue(invalid(() -> MAPPER.fromNats(new JsonObject().put("user_id", "extra").put("user_ids", new JsonArray(thousand))))
        .getMessage().startsWith("user_ids:"));
  }

  @ParameterizedTest
  @CsvSource(value = {"<absent>,default", "<null>,default", "'',default", "acme,acme", "Tenant_2-b,Tenant_2-b"}, nullValues = "<null>")
  void tenantDefaultsAndPassesThrough(String tenant, String expected) {
    JsonObject msg = new JsonObject().put("user_id", "u1");
    if (tenant == null) {
      msg.putNull("tenant_id");
    } else if (!tenant.equals("<absent>")) {
      msg.put("tenant_id", tenant);
    }
    assertEquals(expected, MAPPER.fromNats(msg).target().tenant());
  }

  // ---------------------------------------------------------------------------------------------
  // Ids and timestamps
  // ---------------------------------------------------------------------------------------------

  @Test
  void missingIdIsARandomUuid() {
    Notification a = MAPPER.fromNats(natsSample());
    Notification b = MAPPER.fromNats(natsSample().putNull("id"));
    assertEquals(a.id(), UUID.fromString(a.id()).toString());
    assertEquals(b.id(), UUID.fromString(b.id()).toString());
    assertNotEquals(a.id(), b.id());
  }

  @Test
  void validIdsAreKept() {
    assertEquals("a:b.c-d_E9", MAPPER.fromNats(natsSample().put("id", "a:b.c-d_E9")).id());
    String max = "x".repeat(128);
    assertEquals(max, MAPPER.fromNats(natsSample().put("id", max)).id());
  }

  @ParameterizedTest
  @CsvSource({
      "'\"2024-01-01T00:00:00Z\"', 2024-01-01T00:00:00Z",
      "'\"2024-01-01T00:00:00.123Z\"', 2024-01-01T00:00:00.123Z",
      "'\"2024-01-01T02:00:00+02:00\"', 2024-01-01T00:00:00Z",
      "'\"2023-12-31T19:30:00-04:30\"', 2024-01-01T00:00:00Z",
      "1704067200, 2024-01-01T00:00:00Z",
      "1704067200.5, 2024-01-01T00:00:00.500Z",
      "1704067200000, 2024-01-01T00:00:00Z",
      "1704067200123, 2024-01-01T00:00:00.123Z",
      "99999999999, 5138-11-16T09:46:39Z",
      "100000000000, 1973-03-03T09:46:40Z"
  })
  void timestampForms(String json, String expected) {
    JsonObject msg = new JsonObject("{\"user_id\":\"u1\",\"timestamp\":" + json + "}");
    Notification n = MAPPER.fromNats(msg);
    assertEquals(Instant.parse(expected), n.timestamp());
    assertEquals(Instant.parse(expected).toString(), n.toFrame().getString("timestamp"));
  }

  @Test
  void missingTimestampIsNow() {
    Instant before = Instant.now();
    Notification n = MAPPER.fromNats(new JsonObject().put("user_id", "u1"));
    Instant after = Instant.now();
    assertFalse(n.timestamp().isBefore(before));
    assertFalse(n.timestamp().isAfter(after));
  }

  // ---------------------------------------------------------------------------------------------
  // Invalid messages
  // ---------------------------------------------------------------------------------------------

  static Stream<Arguments> invalidCases() {
    List<String> tooMany = new ArrayList<>();
    for (int i = 0; i <= 1000; i++) {
      tooMany.add("u" + i);
    }
    JsonArray elevenActions = new JsonArray();
    for (int i = 0; i < 11; i++) {
      elevenActions.add(new JsonObject().put("label", "l").put("url", "/u"));
    }
    return Stream.of(
        c("user_id: invalid characters", m -> m.put("user_id", "u 1")),
        c("user_id:", m -> m.put("user_id", SECRET)),
        c("user_id:", m -> m.put("user_id", 42)),
        c("user_id:", m -> m.put("user_id", "")),
        c("user_id:", m -> m.put("user_id", "u".repeat(129))),
        c("user_ids:", m -> nt(m).put("user_ids", "u1")),
        c("user_ids:", m -> nt(m).put("user_ids", new JsonArray())),
        c("user_ids:", m -> nt(m).put("user_ids", new JsonArray(tooMany))),
        c("user_ids[1]:", m -> nt(m).put("user_ids", new JsonArray().add("ok").add(SECRET))),
        c("user_ids[0]:", m -> nt(m).put("user_ids", new JsonArray().add(7))),
        c("topic:", m -> nt(m).put("topic", SECRET)),
        c("topic:", m -> nt(m).put("topic", "has space")),
        c("topic:", m -> nt(m).put("topic", 3)),
        c("broadcast:", m -> nt(m).put("broadcast", "yes")),
        c("no target", m -> nt(m)),
        c("target:", m -> m.put("topic", "t")),
        c("target:", m -> m.put("broadcast", true)),
        c("target:", m -> nt(m).put("topic", "t").put("broadcast", true)),
        c("target:", m -> nt(m).put("user_ids", new JsonArray().add("a")).put("topic", "t")),
        c("tenant_id:", m -> m.put("tenant_id", SECRET)),
        c("tenant_id:", m -> m.put("tenant_id", "a.b")),
        c("tenant_id:", m -> m.put("tenant_id", "t".repeat(65))),
        c("tenant_id:", m -> m.put("tenant_id", 5)),
        c("id:", m -> m.put("id", SECRET)),
        c("id:", m -> m.put("id", "a/b")),
        c("id:", m -> m.put("id", "")),
        c("id:", m -> m.put("id", "x".repeat(129))),
        c("id:", m -> m.put("id", 12)),
        c("priority: unknown value 'Urgent'", m -> m.put("priority", "Urgent")),
        c("priority:", m -> m.put("priority", SECRET)),
        c("priority:", m -> m.put("priority", 3)),
        c("timestamp:", m -> m.put("timestamp", SECRET)),
        c("timestamp:", m -> m.put("timestamp", "yesterday")),
        c("timestamp:", m -> m.put("timestamp", true)),
        c("timestamp:", m -> m.put("timestamp", new JsonObject())),
        c("timestamp:", m -> m.put("timestamp", 1e300)),
        c("alert_id:", m -> m.put("alert_id", 123)),
        c("alert_id:", m -> m.put("alert_id", "a".repeat(129))),
        c("alert_name:", m -> m.put("alert_name", 1)),
        c("notification_type:", m -> m.put("notification_type", new JsonArray())),
        c("message:", m -> m.put("message", 5)),
        c("message:", m -> m.put("message", "m".repeat(4097))),
        c("details:", m -> m.put("details", "text")),
        c("payload:", m -> m.put("payload", new JsonArray())),
        c("actions:", m -> m.put("actions", "none")),
        c("actions:", m -> m.put("actions", elevenActions)),
        c("actions[0]:", m -> m.put("actions", new JsonArray().add("x"))),
        c("actions[0].label:", m -> m.put("actions", new JsonArray().add(new JsonObject().put("url", "/u")))),
        c("actions[1].url:", m -> m.put("actions", new JsonArray()
            .add(new JsonObject().put("label", "a").put("url", "/a"))
            .add(new JsonObject().put("label", "b").put("url", 9)))));
  }

  private static Arguments c(String reasonPrefix, Consumer<JsonObject> mutation) {
    return Arguments.of(reasonPrefix, mutation);
  }

  /** Removes the sample's user target. */
  private static JsonObject nt(JsonObject m) {
    m.remove("user_id");
    return m;
  }

  @ParameterizedTest
  @MethodSource("invalidCases")
  void invalidMessagesNameTheFieldAndNeverEchoSecrets(String reasonPrefix, Consumer<JsonObject> mutation) {
    JsonObject msg = natsSample().put("token", SECRET).put("password", SECRET);
    mutation.accept(msg);
    for (Runnable call : List.<Runnable>of(() -> MAPPER.fromNats(msg.copy()), () -> MAPPER.fromCanonical(msg.copy()))) {
      String reason = invalid(call).getMessage();
      assertTrue(reason.startsWith(reasonPrefix), () -> "reason '" + reason + "' should start with '" + reasonPrefix + "'");
      assertFalse(reason.contains("TOPSECRET"), reason);
      assertFalse(reason.contains("0123456789abcdef"), reason);
    }
  }

  @Test
  void longPriorityValueIsNotEchoedButShortOneIs() {
    assertEquals("priority: unknown value 'Urgent'",
        invalid(() -> MAPPER.fromNats(natsSample().put("priority", "Urgent"))).getMessage());
    String longValue = "p".repeat(33);
    String reason = invalid(() -> MAPPER.fromNats(natsSample().put("priority", longValue))).getMessage();
    assertEquals("priority: unknown value", reason);
  }

  @Test
  void nullMessageIsInvalid() {
    invalid(() -> MAPPER.fromNats(null));
    invalid(() -> MAPPER.fromRedis("notifications:global", null));
  }

  // ---------------------------------------------------------------------------------------------
  // parseObject and construction
  // ---------------------------------------------------------------------------------------------

  @Test
  void parseObject() {
    assertEquals(new JsonObject().put("a", 1), NotificationMapper.parseObject(Buffer.buffer("{\"a\":1}")));
    assertEquals("payload is not a JSON object",
        invalid(() -> NotificationMapper.parseObject(Buffer.buffer("[1,2]"))).getMessage());
    assertEquals("payload is not a JSON object",
        invalid(() -> NotificationMapper.parseObject(Buffer.buffer("\"str\""))).getMessage());
    String bad = invalid(() -> NotificationMapper.parseObject(Buffer.buffer("{\"token\":\"" + SECRET + "\""))).getMessage();
    assertEquals("payload is not valid JSON", bad);
    invalid(() -> NotificationMapper.parseObject(Buffer.buffer()));
    invalid(() -> NotificationMapper.parseObject(null));
    JsonObject parsed = NotificationMapper.parseObject(Buffer.buffer(natsSample().encode()));
    assertEquals("price_alert", MAPPER.fromNats(parsed).kind());
    // At most 1 MiB: Redis pub/sub bounds nothing itself.
    String filler = "x".repeat(NotificationMapper.MAX_PAYLOAD_BYTES - "{\"f\":\"\"}".length());
    assertEquals(1, NotificationMapper.parseObject(Buffer.buffer("{\"f\":\"" + filler + "\"}")).size());
    assertEquals("payload is longer than 1048576 bytes",
        invalid(() -> NotificationMapper.parseObject(Buffer.buffer("{\"f\":\"" + filler + "x\"}"))).getMessage());
  }

  @Test
  void explorerTemplateMustContainHash() {
    assertThrows(IllegalArgumentException.class, () -> new NotificationMapper(Map.of("ethereum", "https://x/tx/"), "p"));
  }

  // ---------------------------------------------------------------------------------------------
  // Redis
  // ---------------------------------------------------------------------------------------------

  @Test
  void channelKinds() {
    assertEquals(Optional.of(new Target.Users("default", List.of("u1"))), MAPPER.targetOfChannel("notifications:user:u1"));
    assertEquals(Optional.of(new Target.Users("default", List.of("a:b@c.d"))), MAPPER.targetOfChannel("notifications:user:a:b@c.d"));
    assertEquals(Optional.of(new Target.Topic("default", "whales")), MAPPER.targetOfChannel("notifications:channel:whales"));
    assertEquals(Optional.of(new Target.Broadcast("default")), MAPPER.targetOfChannel("notifications:global"));
    assertEquals(Optional.empty(), MAPPER.targetOfChannel("notifications:user:"));
    assertEquals(Optional.empty(), MAPPER.targetOfChannel("notifications:user:bad id"));
    assertEquals(Optional.empty(), MAPPER.targetOfChannel("notifications:channel:*"));
    assertEquals(Optional.empty(), MAPPER.targetOfChannel("notifications:global:x"));
    assertEquals(Optional.empty(), MAPPER.targetOfChannel("notifications:other:x"));
    assertEquals(Optional.empty(), MAPPER.targetOfChannel("other:user:u1"));
    assertEquals(Optional.empty(), MAPPER.targetOfChannel(null));

    NotificationMapper custom = new NotificationMapper(Map.of(), "herald");
    assertEquals(Optional.of(new Target.Broadcast("default")), custom.targetOfChannel("herald:global"));
    assertEquals(Optional.empty(), custom.targetOfChannel("notifications:global"));
    assertEquals("notifications", new NotificationMapper(Map.of(), null).redisChannelPrefix());
  }

  @Test
  void unknownChannelIsInvalid() {
    assertEquals("channel: unknown channel",
        invalid(() -> MAPPER.fromRedis("notifications:elsewhere", redisSample("TIP"))).getMessage());
    assertTrue(invalid(() -> MAPPER.fromRedis("notifications:user:" + SECRET, redisSample("TIP"))).getMessage()
        .startsWith("channel:"));
    assertFalse(invalid(() -> MAPPER.fromRedis("notifications:user:" + SECRET, redisSample("TIP"))).getMessage()
        .contains("TOPSECRET"));
  }

  @ParameterizedTest
  @CsvSource({
      "TIP, You received a tip, Medium",
      "SUB, You have a new subscriber, Medium",
      "FOLLOW, You have a new follower, Medium",
      "SYSTEM, System notification, High",
      "GIFT, New notification, Medium"
  })
  void redisFormatPerType(String type, String message, String priority) {
    JsonObject msg = redisSample(type);
    Notification n = MAPPER.fromRedis("notifications:user:u1", msg);
    JsonObject frame = n.toFrame();
    assertEquals("n-1", frame.getString("id"));
    assertEquals(type, frame.getString("notification_type"));
    assertEquals(message, frame.getString("message"));
    assertEquals(priority, frame.getString("priority"));
    assertEquals(msg.getJsonObject("payload"), frame.getJsonObject("details"));
    assertEquals("2024-01-01T00:00:00Z", frame.getString("timestamp"));
    assertNull(frame.getValue("alert_id"));
    assertNull(frame.getValue("alert_name"));
    assertEquals(new JsonArray(), frame.getJsonArray("actions"));
    assertEquals(new Target.Users("default", List.of("u1")), n.target());
    assertEquals(msg, n.original());
    assertTrue(n.original().containsKey("readAt"));
  }

  @Test
  void redisFormatPayloadMessageAndPriorityWin() {
    JsonObject msg = redisSample("SYSTEM");
    msg.getJsonObject("payload").put("message", "Maintenance at noon").put("priority", "low");
    Notification n = MAPPER.fromRedis("notifications:global", msg.put("tenant_id", "acme"));
    assertEquals("Maintenance at noon", n.message());
    assertEquals(Priority.LOW, n.priority());
    assertEquals(new Target.Broadcast("acme"), n.target());

    JsonObject bad = redisSample("TIP");
    bad.getJsonObject("payload").put("priority", "Urgent");
    assertTrue(invalid(() -> MAPPER.fromRedis("notifications:user:u1", bad)).getMessage().startsWith("payload.priority:"));

    JsonObject badType = redisSample("TIP");
    badType.getJsonObject("payload").put("message", 3);
    assertTrue(invalid(() -> MAPPER.fromRedis("notifications:user:u1", badType)).getMessage().startsWith("payload.message:"));
  }

  @Test
  void redisFormatDefaultsIdAndValidatesFields() {
    JsonObject msg = redisSample("TIP");
    msg.remove("id");
    msg.remove("payload");
    Notification n = MAPPER.fromRedis("notifications:channel:creators", msg);
    assertEquals(n.id(), UUID.fromString(n.id()).toString());
    assertEquals(new JsonObject(), n.details());
    assertEquals(new Target.Topic("default", "creators"), n.target());
    assertEquals("creators", n.toFrame().getString("topic"));

    assertTrue(invalid(() -> MAPPER.fromRedis("notifications:user:u1", redisSample("TIP").put("createdAt", "soon")))
        .getMessage().startsWith("createdAt:"));
    assertTrue(invalid(() -> MAPPER.fromRedis("notifications:user:u1", redisSample("TIP").put("id", "a b")))
        .getMessage().startsWith("id:"));
    assertTrue(invalid(() -> MAPPER.fromRedis("notifications:user:u1", redisSample("TIP").put("payload", "x")))
        .getMessage().startsWith("payload:"));
    assertTrue(invalid(() -> MAPPER.fromRedis("notifications:user:u1", redisSample("TIP").put("tenant_id", "a.b")))
        .getMessage().startsWith("tenant_id:"));
  }

  @Test
  void redisUserIdMustMatchUserChannelAndIsIgnoredElsewhere() {
    String reason = invalid(() -> MAPPER.fromRedis("notifications:user:u1", redisSample("TIP").put("userId", "u2"))).getMessage();
    assertTrue(reason.startsWith("userId:"), reason);
    assertEquals(new Target.Users("default", List.of("u1")),
        MAPPER.fromRedis("notifications:user:u1", redisSample("TIP")).target());
    assertEquals(new Target.Users("default", List.of("u1")),
        MAPPER.fromRedis("notifications:user:u1", redisSample("TIP").putNull("userId")).target());
    assertEquals(new Target.Topic("default", "c1"),
        MAPPER.fromRedis("notifications:channel:c1", redisSample("TIP").put("userId", "u2")).target());
    assertEquals(new Target.Broadcast("default"),
        MAPPER.fromRedis("notifications:global", redisSample("TIP").put("userId", "u2")).target());
  }

  @Test
  void natsFormatOnRedisChannelTakesTargetFromChannel() {
    JsonObject msg = natsSample();
    msg.remove("user_id");
    Notification n = MAPPER.fromRedis("notifications:channel:whales", msg);
    assertEquals(new Target.Topic("acme", "whales"), n.target());
    JsonObject frame = n.toFrame();
    assertEquals("whales", frame.getString("topic"));
    assertEquals("Alert triggered: 1500 exceeded 1000", frame.getString("message"));
    assertEquals("price_alert", frame.getString("notification_type"));
    assertEquals("https://etherscan.io/tx/0xabc", frame.getJsonObject("details").getString("transaction_url"));
    assertEquals(2, frame.getJsonArray("actions").size());
    assertNull(n.original());

    // a matching target field is fine
    assertEquals(new Target.Users("acme", List.of("u1")), MAPPER.fromRedis("notifications:user:u1", natsSample()).target());
    assertEquals(new Target.Broadcast("acme"),
        MAPPER.fromRedis("notifications:global", nt(natsSample()).put("broadcast", true)).target());
    assertEquals(new Target.Topic("acme", "whales"),
        MAPPER.fromRedis("notifications:channel:whales", nt(natsSample()).put("topic", "whales")).target());
  }

  @Test
  void messageWithTypeAndAlertIdIsNatsFormat() {
    JsonObject msg = natsSample().put("type", "TIP");
    msg.remove("notification_type");
    Notification n = MAPPER.fromRedis("notifications:user:u1", msg);
    assertNull(n.kind());
    assertEquals("Alert triggered: 1500 exceeded 1000", n.message());
    assertNull(n.original());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "notifications:user:u1|{\"user_id\":\"u2\"}|user_id:",
      "notifications:user:u1|{\"user_ids\":[\"u1\",\"u2\"]}|user_ids:",
      "notifications:user:u1|{\"topic\":\"t\"}|topic:",
      "notifications:user:u1|{\"broadcast\":true}|broadcast:",
      "notifications:channel:c1|{\"topic\":\"c2\"}|topic:",
      "notifications:channel:c1|{\"user_id\":\"u1\"}|user_id:",
      "notifications:channel:c1|{\"broadcast\":true}|broadcast:",
      "notifications:global|{\"topic\":\"t\"}|topic:",
      "notifications:global|{\"user_ids\":[\"u1\"]}|user_ids:",
      "notifications:user:u1|{\"user_id\":\"u1\",\"topic\":\"t\"}|target:",
      "notifications:global|{\"broadcast\":\"yes\"}|broadcast:"
  })
  void natsTargetContradictingChannelIsInvalid(String channel, String target, String reasonPrefix) {
    JsonObject msg = new JsonObject(target).put("notification_type", "price_alert").put("message", "m");
    String reason = invalid(() -> MAPPER.fromRedis(channel, msg)).getMessage();
    assertTrue(reason.startsWith(reasonPrefix), reason);
  }

  // ---------------------------------------------------------------------------------------------
  // Canonical round trip
  // ---------------------------------------------------------------------------------------------

  static Stream<Notification> roundTripCases() {
    JsonObject topic = nt(natsSample()).put("topic", "whales");
    JsonObject broadcast = nt(natsSample()).put("broadcast", true).put("tenant_id", "");
    JsonObject many = nt(natsSample()).put("user_ids", new JsonArray(List.of("a", "b", "a")));
    many.remove("alert_id");
    return Stream.of(
        MAPPER.fromNats(natsSample()),
        MAPPER.fromNats(topic),
        MAPPER.fromNats(broadcast),
        MAPPER.fromNats(many),
        MAPPER.fromNats(new JsonObject().put("user_id", "u1")),
        MAPPER.fromRedis("notifications:user:u1", redisSample("SYSTEM").put("tenant_id", "acme")),
        Notification.builder().id("x").target(new Target.Topic("t1", "news")).priority(Priority.LOW)
            .timestamp(Instant.parse("2024-05-06T07:08:09.123456789Z"))
            .actions(List.of(new Action("Go", "https://go.test"))).message("hi").build());
  }

  @ParameterizedTest
  @MethodSource("roundTripCases")
  void canonicalRoundTrip(Notification n) {
    Notification again = MAPPER.fromCanonical(n.toJson());
    assertEquals(n.toJson(), again.toJson());
    assertArrayEquals(n.frameBytes(), again.frameBytes());
    assertEquals(n.target(), again.target());
    assertEquals(n.actions(), again.actions());
    // and through the wire encoding
    Notification decoded = MAPPER.fromCanonical(NotificationMapper.parseObject(Buffer.buffer(n.toJson().encode())));
    assertEquals(n.toJson(), decoded.toJson());
  }

  @Test
  void canonicalAcceptsNatsFormat() {
    assertEquals(MAPPER.fromNats(natsSample().put("id", "same")).toJson(),
        MAPPER.fromCanonical(natsSample().put("id", "same")).toJson());
  }
}
