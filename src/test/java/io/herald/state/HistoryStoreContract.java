package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Action;
import io.herald.model.Ids;
import io.herald.model.Notification;
import io.herald.model.Priority;
import io.herald.model.Target;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The behaviour every {@link HistoryStore} has: positions per stream, epochs, trimming, recovery answers, the
 * offline queue and exact round trips. Subclasses provide a store with the default sizes (100 entries per stream,
 * 100 queued per user) and a way to mark a user as connected or not.
 */
@Timeout(60)
public abstract class HistoryStoreContract {

  protected static final String TENANT = "acme";
  private static final int HISTORY_SIZE = 100;
  private static final int OFFLINE_QUEUE_MAX = 100;

  protected HistoryStore store;

  /** A store with the default sizes and TTLs, isolated from other test classes. */
  protected abstract HistoryStore newStore();

  /** Makes the user have (or not have) a live session, as the store sees it. */
  protected abstract void setLiveSession(String tenant, String userId, boolean live);

  /**
   * Lets the user's queue-take record (which must exist) reach the end of its
   * {@link HistoryStore#QUEUE_TAKE_RECORD_SECS} lifetime, checking on the way what only the implementation can see
   * (its TTL, or the record just before it).
   */
  protected abstract void expireQueueTakeRecord(String tenant, String userId);

  @BeforeEach
  void createStore() {
    store = newStore();
  }

