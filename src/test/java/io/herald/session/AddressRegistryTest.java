package io.herald.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Addresses;
import io.herald.session.SessionFixture.Client;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One event-bus consumer per address for all the sessions of a verticle ({@link AddressRegistry}): the first session
 * that needs an address registers it, the last one that leaves (or is released) unregisters it.
 */
class AddressRegistryTest {

  private static final String USER_ADDRESS = Addresses.user(SessionFixture.TENANT, "u1");
  private static final String TOPIC_ADDRESS = Addresses.topic(SessionFixture.TENANT, "prices");

  private SessionFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  void theFirstSessionRegistersTheAddressAndReleasingTheLastUnregistersIt() {
    fixture = SessionFixture.start(o -> { });
    assertFalse(registered(USER_ADDRESS));
    Client first = fixture.connect("u1");
    assertTrue(registered(USER_ADDRESS), "the first session of the user registers its address");
    Client second = fixture.connect("u1");

    fixture.onLoopAwait(() -> fixture.core.lifecycle().release(first.session()));

    assertTrue(registered(USER_ADDRESS), "another session still receives from it");
    fixture.publish(USER_ADDRESS, fixture.appendForUser("u1", "to the one left"));
    assertEquals(1, second.transport().awaitWrites(w -> "Notification".equals(w.type()), 1, SessionFixture.WAIT).size());
    assertEquals(List.of(), first.transport().writes("Notification"), "a released session receives nothing");

    fixture.onLoopAwait(() -> fixture.core.lifecycle().release(second.session()));

    assertFalse(registered(USER_ADDRESS), "the last session released unregisters the address");
    assertFalse(registered(Addresses.broadcast(SessionFixture.TENANT)));
    assertFalse(fixture.onLoop(() -> first.session().receivesFrom(USER_ADDRESS) || second.session().receivesFrom(USER_ADDRESS)));
  }

  @Test
  void aTopicIsRegisteredByItsFirstJoinAndUnregisteredByItsLastLeave() {
    fixture = SessionFixture.start(o -> { });
    Client a = fixture.connect("u1");
    Client b = fixture.connect("u2");

    fixture.onLoopAwait(() -> fixture.core.addresses().joinTopic(a.session(), "prices"));
    assertTrue(registered(TOPIC_ADDRESS));
    fixture.onLoopAwait(() -> fixture.core.addresses().joinTopic(b.session(), "prices"));

    assertTrue(fixture.onLoop(() -> fixture.core.addresses().leaveTopic(a.session(), "prices")));
    assertTrue(registered(TOPIC_ADDRESS), "b still receives from the topic");
    assertFalse(fixture.onLoop(() -> fixture.core.addresses().leaveTopic(a.session(), "prices")), "left already");
    assertTrue(registered(TOPIC_ADDRESS), "leaving twice does not take b's place");

    assertTrue(fixture.onLoop(() -> fixture.core.addresses().leaveTopic(b.session(), "prices")));
    assertFalse(registered(TOPIC_ADDRESS), "the last leave unregisters the topic");
    assertEquals(List.of(), fixture.onLoop(() -> List.copyOf(b.session().topics())));
  }

  private boolean registered(String address) {
    return fixture.onLoop(() -> fixture.core.addresses().registered(address));
  }
}
