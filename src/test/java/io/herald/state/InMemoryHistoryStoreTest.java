package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.herald.model.Notification;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** {@link InMemoryHistoryStore} against the contract, plus its TTLs measured on a clock the test advances. */
class InMemoryHistoryStoreTest extends HistoryStoreContract {

  private final Set<String> liveUsers = ConcurrentHashMap.newKeySet();
  private final ManualClock clock = new ManualClock(Instant.parse("2024-05-01T00:00:00Z"));

  @Override
  protected HistoryStore newStore() {
    return new InMemoryHistoryStore(clock, (tenant, user) -> liveUsers.contains(StreamKey.userKey(tenant, user)),
        100, 86_400, 100, 604_800);
  }

  @Override
  protected void setLiveSession(String tenant, String userId, boolean live) {
    if (live) {
      liveUsers.add(StreamKey.userKey(tenant, userId));
    } else {
      liveUsers.remove(StreamKey.userKey(tenant, userId));
    }
  }

  @Test
  void anIdIsRememberedBeyondTheRetainedEntriesUpToTheLastThousandAppends() {
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    Notification early = notification(TENANT, "someone", 0);
    Position first = await(store.append(stream, early));
    appendMany(stream, 100);
    assertEquals(first, await(store.append(stream, early)), "trimmed out of the stream, its id still known");
    appendMany(stream, RedisHistoryStore.DEDUPE_IDS_PER_STREAM);
    long last = first.offset() + 100 + RedisHistoryStore.DEDUPE_IDS_PER_STREAM;
    assertEquals(last + 1, await(store.append(stream, early)).offset(), "past the last 1,000 appends, new again");
  }

  /** On the test clock: still there (with its age) 1 s before the end of its lifetime, gone at the end. */
  @Override
  protected void expireQueueTakeRecord(String tenant, String userId) {
    clock.advance(Duration.ofSeconds(HistoryStore.QUEUE_TAKE_RECORD_SECS - 1));
    HistoryStore.QueueTake record = await(store.lastQueueTake(tenant, userId)).orElseThrow(
        () -> new AssertionError("the record lives " + HistoryStore.QUEUE_TAKE_RECORD_SECS + " s"));
    assertEquals((HistoryStore.QUEUE_TAKE_RECORD_SECS - 1) * 1000, record.ageMillis(), "age on the store's clock");
    clock.advance(Duration.ofSeconds(1));
  }

  @Test
  void anExpiredHistoryStartsAgainWithANewEpoch() {
    StreamKey stream = StreamKey.topic(TENANT, unique("topic"));
    appendMany(stream, 2);
    Position old = await(store.current(stream));
    clock.advance(Duration.ofSeconds(86_399));
    assertEquals(3, await(store.append(stream, notification(TENANT, "u", 3))).offset(),
        "an append refreshes the TTL before it runs out");
    clock.advance(Duration.ofSeconds(86_400));

    Position restarted = await(store.append(stream, notification(TENANT, "u", 4)));
    assertEquals(1, restarted.offset());
    assertNotEquals(old.epoch(), restarted.epoch());
    Replay replay = await(store.since(stream, old.epoch(), 3));
    assertFalse(replay.recovered());
    assertEquals(List.of(1L), offsets(replay.missed()));
  }

  @Test
  void anExpiredOfflineQueueIsEmpty() {
    String user = unique("user");
    await(store.appendForUser(TENANT, user, notification(TENANT, user, 1)));
    clock.advance(Duration.ofSeconds(604_800));
    assertEquals(List.of(), await(store.takeOfflineQueue(TENANT, user)));
  }

  /** A clock that moves only when told to. */
  private static final class ManualClock extends Clock {
    private volatile Instant now;

    ManualClock(Instant start) {
      this.now = start;
    }

    void advance(Duration duration) {
      now = now.plus(duration);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("the tests use UTC only");
    }
  }
}