  /** Waits at most 10 s for the future's result. */
  protected static <T> T await(Future<T> future) {
    try {
      return future.await(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("store call timed out", e);
    }
  }

  /** A unique id, so tests sharing a store never share a stream. */
  protected static String unique(String what) {
    return what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  protected static Notification notification(String tenant, String userId, int number) {
    return Notification.builder()
        .id(unique("n" + number))
        .target(new Target.Users(tenant, List.of(userId)))
        .message("message " + number)
        .timestamp(Instant.parse("2024-05-01T12:00:00Z").plusSeconds(number))
        .build();
  }

  protected static List<String> ids(List<StoredNotification> stored) {
    List<String> ids = new ArrayList<>();
    stored.forEach(s -> ids.add(s.notification().id()));
    return ids;
  }

  protected static List<Long> offsets(List<StoredNotification> stored) {
    List<Long> offsets = new ArrayList<>();
    stored.forEach(s -> offsets.add(s.position().offset()));
    return offsets;
  }

  protected static List<Long> range(long firstInclusive, long lastInclusive) {
    return LongStream.rangeClosed(firstInclusive, lastInclusive).boxed().toList();
  }

  @Test
  void appendingAnIdAgainWritesNothingAndGivesTheFirstPosition() {
    String user = unique("user");
    setLiveSession(TENANT, user, false);
    Notification first = notification(TENANT, user, 1);
    AppendResult appended = await(store.appendForUser(TENANT, user, first));
    assertFalse(appended.duplicate());
    AppendResult again = await(store.appendForUser(TENANT, user, first));
    assertEquals(appended.position(), again.position());
    assertTrue(again.duplicate());
    assertFalse(again.queued());
    Notification second = notification(TENANT, user, 2);
    assertEquals(appended.position().offset() + 1, await(store.appendForUser(TENANT, user, second)).position().offset());
    StreamKey stream = StreamKey.user(TENANT, user);
    assertEquals(List.of(first.id(), second.id()), ids(await(store.since(stream, appended.position().epoch(), 0)).missed()));
    assertEquals(List.of(first.id(), second.id()), ids(await(store.takeOfflineQueue(TENANT, user))));
    StreamKey topic = StreamKey.topic(TENANT, unique("topic"));
    Notification forTopic = notification(TENANT, "someone", 3);
    Position topicFirst = await(store.append(topic, forTopic));
    assertEquals(topicFirst, await(store.append(topic, forTopic)));
    assertEquals(topicFirst.offset() + 1, await(store.append(topic, notification(TENANT, "someone", 4))).offset());
  }

  /** Appends {@code count} notifications to the stream; returns them in order. */
  protected List<Notification> appendMany(StreamKey stream, int count) {
    List<Notification> appended = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      Notification n = notification(stream.tenant(), "someone", i);
      await(store.append(stream, n));
      appended.add(n);
    }
    return appended;
  }

  private static List<String> idsOf(List<Notification> notifications) {
    List<String> ids = new ArrayList<>();
    notifications.forEach(n -> ids.add(n.id()));
    return ids;
  }

  @Test
  void offsetsGrowByOnePerStreamAndStreamsAreIndependent() {
    String user = unique("user");
    String topic = unique("topic");
    String tenant = unique("tenant");
    setLiveSession(Ids.DEFAULT_TENANT, user, true);
    setLiveSession(tenant, user, true);
    List<StreamKey> streams = List.of(StreamKey.user(Ids.DEFAULT_TENANT, user), StreamKey.user(tenant, user),
        StreamKey.topic(Ids.DEFAULT_TENANT, topic), StreamKey.topic(tenant, topic),
        StreamKey.broadcast(tenant), StreamKey.broadcast(unique("other-tenant")));
    List<String> epochs = new ArrayList<>();
    for (long round = 1; round <= 3; round++) {
      for (int s = 0; s < streams.size(); s++) {
        StreamKey stream = streams.get(s);
        Position position = stream.kind() == StreamKey.Kind.USER
            ? await(store.appendForUser(stream.tenant(), user, notification(stream.tenant(), user, (int) round)))
                .position()
            : await(store.append(stream, notification(stream.tenant(), user, (int) round)));
        assertEquals(round, position.offset(), "offset of append " + round + " to " + stream);
        if (round == 1) {
          epochs.add(position.epoch());
        } else {
          assertEquals(epochs.get(s), position.epoch(), "epoch of " + stream + " is stable across appends");
        }
      }
    }
    assertEquals(streams.size(), new HashSet<>(epochs).size(), "each stream has its own epoch: " + epochs);
    for (int s = 0; s < streams.size(); s++) {
      assertEquals(new Position(epochs.get(s), 3), await(store.current(streams.get(s))));
    }
  }

  @Test
  void appendForUserAndAppendToTheUserStreamShareOffsets() {
    String user = unique("user");
    setLiveSession(TENANT, user, true);
    StreamKey stream = StreamKey.user(TENANT, user);
    Position first = await(store.appendForUser(TENANT, user, notification(TENANT, user, 1))).position();
    Position second = await(store.append(stream, notification(TENANT, user, 2)));
    assertEquals(new Position(first.epoch(), 2), second);
  }

  @Test
  void currentOfAnAbsentStreamIsOffsetZeroAndCreatesNothing() {
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    Position before = await(store.current(stream));
    assertEquals(0, before.offset());
    assertFalse(before.epoch().isEmpty());
    assertEquals(0, await(store.current(stream)).offset());
    Replay replay = await(store.since(stream, before.epoch(), 0));
    assertFalse(replay.recovered(), "an absent stream has no history to recover from");
    assertEquals(0, replay.current().offset());
    assertEquals(List.of(), replay.missed());

    Position appended = await(store.append(stream, notification(TENANT, "u", 1)));
    assertEquals(1, appended.offset(), "current did not create the stream");
  }

  @Test
  void sinceReturnsExactlyTheMissedNotificationsInOrder() {
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    List<Notification> appended = appendMany(stream, 5);
    Position current = await(store.current(stream));
    assertEquals(5, current.offset());

    Replay replay = await(store.since(stream, current.epoch(), 2));
    assertTrue(replay.recovered());
    assertEquals(current, replay.current());
    assertEquals(idsOf(appended.subList(2, 5)), ids(replay.missed()));
    assertEquals(range(3, 5), offsets(replay.missed()));
    replay.missed().forEach(m -> assertEquals(current.epoch(), m.position().epoch()));

    Replay fromStart = await(store.since(stream, current.epoch(), 0));
    assertTrue(fromStart.recovered());
    assertEquals(idsOf(appended), ids(fromStart.missed()));
  }

  @Test
  void sinceAtOrPastTheCurrentPositionIsEmptyAndRecovered() {
    StreamKey stream = StreamKey.broadcast(unique("tenant"));
    appendMany(stream, 3);
    Position current = await(store.current(stream));
    for (long lastOffset : new long[] {3, 4}) {
      Replay replay = await(store.since(stream, current.epoch(), lastOffset));
      assertTrue(replay.recovered(), "last offset " + lastOffset);
      assertEquals(List.of(), replay.missed());
      assertEquals(current, replay.current());
    }
  }

  @Test
  void sinceWithAnotherEpochIsNotRecoveredAndReturnsTheWholeHistory() {
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    List<Notification> appended = appendMany(stream, 4);
    Position current = await(store.current(stream));
    String otherEpoch = current.epoch().equals("000000000000") ? "000000000001" : "000000000000";

    Replay replay = await(store.since(stream, otherEpoch, 2));
    assertFalse(replay.recovered());
    assertEquals(current, replay.current());
    assertEquals(idsOf(appended), ids(replay.missed()));
    assertEquals(range(1, 4), offsets(replay.missed()));
  }

  @Test
  void historyIsTrimmedAndATrimmedPositionIsNotRecovered() {
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    List<Notification> appended = appendMany(stream, HISTORY_SIZE + 5);
    Position current = await(store.current(stream));
    assertEquals(HISTORY_SIZE + 5, current.offset());
    List<String> retained = idsOf(appended.subList(5, HISTORY_SIZE + 5));

    for (long lastOffset : new long[] {0, 4}) {
      Replay trimmed = await(store.since(stream, current.epoch(), lastOffset));
      assertFalse(trimmed.recovered(), "offset " + (lastOffset + 1) + " was trimmed");
      assertEquals(retained, ids(trimmed.missed()));
      assertEquals(range(6, HISTORY_SIZE + 5), offsets(trimmed.missed()));
    }

    Replay oldestRetained = await(store.since(stream, current.epoch(), 5));
    assertTrue(oldestRetained.recovered(), "offset 6 is the oldest retained");
    assertEquals(retained, ids(oldestRetained.missed()));

    Replay recent = await(store.since(stream, current.epoch(), 50));
    assertTrue(recent.recovered());
    assertEquals(idsOf(appended.subList(50, HISTORY_SIZE + 5)), ids(recent.missed()));
  }

  @Test
  void appendForUserQueuesOnlyWhenTheUserHasNoLiveSession() {
    String user = unique("user");
    Notification whileOffline = notification(TENANT, user, 1);
    Notification whileOnline = notification(TENANT, user, 2);
    Notification offlineAgain = notification(TENANT, user, 3);

    AppendResult first = await(store.appendForUser(TENANT, user, whileOffline));
    assertTrue(first.queued());
    setLiveSession(TENANT, user, true);
    AppendResult second = await(store.appendForUser(TENANT, user, whileOnline));
    assertFalse(second.queued());
    setLiveSession(TENANT, user, false);
    AppendResult third = await(store.appendForUser(TENANT, user, offlineAgain));
    assertTrue(third.queued());

    assertEquals(List.of(), await(store.takeOfflineQueue(Ids.DEFAULT_TENANT, user)),
        "the same user id in another tenant has its own queue");
    List<StoredNotification> taken = await(store.takeOfflineQueue(TENANT, user));
    assertEquals(List.of(whileOffline.id(), offlineAgain.id()), ids(taken));
    assertEquals(List.of(first.position(), third.position()), List.of(taken.get(0).position(),
        taken.get(1).position()), "queued notifications carry their history position");
    assertEquals(List.of(), await(store.takeOfflineQueue(TENANT, user)), "the queue was emptied");
  }

  @Test
  void offlineQueueKeepsTheLatestInOrder() {
    String user = unique("user");
    List<String> appended = new ArrayList<>();
    for (int i = 1; i <= OFFLINE_QUEUE_MAX + 5; i++) {
      Notification n = notification(Ids.DEFAULT_TENANT, user, i);
      assertTrue(await(store.appendForUser(Ids.DEFAULT_TENANT, user, n)).queued());
      appended.add(n.id());
    }
    List<StoredNotification> taken = await(store.takeOfflineQueue(Ids.DEFAULT_TENANT, user));
    assertEquals(appended.subList(5, OFFLINE_QUEUE_MAX + 5), ids(taken));
    assertEquals(range(6, OFFLINE_QUEUE_MAX + 5), offsets(taken));
    assertEquals(List.of(), await(store.takeOfflineQueue(Ids.DEFAULT_TENANT, user)));
  }

  @Test
  void notificationsRoundTripExactly() {
    String user = unique("user");
    String topic = unique("topic");
    JsonObject details = new JsonObject()
        .put("chain", "ethereum")
        .put("price", 1234.5)
        .put("count", 3)
        .put("big", 9_007_199_254_740_993L)
        .put("flag", true)
        .put("nothing", (Object) null)
        .put("empty_list", new JsonArray())
        .put("empty_object", new JsonObject())
        .put("text", "ünïcödé \"quoted\" \\ / \n tab\t ✓ 🚀")
        .put("nested", new JsonObject().put("list", new JsonArray().add(1).add("two").add(new JsonObject())));
    Notification forUser = Notification.builder()
        .id(unique("rich"))
        .target(new Target.Users(TENANT, List.of(user, "someone-else")))
        .alertId("alert-7")
        .alertName("Price above ✓")
        .kind("price_alert")
        .priority(Priority.CRITICAL)
        .message("ETH crossed 1234.5 — «now»")
        .details(details)
        .timestamp(Instant.parse("2024-05-01T12:34:56.789123Z"))
        .actions(List.of(new Action("Open", "/alerts/7"), new Action("Docs", "https://example.com/a?b=c&d=e")))
        .original(new JsonObject().put("raw", new JsonArray().add(1.25).add(false)))
        .build();
    Notification forTopic = Notification.builder()
        .id(unique("topic-rich"))
        .target(new Target.Topic(TENANT, topic))
        .details(details)
        .timestamp(Instant.parse("2024-05-01T00:00:00Z"))
        .build();
    Notification broadcast = Notification.builder()
        .id(unique("broadcast"))
        .target(new Target.Broadcast(Ids.DEFAULT_TENANT))
        .priority(Priority.LOW)
        .build();

    AppendResult userAppend = await(store.appendForUser(TENANT, user, forUser));
    Position topicAppend = await(store.append(StreamKey.topic(TENANT, topic), forTopic));
    StreamKey broadcastStream = StreamKey.broadcast(unique("tenant"));
    Position broadcastAppend = await(store.append(broadcastStream, broadcast));

    List<Notification> readBack = List.of(
        await(store.since(StreamKey.user(TENANT, user), userAppend.position().epoch(), 0)).missed().get(0)
            .notification(),
        await(store.takeOfflineQueue(TENANT, user)).get(0).notification(),
        await(store.since(StreamKey.topic(TENANT, topic), topicAppend.epoch(), 0)).missed().get(0).notification(),
        await(store.since(broadcastStream, broadcastAppend.epoch(), 0)).missed().get(0).notification());
    List<Notification> originals = List.of(forUser, forUser, forTopic, broadcast);
    for (int i = 0; i < originals.size(); i++) {
      assertEquals(originals.get(i).toJson().encode(), readBack.get(i).toJson().encode());
      assertArrayEquals(originals.get(i).frameBytes(), readBack.get(i).frameBytes());
    }
  }

  @Test
  void theSameUserIdInTwoTenantsHasTwoStreamsAndTwoQueues() {
    String user = unique("user");
    Notification inDefault = notification(Ids.DEFAULT_TENANT, user, 1);
    Notification inTenant = notification(TENANT, user, 1);
    Position defaultPosition = await(store.appendForUser(Ids.DEFAULT_TENANT, user, inDefault)).position();
    Position tenantPosition = await(store.appendForUser(TENANT, user, inTenant)).position();
    assertEquals(1, defaultPosition.offset());
    assertEquals(1, tenantPosition.offset());
    assertNotEquals(defaultPosition.epoch(), tenantPosition.epoch());
    assertEquals(List.of(inDefault.id()), ids(await(store.takeOfflineQueue(Ids.DEFAULT_TENANT, user))));
    assertEquals(List.of(inTenant.id()), ids(await(store.takeOfflineQueue(TENANT, user))));
  }

  // ---------------------------------------------------------------- queue-take record

  /** Queues {@code count} notifications for the (offline) user; returns their positions in order. */
  private List<Position> queueFor(String tenant, String user, int first, int count) {
    List<Position> positions = new ArrayList<>();
    for (int i = first; i < first + count; i++) {
      AppendResult appended = await(store.appendForUser(tenant, user, notification(tenant, user, i)));
      assertTrue(appended.queued(), "queued for an offline user");
      positions.add(appended.position());
    }
    return positions;
  }

  private static List<Position> positions(List<StoredNotification> stored) {
    List<Position> positions = new ArrayList<>();
    stored.forEach(s -> positions.add(s.position()));
    return positions;
  }

  @Test
  void aNonEmptyTakeIsRecordedWithWhatItTookUntilTheNextNonEmptyTake() {
    String user = unique("user");
    setLiveSession(TENANT, user, false);
    List<Position> queued = queueFor(TENANT, user, 1, 3);
    List<StoredNotification> taken = await(store.takeOfflineQueue(TENANT, user));
    assertEquals(queued, positions(taken));

    HistoryStore.QueueTake record = await(store.lastQueueTake(TENANT, user)).orElseThrow(
        () -> new AssertionError("a non-empty take is recorded"));
    assertEquals(ids(taken), ids(record.notifications()), "the record holds what the take returned, oldest first");
    assertEquals(queued, positions(record.notifications()), "with their positions (epoch and offset)");
    assertEquals(range(1, 3), offsets(record.notifications()));
    record.notifications().forEach(n -> assertEquals(queued.get(0).epoch(), n.position().epoch()));
    for (int i = 0; i < taken.size(); i++) {
      assertEquals(taken.get(i).notification().toJson().encode(),
          record.notifications().get(i).notification().toJson().encode(), "exact round trip");
    }
    assertTrue(record.ageMillis() >= 0 && record.ageMillis() < 10_000, "age of a fresh record: " + record.ageMillis());

    // An empty take records nothing and leaves the record as it is; the queue stays taken.
    assertEquals(List.of(), await(store.takeOfflineQueue(TENANT, user)));
    assertEquals(ids(taken), ids(await(store.lastQueueTake(TENANT, user)).orElseThrow().notifications()));

    // The next non-empty take replaces it.
    List<Position> later = queueFor(TENANT, user, 4, 2);
    assertEquals(later, positions(await(store.takeOfflineQueue(TENANT, user))));
    HistoryStore.QueueTake replaced = await(store.lastQueueTake(TENANT, user)).orElseThrow();
    assertEquals(range(4, 5), offsets(replaced.notifications()));
    assertEquals(later, positions(replaced.notifications()));
  }

  @Test
  void thereIsNoRecordWithoutANonEmptyTake() {
    String user = unique("user");
    assertTrue(await(store.lastQueueTake(TENANT, user)).isEmpty(), "nothing ever taken");
    assertEquals(List.of(), await(store.takeOfflineQueue(TENANT, user)));
    assertTrue(await(store.lastQueueTake(TENANT, user)).isEmpty(), "an empty take records nothing");

    // Notifications for a connected user are not queued: taking then is empty too.
    setLiveSession(TENANT, user, true);
    await(store.appendForUser(TENANT, user, notification(TENANT, user, 1)));
    assertEquals(List.of(), await(store.takeOfflineQueue(TENANT, user)));
    assertTrue(await(store.lastQueueTake(TENANT, user)).isEmpty());

    // Records are per user and per tenant.
    String other = unique("user");
    setLiveSession(TENANT, other, false);
    queueFor(TENANT, other, 1, 1);
    await(store.takeOfflineQueue(TENANT, other));
    assertTrue(await(store.lastQueueTake(TENANT, other)).isPresent());
    assertTrue(await(store.lastQueueTake(TENANT, user)).isEmpty(), "another user's take is not this user's");
    assertTrue(await(store.lastQueueTake(Ids.DEFAULT_TENANT, other)).isEmpty(), "nor the same id's in another tenant");
  }

  @Test
  void theTakeRecordExpires() {
    String user = unique("user");
    setLiveSession(TENANT, user, false);
    queueFor(TENANT, user, 1, 2);
    assertEquals(2, await(store.takeOfflineQueue(TENANT, user)).size());
    assertTrue(await(store.lastQueueTake(TENANT, user)).isPresent());

    expireQueueTakeRecord(TENANT, user);
    assertTrue(await(store.lastQueueTake(TENANT, user)).isEmpty(), "the record is gone once its TTL has passed");
    assertEquals(List.of(), await(store.takeOfflineQueue(TENANT, user)), "and the queue stays taken");
  }
}
