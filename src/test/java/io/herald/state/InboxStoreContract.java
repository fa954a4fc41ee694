package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What every {@link InboxStore} does: count and order of unread notifications, mark-read, cap, idempotence, limit,
 * isolation of users and tenants, exact round trip. Each test uses fresh user ids, so stores may share a backend.
 */
abstract class InboxStoreContract {

  static final String EPOCH = "epoch-1";

  /** A store keeping at most {@code inboxSize} unread notifications per user and the default TTL. */
  protected abstract InboxStore newStore(int inboxSize);

  static <T> T await(Future<T> future) {
    try {
      return future.await(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("store call did not complete within 5 s", e);
    }
  }

  static String newUser() {
    return "user-" + UUID.randomUUID();
  }

  static StoredNotification notification(String tenant, String userId, String id, String epoch, long offset) {
    Notification notification = Notification.builder()
        .id(id)
        .target(new Target.Users(tenant, List.of(userId)))
        .message("message " + id)
        .timestamp(Instant.parse("2024-05-01T10:15:30.123Z"))
        .build();
    return new StoredNotification(notification, new Position(epoch, offset));
  }

  static StoredNotification notification(String userId, String id, long offset) {
    return notification(Ids.DEFAULT_TENANT, userId, id, EPOCH, offset);
  }

  static List<String> ids(Inbox inbox) {
    return inbox.latest().stream().map(n -> n.notification().id()).collect(Collectors.toList());
  }

  @Test
  void unreadCountsAllAndListsNewestFirst() {
    InboxStore store = newStore(100);
    String user = newUser();
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "a", 1)));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "b", 2)));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "c", 3)));

    Inbox inbox = await(store.unread(Ids.DEFAULT_TENANT, user, 10));

    assertEquals(3, inbox.unreadCount());
    assertEquals(List.of("c", "b", "a"), ids(inbox));
  }

  @Test
  void orderFollowsOffsetsNotArrival() {
    InboxStore store = newStore(100);
    String user = newUser();
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "second", 2)));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "first", 1)));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "third", 3)));

    assertEquals(List.of("third", "second", "first"), ids(await(store.unread(Ids.DEFAULT_TENANT, user, 10))));
  }

  @Test
  void markReadRemovesOnceAndOnlyKnownIds() {
    InboxStore store = newStore(100);
    String user = newUser();
    for (int i = 1; i <= 3; i++) {
      await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "n" + i, i)));
    }

    assertTrue(await(store.markRead(Ids.DEFAULT_TENANT, user, "n2")));
    Inbox inbox = await(store.unread(Ids.DEFAULT_TENANT, user, 10));
    assertEquals(2, inbox.unreadCount());
    assertEquals(List.of("n3", "n1"), ids(inbox));

    assertFalse(await(store.markRead(Ids.DEFAULT_TENANT, user, "n2")), "second mark-read of the same id");
    assertFalse(await(store.markRead(Ids.DEFAULT_TENANT, user, "unknown")), "unknown id");
    assertFalse(await(store.markRead(Ids.DEFAULT_TENANT, newUser(), "n1")), "user with no inbox");
    assertEquals(2, await(store.unread(Ids.DEFAULT_TENANT, user, 10)).unreadCount());
  }

  @Test
  void emptyInboxHasNoUnread() {
    Inbox inbox = await(newStore(100).unread(Ids.DEFAULT_TENANT, newUser(), 10));

    assertEquals(0, inbox.unreadCount());
    assertEquals(List.of(), inbox.latest());
  }

  @Test
  void capDropsTheOldest() {
    InboxStore store = newStore(3);
    String user = newUser();
    for (int i = 1; i <= 5; i++) {
      await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "n" + i, i)));
    }

    Inbox inbox = await(store.unread(Ids.DEFAULT_TENANT, user, 10));
    assertEquals(3, inbox.unreadCount());
    assertEquals(List.of("n5", "n4", "n3"), ids(inbox));
    assertFalse(await(store.markRead(Ids.DEFAULT_TENANT, user, "n1")), "dropped notification is no longer unread");
  }

  @Test
  void addingTheSameIdAgainChangesNothing() {
    InboxStore store = newStore(100);
    String user = newUser();
    StoredNotification first = notification(user, "dup", 1);
    await(store.addUnread(Ids.DEFAULT_TENANT, user, first));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "other", 2)));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, first));

    Inbox inbox = await(store.unread(Ids.DEFAULT_TENANT, user, 10));
    assertEquals(2, inbox.unreadCount());
    assertEquals(List.of("other", "dup"), ids(inbox));
  }

  @Test
  void limitReturnsTheNewestAndIsClampedToAtLeastOne() {
    InboxStore store = newStore(100);
    String user = newUser();
    for (int i = 1; i <= 5; i++) {
      await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "n" + i, i)));
    }

    Inbox two = await(store.unread(Ids.DEFAULT_TENANT, user, 2));
    assertEquals(5, two.unreadCount(), "the count is the total, whatever the limit");
    assertEquals(List.of("n5", "n4"), ids(two));
    assertEquals(List.of("n5"), ids(await(store.unread(Ids.DEFAULT_TENANT, user, 0))));
    assertEquals(List.of("n5"), ids(await(store.unread(Ids.DEFAULT_TENANT, user, -3))));
  }

  @Test
  void limitAboveInboxSizeIsClampedToIt() {
    InboxStore store = newStore(3);
    String user = newUser();
    for (int i = 1; i <= 3; i++) {
      await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "n" + i, i)));
    }

    assertEquals(List.of("n3", "n2", "n1"), ids(await(store.unread(Ids.DEFAULT_TENANT, user, Integer.MAX_VALUE))));
  }

  @Test
  void usersAndTenantsAreSeparate() {
    InboxStore store = newStore(100);
    String user = newUser();
    String other = newUser();
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "mine", 1)));
    await(store.addUnread(Ids.DEFAULT_TENANT, other, notification(other, "theirs", 1)));
    await(store.addUnread("acme", user, notification("acme", user, "acme-one", EPOCH, 1)));

    assertEquals(List.of("mine"), ids(await(store.unread(Ids.DEFAULT_TENANT, user, 10))));
    assertEquals(List.of("theirs"), ids(await(store.unread(Ids.DEFAULT_TENANT, other, 10))));
    assertEquals(List.of("acme-one"), ids(await(store.unread("acme", user, 10))));
    assertEquals(0, await(store.unread("globex", user, 10)).unreadCount());

    assertFalse(await(store.markRead(Ids.DEFAULT_TENANT, user, "acme-one")), "another tenant's notification");
    assertFalse(await(store.markRead(Ids.DEFAULT_TENANT, user, "theirs")), "another user's notification");
    assertEquals(1, await(store.unread("acme", user, 10)).unreadCount());
    assertEquals(1, await(store.unread(Ids.DEFAULT_TENANT, other, 10)).unreadCount());
  }

  @Test
  void notificationAndPositionRoundTripExactly() {
    InboxStore store = newStore(100);
    String user = newUser();
    Notification sent = Notification.builder()
        .id("full-" + UUID.randomUUID())
        .target(new Target.Users("acme", List.of(user, "someone-else")))
        .alertId("alert-7")
        .alertName("BTC above 70k")
        .kind("price_alert")
        .priority(Priority.CRITICAL)
        .message("Prix \"élevé\" ✓ 🚀\nnew line")
        .details(new JsonObject().put("chain", "ethereum").put("price", 70123.45).put("big", 9007199254740993L)
            .put("nested", new JsonObject().put("list", new JsonArray().add(1).add("two").addNull())))
        .timestamp(Instant.parse("2024-05-01T10:15:30.123456789Z"))
        .actions(List.of(new Action("Open", "/alerts/7"), new Action("Docs", "https://example.com/x?a=1&b=2")))
        .original(new JsonObject().put("raw", true))
        .build();
    Position position = new Position("ep-" + UUID.randomUUID(), 9_007_199_254L);
    await(store.addUnread("acme", user, new StoredNotification(sent, position)));

    StoredNotification received = await(store.unread("acme", user, 1)).latest().get(0);

    // Given without a position, read back at the record's.
    Notification atPosition = sent.withPosition(position.epoch(), position.offset());
    assertEquals(atPosition.toJson(), received.notification().toJson());
    assertArrayEquals(atPosition.frameBytes(), received.notification().frameBytes());
    assertEquals(position, received.position());
  }

  @Test
  void aStreamRestartedUnderANewEpochSortsAfterTheOlderEpoch() {
    InboxStore store = newStore(4);
    String user = newUser();
    for (int i = 5; i <= 7; i++) {
      await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(Ids.DEFAULT_TENANT, user, "old" + i, "old", i)));
    }
    // The history expired: the stream starts again at offset 1 under a new epoch, below the old offsets.
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(Ids.DEFAULT_TENANT, user, "new1", "new", 1)));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(Ids.DEFAULT_TENANT, user, "new2", "new", 2)));

    Inbox inbox = await(store.unread(Ids.DEFAULT_TENANT, user, 10));
    assertEquals(4, inbox.unreadCount());
    assertEquals(List.of("new2", "new1", "old7", "old6"), ids(inbox), "the cap drops the oldest epoch's first");
  }
}
