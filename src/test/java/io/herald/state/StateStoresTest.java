package io.herald.state;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.herald.config.StateOptions;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The node's stores are chosen from the state section alone. */
class StateStoresTest {

  @Test
  void withoutRedisUrlTheStoresAreInMemory() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      State state = StateStores.forOptions(new StateOptions().setHistorySize(5).setInboxSize(7)).create(vertx);
      assertInstanceOf(InMemorySessionStore.class, state.sessions());
      assertInstanceOf(InMemoryHistoryStore.class, state.history());
      assertInstanceOf(InMemoryInboxStore.class, state.inbox());
      assertInstanceOf(InMemoryMetricsStore.class, state.metrics());
      state.release().run();
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
