package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Addresses;
import io.herald.model.Filters;
import io.herald.model.Notification;
import io.herald.model.Priority;
import io.herald.session.SessionFixture.Client;
import io.herald.state.StreamKey;
import io.herald.testkit.Await;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Recovery of broadcast and topic streams through the session core ({@link ReplayCoordinator}, {@link StreamAccess},
 * {@link Delivery}), as {@code /ws} Authenticate and Resume drive it: each stream named is replayed after its position,
 * in offset order, through the session's filters, with live notifications held meanwhile and their copies of what was
 * replayed dropped; a topic the token does not grant is never replayed, and a stale epoch is reported per stream.
 */
class StreamReplayTest {

  private static final String TOPIC = "alerts";
  private static final String TOPIC_ADDRESS = Addresses.topic(SessionFixture.TENANT, TOPIC);
  private static final String BROADCAST_ADDRESS = Addresses.broadcast(SessionFixture.TENANT);

  private SessionFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void eachStreamIsReplayedAfterItsPositionInOrderThenTheHeldLiveOnesWithoutTheReplayedCopies() {
    fixture = SessionFixture.start(o -> { });
    Notification t1 = fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t1");
    fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t2");
    Notification t3 = fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t3");
    Notification b1 = fixture.appendToBroadcast("b1", Priority.MEDIUM);
    Notification b2 = fixture.appendToBroadcast("b2", Priority.MEDIUM);
    Client c = fixture.open();
    CompletableFuture<Void> replayRead = fixture.history.holdReplays();
    CompletableFuture<StreamAccess.Plan> started = fixture.authenticateStreams(c, fixture.token("u1", List.of(TOPIC)),
        positions(Map.of("topic:" + TOPIC, at(t1), "broadcast", at(b1))));
    SessionFixture.get(replayRead, "the replay read");

    // While the replays are read: the late live copies of t3 and b2, then new ones of both streams.
    Notification t4 = fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t4");
    Notification b3 = fixture.appendToBroadcast("b3", Priority.MEDIUM);
    fixture.publish(TOPIC_ADDRESS, t3, t4);
    fixture.publish(BROADCAST_ADDRESS, b2, b3);
    assertEquals(List.of(), written(c), "nothing is written before the replay");
    release();
    SessionFixture.get(started, "the start of the streams");
    // A late live copy of a replayed one arriving after the switch is dropped as well; a new one passes.
    Notification t5 = fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t5");
    fixture.publish(TOPIC_ADDRESS, t3, t5);
    c.transport().awaitWrites(w -> "t5".equals(w.json().getString("message")), 1, SessionFixture.WAIT);

    List<String> written = written(c);
    assertEquals("Authenticated", written.get(0), "written: " + written);
    assertEquals(List.of("t2", "t3", "t4", "t5"), only(written, "t"), "the topic stream once each, in offset order");
    assertEquals(List.of("b2", "b3"), only(written, "b"), "the broadcast stream once each, in offset order");
    assertTrue(written.indexOf("t3") < written.indexOf("t4") && written.indexOf("b2") < written.indexOf("b3"),
        "the replay before what was held: " + written);
    JsonObject streams = c.transport().writes().get(0).json().getJsonObject("streams");
    JsonObject topicAnswer = streams.getJsonObject("topic:" + TOPIC);
    assertEquals(true, topicAnswer.getBoolean("recovered"), "topic answer: " + topicAnswer);
    assertEquals(t3.epoch(), topicAnswer.getString("epoch"));
    assertEquals(topicAnswer.getLong("offset") - 1, topicAnswer.getLong("missed"),
        "everything after offset 1 up to the stream's position at the read (t4 or not, as the read fell)");
    assertEquals(true, streams.getJsonObject("broadcast").getBoolean("recovered"));
    assertTrue(c.session().topics().contains(TOPIC), "the topic resumed at authentication is joined");
  }

