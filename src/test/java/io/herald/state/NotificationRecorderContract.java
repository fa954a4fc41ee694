package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Notification;
import io.herald.model.Priority;
import io.herald.model.Target;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link NotificationRecorder} does, read back through the history and inbox stores of the same
 * backend: a user notification lands in the user's stream, the offline queue when no session is live, and the inbox,
 * at one position; calls made without waiting take effect, and complete, in call order.
 */
@Timeout(60)
abstract class NotificationRecorderContract {

  static final String TENANT = "acme";

  /** The recorder and the stores that read what it writes (default sizes: 100 per stream, queue and inbox). */
  protected record Stores(NotificationRecorder recorder, HistoryStore history, InboxStore inbox) {
  }

  protected abstract Stores stores();

  /** Makes the user have (or not have) a live session, as the stores see it. */
  protected abstract void setLiveSession(String tenant, String userId, boolean live);

  static <T> T await(Future<T> future) {
    try {
      return future.await(10, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("call did not complete within 10 s", e);
    }
  }

  static String unique(String what) {
    return what + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static Notification notification(String tenant, String userId, String message) {
    return Notification.builder()
        .id(unique("n"))
        .target(new Target.Users(tenant, List.of(userId)))
        .message(message)
        .timestamp(Instant.parse("2024-05-01T12:00:00Z"))
        .build();
  }

  static Notification topicNotification(String tenant, String topic, String message) {
    return Notification.builder().id(unique("t")).target(new Target.Topic(tenant, topic)).message(message).build();
  }

  @Test
  void aUserNotificationLandsInHistoryQueueAndInboxAtOnePosition() {
    Stores s = stores();
    String user = unique("user");
    JsonObject details = new JsonObject().put("text", "ünïcödé \"quoted\" \\ / \n ✓ 🚀").put("big", 9_007_199_254_740_993L)
        .put("nothing", (Object) null).put("nested", new JsonObject().put("list", new JsonArray().add(1).add("two")));
    Notification rich = Notification.builder()
        .id(unique("rich"))
        .target(new Target.Users(TENANT, List.of(user, "someone-else")))
        .alertId("alert-7")
        .priority(Priority.CRITICAL)
        // A lone surrogate, as a publisher may send "\ud800": kept, not turned into "?" on its way to the store.
        .message("ETH crossed 1234.5 — «now» \ud800")
        .details(details)
        .timestamp(Instant.parse("2024-05-01T12:34:56.789123Z"))
        .original(new JsonObject().put("raw", new JsonArray().add(1.25)))
        .build();
    Notification second = notification(TENANT, user, "second");

    AppendResult first = await(s.recorder().recordForUser(TENANT, user, rich));
    AppendResult next = await(s.recorder().recordForUser(TENANT, user, second));
    assertTrue(first.queued() && next.queued(), "queued: the user has no live session");
    assertEquals(1, first.position().offset());
    assertEquals(new Position(first.position().epoch(), 2), next.position());

    Replay history = await(s.history().since(StreamKey.user(TENANT, user), first.position().epoch(), 0));
    assertTrue(history.recovered());
    assertEquals(List.of(rich.toJson().encode(), second.toJson().encode()),
        history.missed().stream().map(m -> m.notification().toJson().encode()).toList(), "history, exactly");
    List<StoredNotification> queued = await(s.history().takeOfflineQueue(TENANT, user));
    assertEquals(List.of(first.position(), next.position()), queued.stream().map(StoredNotification::position).toList());
    assertEquals(rich.toJson().encode(), queued.get(0).notification().toJson().encode(), "queue, exactly");

    Inbox inbox = await(s.inbox().unread(TENANT, user, 10));
    assertEquals(2, inbox.unreadCount());
    assertEquals(List.of(next.position(), first.position()),
        inbox.latest().stream().map(StoredNotification::position).toList(), "newest first, at their positions");
    Notification inInbox = inbox.latest().get(1).notification();
    Notification expected = rich.withPosition(first.position().epoch(), 1);
    assertEquals(expected.toJson().encode(), inInbox.toJson().encode(), "the inbox keeps it at its position");
    assertArrayEquals(expected.frameBytes(), inInbox.frameBytes());
    assertEquals(0, await(s.inbox().unread("default", user, 10)).unreadCount(), "another tenant's inbox");

    setLiveSession(TENANT, user, true);
    AppendResult live = await(s.recorder().recordForUser(TENANT, user, notification(TENANT, user, "live")));
    assertFalse(live.queued(), "not queued while a session is live");
    assertEquals(3, live.position().offset());
    assertEquals(List.of(), await(s.history().takeOfflineQueue(TENANT, user)));
    assertEquals(3, await(s.inbox().unread(TENANT, user, 10)).unreadCount(), "in the inbox all the same");
  }

  @Test
  void aNotificationRecordedAgainIsWrittenOnceAndKeepsItsFirstPosition() {
    Stores s = stores();
    String user = unique("user");
    setLiveSession(TENANT, user, false);
    Notification n = notification(TENANT, user, "twice");
    AppendResult first = await(s.recorder().recordForUser(TENANT, user, n));
    assertEquals(1, first.position().offset());
    assertTrue(first.queued());
    assertFalse(first.duplicate());
    // A redelivery of the same message, or a publisher's retry: the same id.
    AppendResult again = await(s.recorder().recordForUser(TENANT, user, n));
    assertEquals(first.position(), again.position());
    assertTrue(again.duplicate());
    assertFalse(again.queued(), "queued once");
    assertEquals(2, await(s.recorder().recordForUser(TENANT, user, notification(TENANT, user, "next"))).position().offset());
    assertEquals(2, await(s.inbox().unread(TENANT, user, 10)).unreadCount(), "in the inbox once");
    assertEquals(List.of(1L, 2L), await(s.history().takeOfflineQueue(TENANT, user)).stream()
        .map(q -> q.position().offset()).toList(), "in the offline queue once");
    StreamKey topic = StreamKey.topic(TENANT, unique("topic"));
    Notification t = topicNotification(TENANT, "news", "one");
    Position topicFirst = await(s.recorder().recordForStream(topic, t));
    assertEquals(topicFirst, await(s.recorder().recordForStream(topic, t)));
    assertEquals(topicFirst.offset() + 1, await(s.recorder().recordForStream(topic, topicNotification(TENANT, "news", "two"))).offset());
  }

  @Test
  void aTopicNotificationGoesToItsStreamOnly() {
    Stores s = stores();
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    Position first = await(s.recorder().recordForStream(stream, topicNotification(TENANT, "news", "one")));
    Position second = await(s.history().append(stream, topicNotification(TENANT, "news", "two")));
    assertEquals(1, first.offset());
    assertEquals(new Position(first.epoch(), 2), second, "the recorder and the history store share the stream");
  }

  @Test
  void callsMadeWithoutWaitingTakeEffectAndCompleteInCallOrder() {
    Stores s = stores();
    List<String> users = List.of(unique("a"), unique("b"), unique("c"));
    StreamKey topic = StreamKey.topic(TENANT, unique("topic"));
    List<Integer> completed = Collections.synchronizedList(new ArrayList<>());
    List<Future<Position>> calls = new ArrayList<>();
    List<String> streamOf = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      int call = i;
      Future<Position> position;
      if (i % 4 == 3) {
        position = s.recorder().recordForStream(topic, topicNotification(TENANT, "t", "m" + i));
        streamOf.add("topic");
      } else {
        String user = users.get(i % 4);
        position = s.recorder().recordForUser(TENANT, user, notification(TENANT, user, "m" + i))
            .map(AppendResult::position);
        streamOf.add(user);
      }
      position.onComplete(done -> completed.add(call));
      calls.add(position);
    }
    await(Future.all(calls));
    Map<String, Long> lastOffset = new HashMap<>();
    for (int i = 0; i < calls.size(); i++) {
      long offset = await(calls.get(i)).offset();
      long expected = lastOffset.merge(streamOf.get(i), 1L, Long::sum);
      assertEquals(expected, offset, "call " + i + " on " + streamOf.get(i) + ": offsets follow the calls");
    }
    List<Integer> inCallOrder = new ArrayList<>();
    for (int i = 0; i < calls.size(); i++) {
      inCallOrder.add(i);
    }
    assertEquals(inCallOrder, completed, "the futures complete in call order");
  }
}
