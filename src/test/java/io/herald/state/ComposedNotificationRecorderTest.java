package io.herald.state;

import java.time.Clock;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The embedded node's recorder, over the in-memory history and inbox stores, against the contract. */
class ComposedNotificationRecorderTest extends NotificationRecorderContract {

  private final Set<String> liveUsers = ConcurrentHashMap.newKeySet();

  @Override
  protected Stores stores() {
    Clock clock = Clock.systemUTC();
    HistoryStore history = new InMemoryHistoryStore(clock,
        (tenant, user) -> liveUsers.contains(StreamKey.userKey(tenant, user)), 100, 86_400, 100, 604_800);
    InboxStore inbox = new InMemoryInboxStore(clock, 100, 604_800);
    return new Stores(new ComposedNotificationRecorder(history, inbox), history, inbox);
  }

  @Override
  protected void setLiveSession(String tenant, String userId, boolean live) {
    if (live) {
      liveUsers.add(StreamKey.userKey(tenant, userId));
    } else {
      liveUsers.remove(StreamKey.userKey(tenant, userId));
    }
  }
}