  @Test
  void theSessionsFiltersApplyToTheReplay() {
    fixture = SessionFixture.start(o -> { });
    Notification b1 = fixture.appendToBroadcast("b1", Priority.HIGH);
    fixture.appendToBroadcast("low", Priority.LOW);
    fixture.appendToBroadcast("high", Priority.HIGH);
    Client c = fixture.connect("u1");
    fixture.onLoop(() -> {
      c.session().filters(Filters.fromJson(new JsonObject().put("priorities", List.of("High"))));
      return null;
    });

    boolean started = fixture.onLoop(() -> fixture.core.replay().resume(c.session(), null,
        StreamAccess.plan(fixture.options.access(), c.session(), Map.of("broadcast", at(b1)), false).readable(),
        outcome -> new JsonObject().put("type", "Resumed").encode().getBytes(StandardCharsets.UTF_8)));

    assertTrue(started, "a Resume starts when none is in progress");
    c.transport().awaitWrites(w -> "high".equals(w.json().getString("message")), 1, SessionFixture.WAIT);
    assertEquals(List.of("Authenticated", "Resumed", "high"), written(c), "the Low one is filtered out of the replay");
  }

  @Test
  void aTopicTheTokenDoesNotGrantIsRefusedNeverJoinedNorReplayed() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToTopic(SessionFixture.TENANT, "secret", "s1");
    Client c = fixture.open();

    StreamAccess.Plan plan = SessionFixture.get(fixture.authenticateStreams(c, fixture.token("u1"),
        positions(Map.of("topic:secret", new ResumePosition("", 0)))), "the start");

