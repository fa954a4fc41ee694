package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.herald.model.Ids;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-memory inbox passes the contract; its TTL runs on an injected clock. */
class InMemoryInboxStoreTest extends InboxStoreContract {

  @Override
  protected InboxStore newStore(int inboxSize) {
    return new InMemoryInboxStore(Clock.systemUTC(), inboxSize, RedisInboxStore.DEFAULT_INBOX_TTL_SECS);
  }

  @Test
  void inboxExpiresTtlAfterItsLatestAddition() {
    ManualClock clock = new ManualClock();
    InMemoryInboxStore store = new InMemoryInboxStore(clock, 100, 60);
    String user = newUser();
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "a", 1)));
    clock.advance(Duration.ofSeconds(50));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "b", 2)));

    clock.advance(Duration.ofSeconds(59));
    assertEquals(List.of("b", "a"), ids(await(store.unread(Ids.DEFAULT_TENANT, user, 10))),
        "the second addition extended the whole inbox's life");

    clock.advance(Duration.ofSeconds(1));
    assertEquals(0, await(store.unread(Ids.DEFAULT_TENANT, user, 10)).unreadCount());
    assertFalse(await(store.markRead(Ids.DEFAULT_TENANT, user, "a")));
  }

  @Test
  void markReadDoesNotExtendTheInboxLife() {
    ManualClock clock = new ManualClock();
    InMemoryInboxStore store = new InMemoryInboxStore(clock, 100, 60);
    String user = newUser();
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "a", 1)));
    await(store.addUnread(Ids.DEFAULT_TENANT, user, notification(user, "b", 2)));
    clock.advance(Duration.ofSeconds(30));
    await(store.markRead(Ids.DEFAULT_TENANT, user, "a"));

    clock.advance(Duration.ofSeconds(30));
    assertEquals(0, await(store.unread(Ids.DEFAULT_TENANT, user, 10)).unreadCount());
  }

  /** A clock that moves only when told to. */
  private static final class ManualClock extends Clock {
    private Instant now = Instant.parse("2024-05-01T00:00:00Z");

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("not needed by the store");
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
