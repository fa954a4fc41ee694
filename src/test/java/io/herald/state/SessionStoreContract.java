package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Filters;
import io.herald.model.Ids;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** What every {@link SessionStore} does, whatever holds the sessions. */
abstract class SessionStoreContract {

  /** A store on this class's key space whose metadata lives {@code sessionTtlSecs} after its last write. */
  protected abstract SessionStore newStore(long sessionTtlSecs);

  /** Lets {@code duration} pass as far as the stores' expiry is concerned. */
  protected abstract void elapse(Duration duration);

  static <T> T await(Future<T> future) {
    try {
      return future.await(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no reply within 5 s", e);
    }
  }

  static String uniqueUser() {
    return "user-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static SessionInfo session(String tenant, String userId, String connectionId) {
    Instant now = Instant.now();
    return new SessionInfo(tenant, userId, connectionId, "web", now, now, "127.0.0.1", "JUnit", Filters.NONE, "node-1");
  }

  static SessionInfo session(String userId, String connectionId) {
    return session(Ids.DEFAULT_TENANT, userId, connectionId);
  }

  @Test
  void registersUpToTheLimitThenRefuses() {
    SessionStore store = newStore(90);
    String user = uniqueUser();
    for (int i = 0; i < 3; i++) {
      assertTrue(await(store.register(session(user, user + "-c" + i), 3)), "connection " + i + " of 3");
    }
    assertFalse(await(store.register(session(user, user + "-c3"), 3)), "fourth connection over a limit of 3");
    assertEquals(3, await(store.count(Ids.DEFAULT_TENANT, user)));
  }

  @Test
  void unregisterFreesASlot() {
    SessionStore store = newStore(90);
    String user = uniqueUser();
    assertTrue(await(store.register(session(user, user + "-a"), 2)));
    assertTrue(await(store.register(session(user, user + "-b"), 2)));
    assertFalse(await(store.register(session(user, user + "-c"), 2)));

    await(store.unregister(Ids.DEFAULT_TENANT, user, user + "-a"));

    assertEquals(1, await(store.count(Ids.DEFAULT_TENANT, user)));
    assertTrue(await(store.register(session(user, user + "-c"), 2)), "the freed slot is taken");
    assertEquals(2, await(store.count(Ids.DEFAULT_TENANT, user)));
  }

  @Test
  void countsNothingForAnUnknownUserAndUnregisteringUnknownIdsIsHarmless() {
    SessionStore store = newStore(90);
    String user = uniqueUser();
    assertEquals(0, await(store.count(Ids.DEFAULT_TENANT, user)));
    await(store.unregister(Ids.DEFAULT_TENANT, user, "no-such-connection"));
    assertEquals(0, await(store.count(Ids.DEFAULT_TENANT, user)));
  }

  @Test
  void reRegisteringTheSameConnectionCountsItOnce() {
    SessionStore store = newStore(90);
    String user = uniqueUser();
    assertTrue(await(store.register(session(user, user + "-a"), 1)));
    assertTrue(await(store.register(session(user, user + "-a"), 1)), "a retried register of an admitted connection");
    assertEquals(1, await(store.count(Ids.DEFAULT_TENANT, user)));
  }

  @Test
  void theSameUserIdInTwoTenantsIsTwoUsers() {
    SessionStore store = newStore(90);
    String user = uniqueUser();
    assertTrue(await(store.register(session(Ids.DEFAULT_TENANT, user, user + "-default"), 1)));
    assertTrue(await(store.register(session("acme", user, user + "-acme"), 1)), "acme's user has its own limit");
    assertFalse(await(store.register(session("acme", user, user + "-acme2"), 1)));
    assertEquals(1, await(store.count(Ids.DEFAULT_TENANT, user)));
    assertEquals(1, await(store.count("acme", user)));

    await(store.unregister("acme", user, user + "-acme"));
    assertEquals(1, await(store.count(Ids.DEFAULT_TENANT, user)), "unregistering in acme leaves the default tenant");
    assertEquals(0, await(store.count("acme", user)));
  }

  @Test
  void aSessionNeitherTouchedNorUnregisteredExpiresAndFreesItsSlot() {
    SessionStore store = newStore(1);
    String user = uniqueUser();
    assertTrue(await(store.register(session(user, user + "-dead"), 1)));

    elapse(Duration.ofMillis(1100));

    assertEquals(0, await(store.count(Ids.DEFAULT_TENANT, user)));
    assertTrue(await(store.register(session(user, user + "-new"), 1)), "the expired session's slot is free");
  }

  @Test
  void touchKeepsASessionAlivePastItsFirstTtl() {
    SessionStore store = newStore(2);
    String user = uniqueUser();
    SessionInfo session = session(user, user + "-a");
    assertTrue(await(store.register(session, 1)));

    elapse(Duration.ofMillis(1200));
    await(store.touch(session));
    elapse(Duration.ofMillis(1200));

    assertEquals(1, await(store.count(Ids.DEFAULT_TENANT, user)), "alive 2.4 s after register, 1.2 s after touch");
    assertFalse(await(store.register(session(user, user + "-b"), 1)), "the touched session still holds its slot");

    elapse(Duration.ofMillis(1000));
    assertEquals(0, await(store.count(Ids.DEFAULT_TENANT, user)), "expired 2.2 s after the touch");
  }

  @Test
  void touchRecreatesAnExpiredSession() {
    SessionStore store = newStore(1);
    String user = uniqueUser();
    SessionInfo session = session(user, user + "-a");
    assertTrue(await(store.register(session, 1)));
    elapse(Duration.ofMillis(1100));
    assertEquals(0, await(store.count(Ids.DEFAULT_TENANT, user)));

    await(store.touch(session));

    assertEquals(1, await(store.count(Ids.DEFAULT_TENANT, user)));
  }
}
