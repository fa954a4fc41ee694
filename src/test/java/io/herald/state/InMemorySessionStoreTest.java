package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The session contract in memory, on a clock the test moves. */
class InMemorySessionStoreTest extends SessionStoreContract {

  /** A clock that moves only when told to; thread-safe. */
  static final class ManualClock extends Clock {
    private volatile Instant now = Instant.parse("2024-05-01T10:00:00Z");

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
      throw new UnsupportedOperationException("the stores read instants only");
    }
  }

  private final ManualClock clock = new ManualClock();

  @Override
  protected SessionStore newStore(long sessionTtlSecs) {
    return new InMemorySessionStore(clock, sessionTtlSecs);
  }

  @Override
  protected void elapse(Duration duration) {
    clock.advance(duration);
  }

  @Test
  void connectionShowsTheMetadataUntilItExpires() {
    InMemorySessionStore store = new InMemorySessionStore(clock, 90);
    SessionInfo session = session("u1", "c1");
    assertTrue(await(store.register(session, 1)));
    assertEquals(session.toJson(), store.connection("c1"));

    clock.advance(Duration.ofSeconds(90));

    assertNull(store.connection("c1"));
  }
}