    assertEquals(List.of("secret"), plan.forbidden());
    assertEquals(List.of("Authenticated"), written(c), "nothing of the topic is written");
    assertEquals(new JsonObject().put("recovered", false).put("error", "forbidden"),
        c.transport().writes().get(0).json().getJsonObject("streams").getJsonObject("topic:secret"));
    assertFalse(c.session().topics().contains("secret"), "not joined");
    assertFalse(fixture.onLoop(() -> fixture.core.addresses().registered(Addresses.topic(SessionFixture.TENANT, "secret"))),
        "no consumer of the topic is registered");
  }

  @Test
  void aTopicStreamIsAlwaysTheSessionsTenantsNeverAnothers() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToTopic("other", TOPIC, "theirs");
    Notification mine = fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "mine");
    Client c = fixture.open();

    SessionFixture.get(fixture.authenticateStreams(c, fixture.token("u1", List.of(TOPIC)),
        positions(Map.of("topic:" + TOPIC, new ResumePosition("", 0)))), "the start");

    assertEquals(List.of("Authenticated", "mine"), written(c), "only the tenant's own topic stream: " + mine.epoch());
  }

  @Test
  void aStaleEpochGivesRecoveredFalseForThatStreamOnly() {
    fixture = SessionFixture.start(o -> { });
    Notification t1 = fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t1");
    fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t2");
    fixture.appendToBroadcast("b1", Priority.MEDIUM);
    fixture.appendToBroadcast("b2", Priority.MEDIUM);
    Client c = fixture.open();

    SessionFixture.get(fixture.authenticateStreams(c, fixture.token("u1", List.of(TOPIC)),
        positions(Map.of("topic:" + TOPIC, at(t1), "broadcast", new ResumePosition("a-lost-epoch", 1)))), "the start");

    JsonObject streams = c.transport().writes().get(0).json().getJsonObject("streams");
    assertEquals(true, streams.getJsonObject("topic:" + TOPIC).getBoolean("recovered"));
    assertEquals(false, streams.getJsonObject("broadcast").getBoolean("recovered"), "the broadcast stream's epoch is stale");
    assertEquals(List.of("t2"), only(written(c), "t"), "the topic after its position");
    assertEquals(List.of("b1", "b2"), only(written(c), "b"), "the broadcast's whole retained history");
  }

  @Test
  void aResumeWhileConnectedReplaysOnlyJoinedTopicsAndNotTwoAtOnce() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t1");
    Client c = fixture.open();
    SessionFixture.get(fixture.authenticateStreams(c, fixture.token("u1", List.of(TOPIC)), StreamPositions.NONE),
        "the start");

    StreamAccess.Plan plan = fixture.onLoop(() -> StreamAccess.plan(fixture.options.access(), c.session(),
        Map.of("topic:" + TOPIC, new ResumePosition("", 0)), false));
    assertEquals(List.of(TOPIC), plan.notSubscribed(), "allowed, but not joined: not replayed by a Resume");
    assertEquals(List.of(), plan.readable());
    assertEquals(new JsonObject().put("recovered", false).put("error", "not_subscribed"),
        StreamAccess.results(null, plan, Map.of()).getJsonObject("topic:" + TOPIC), "the per-stream answer says why");

    Notification b1 = fixture.appendToBroadcast("b1", Priority.MEDIUM);
    CompletableFuture<Void> replayRead = fixture.history.holdReplays();
    List<StreamAccess.StreamRequest> broadcast = fixture.onLoop(() -> StreamAccess.plan(fixture.options.access(),
        c.session(), Map.of("broadcast", at(b1)), false).readable());
    assertTrue(fixture.onLoop(() -> fixture.core.replay().resume(c.session(), null, broadcast, outcome -> RESUMED)));
    SessionFixture.get(replayRead, "the replay read");
    assertFalse(fixture.onLoop(() -> fixture.core.replay().resume(c.session(), null, broadcast, outcome -> RESUMED)),
        "a second Resume while the first is read is refused");
    release();
  }

  @Test
  void aStreamAskedFromNowIsNotReplayedGivesItsPositionAndDropsNothingLive() {
    fixture = SessionFixture.start(o -> { });
    fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t1");
    Notification u1 = fixture.appendToHistory("u1", "u1");
    Client c = fixture.open();
    Map<String, ResumePosition> fromNow = new LinkedHashMap<>();
    fromNow.put("topic:" + TOPIC, null);
    SessionFixture.get(fixture.authenticateStreams(c, fixture.token("u1", List.of(TOPIC)),
        new StreamPositions(null, fromNow, true)), "the start");
    assertEquals(List.of("Authenticated"), written(c), "nothing replayed");
    assertEquals(new JsonObject().put("recovered", true).put("epoch", topicEpoch())
            .put("offset", 1L).put("missed", 0),
        c.transport().writes().get(0).json().getJsonObject("streams").getJsonObject("topic:" + TOPIC),
        "the topic's current position");
    assertTrue(c.session().topics().contains(TOPIC), "joined");

    // A position asked for while connected: t2 is appended before the read and delivered live during it.
    Notification t2 = fixture.appendToTopic(SessionFixture.TENANT, TOPIC, "t2");
    CompletableFuture<Void> replayRead = fixture.history.holdReplays();
    List<StreamAccess.StreamRequest> topic = fixture.onLoop(() -> StreamAccess.plan(fixture.options.access(),
        c.session(), fromNow, false).readable());
    assertTrue(fixture.onLoop(() -> fixture.core.replay().resume(c.session(), new ResumePosition(u1.epoch(), 0),
        topic, outcome -> RESUMED)));
    SessionFixture.get(replayRead, "the replay read");
    fixture.publish(TOPIC_ADDRESS, t2);
    release();
    c.transport().awaitWrites(w -> "t2".equals(w.json().getString("message")), 1, SessionFixture.WAIT);
    assertEquals(List.of("Authenticated", "Resumed", "u1", "t2"), written(c),
        "the live one is written although the position read covers it: nothing was replayed");
  }

  @Test
  void streamsAreParsedBoundedAndTheUserStreamGivenOnce() {
    StreamPositions parsed = StreamPositions.fromMessage(new JsonObject()
        .put("streams", new JsonObject()
            .put("user", new JsonObject().put("epoch", "e1").put("offset", 4))
            .put("topic:alerts", new JsonObject().put("epoch", "e2").put("offset", 7))
            .put("broadcast", new JsonObject().put("offset", 0))));
    assertEquals(new ResumePosition("e1", 4), parsed.user());
    assertEquals(new ResumePosition("e2", 7), parsed.others().get("topic:alerts"));
    assertEquals(new ResumePosition("", 0), parsed.others().get("broadcast"));
    StreamPositions fromNow = StreamPositions.fromMessage(new JsonObject()
        .put("streams", new JsonObject().put("broadcast", new JsonObject())));
    assertTrue(fromNow.others().containsKey("broadcast") && fromNow.others().get("broadcast") == null,
        "{} asks for the position only");
    StreamPositions original = StreamPositions.fromMessage(new JsonObject().put("epoch", "e0").put("last_offset", 2));
    assertEquals(new ResumePosition("e0", 2), original.user(), "the original user-only form");
    assertFalse(original.inField(), "answered in the original form, without a streams field");
    assertTrue(parsed.inField());

    JsonObject tooMany = new JsonObject();
    for (int i = 0; i <= StreamPositions.MAX_STREAMS; i++) {
      tooMany.put("topic:t" + i, new JsonObject().put("offset", 0));
    }
    for (JsonObject refused : List.of(
        new JsonObject().put("streams", tooMany),
        new JsonObject().put("streams", new JsonObject().put("herald.topic.other.alerts", new JsonObject().put("offset", 0))),
        new JsonObject().put("streams", new JsonObject().put("broadcast", new JsonObject().put("epoch", "e").put("offset", -1))),
        new JsonObject().put("streams", new JsonObject().put("broadcast", 3)),
        new JsonObject().put("streams", new JsonObject().put("user", new JsonObject())),
        new JsonObject().put("streams", List.of()),
        new JsonObject().put("epoch", "e").put("last_offset", 1)
            .put("streams", new JsonObject().put("user", new JsonObject().put("epoch", "e").put("offset", 1))))) {
      try {
        StreamPositions.fromMessage(refused);
        throw new AssertionError("accepted: " + refused.encode().substring(0, Math.min(120, refused.encode().length())));
      } catch (IllegalArgumentException expected) {
        assertTrue(expected.getMessage().length() < 200, "the reason is short: " + expected.getMessage());
      }
    }
  }

  @Test
  void anOffsetIsTakenOnlyWhenItIsExactlyTheIntegerSent() {
    assertEquals(new ResumePosition("e", 9_007_199_254_740_993L), ResumePosition.fromMessage(
        new JsonObject("{\"epoch\":\"e\",\"last_offset\":9007199254740993}")), "a long, as sent");
    assertEquals(new ResumePosition("e", 12), ResumePosition.fromMessage(
        new JsonObject("{\"epoch\":\"e\",\"last_offset\":12.0}")), "a whole double within 2^53");
    // Found by ClientMessagesFuzzIT: read as 427777777777777792, an offset the client never wrote.
    assertNull(ResumePosition.fromMessage(new JsonObject("{\"epoch\":\"e\",\"last_offset\":4.2777777777777779E17}")));
    assertNull(ResumePosition.fromMessage(new JsonObject("{\"epoch\":\"e\",\"last_offset\":1.5}")));
    assertNull(ResumePosition.fromMessage(new JsonObject("{\"epoch\":\"e\",\"last_offset\":18446744073709551616}")));
  }

  /** The epoch of the default tenant's topic stream (appended to by the test). */
  private String topicEpoch() {
    return Await.result(fixture.history.current(StreamKey.topic(SessionFixture.TENANT, TOPIC)),
        SessionFixture.WAIT, "current").epoch();
  }

  private static final byte[] RESUMED = "{\"type\":\"Resumed\"}".getBytes(StandardCharsets.UTF_8);

  private static StreamPositions positions(Map<String, ResumePosition> others) {
    return new StreamPositions(null, new LinkedHashMap<>(others), true);
  }

  private static ResumePosition at(Notification n) {
    return new ResumePosition(n.epoch(), n.offset());
  }

  private void release() {
    fixture.onLoop(() -> {
      fixture.history.release();
      return null;
    });
  }

  /** The written notifications' messages starting with {@code prefix}, in order. */
  private static List<String> only(List<String> written, String prefix) {
    return written.stream().filter(m -> m.startsWith(prefix)).toList();
  }

  /** What was written, in order: a notification's message, or another message's type. */
  private List<String> written(Client c) {
    fixture.onLoop(() -> null);
    return c.transport().writes().stream()
        .map(w -> "Notification".equals(w.type()) ? w.json().getString("message") : w.type()).toList();
  }
}
