package io.herald.socket.bridge;

import io.herald.config.AccessOptions;
import io.herald.model.Addresses;
import io.herald.model.LogText;
import io.herald.protocol.ProtocolLimits;
import io.herald.runtime.NodeInfo;
import io.herald.state.Position;
import io.herald.session.ResumePosition;
import io.herald.session.Session;
import io.herald.session.SessionCore;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code register} and {@code unregister} frames of an authenticated bridge socket, decided by Herald and carried
 * out by the session core's {@link io.herald.session.AddressRegistry} — one consumer per address for all the
 * verticle's sessions, as {@code /ws} — so that the bridge's deliveries go through the same {@code Delivery} (user
 * stream order, filters, hourly counters) and slow-client rule. A socket may register only its user's address, its
 * tenant's broadcast address and permitted topics' addresses, at most {@link #MAX_REGISTRATIONS}; topic addresses
 * draw from the topic change budget. The first registration of the user's address starts the user stream (replay
 * since authentication, InitialState, the offline queue). A refusal is the {@code err rejected} frame vertx-web would
 * write.
 */
final class BridgeRegistrations {

  private static final Logger log = LoggerFactory.getLogger(BridgeRegistrations.class);

  /** Addresses one socket may register: its user and broadcast addresses and its topics. */
  static final int MAX_REGISTRATIONS = 2 + ProtocolLimits.MAX_TOPICS_PER_CONNECTION;

  private final AccessOptions access;
  private final NodeInfo node;
  private final SessionCore core;

  BridgeRegistrations(AccessOptions access, NodeInfo node, SessionCore core) {
    this.access = access;
    this.node = node;
    this.core = core;
  }

  /** Carries out or refuses a {@code register} or {@code unregister} of an authenticated socket. */
  void decide(BridgeTransport t, String type, String address) {
    if (type.equals("register")) {
      register(t, address);
    } else {
      unregister(t, address);
    }
  }

  private void register(BridgeTransport t, String address) {
    Session s = t.session;
    if (!BridgeAddresses.mayReceive(access, s.user(), address)) {
      refuse(t, "register", address, "address not permitted");
      return;
    }
    if (s.receivesFrom(address)) {
      return;
    }
    if (s.addressCount() >= MAX_REGISTRATIONS) {
      refuse(t, "register", address, "more than " + MAX_REGISTRATIONS + " registrations");
      return;
    }
    String topic = BridgeAddresses.topicOf(s.user().tenant(), address);
    if (topic != null) {
      if (core.lifecycle().admitTopicChanges(s, 1)) {
        core.addresses().joinTopic(s, topic);
      } else if (!s.closing()) {
        refuse(t, "register", address, "topic change budget exceeded");
      }
      return;
    }
    if (address.equals(Addresses.user(s.user().tenant(), s.user().userId())) && !t.userStreamStarted) {
      // The first registration of the user's address starts the user stream as /ws authentication does: what was
      // appended since the socket authenticated is replayed, then InitialState, then live delivery in offset order.
      t.userStreamStarted = true;
      Position baseline = t.authentication.result().baseline();
      ResumePosition from = baseline == null ? null : new ResumePosition(baseline.epoch(), baseline.offset());
      core.replay().start(s, List.of(address), from, false, null);
      return;
    }
    core.addresses().join(s, address);
  }

  private void unregister(BridgeTransport t, String address) {
    Session s = t.session;
    if (!s.receivesFrom(address)) {
      refuse(t, "unregister", address, "not registered");
      return;
    }
    String topic = BridgeAddresses.topicOf(s.user().tenant(), address);
    if (topic == null) {
      core.addresses().leave(s, address);
    } else if (core.lifecycle().admitTopicChanges(s, 1)) {
      core.addresses().leaveTopic(s, topic);
    } else if (!s.closing()) {
      refuse(t, "unregister", address, "topic change budget exceeded");
    }
  }

  /** Refuses the frame: logged with the user and the (escaped, truncated) address, answered {@code err rejected}. */
  void refuse(BridgeTransport t, String type, String address, String why) {
    Session s = t.session;
    log.info("bridge {} refused: user {} (tenant {}), address {}: {}", type.toUpperCase(Locale.ROOT),
        s.user() == null ? "-" : s.user().userId(), s.user() == null ? "-" : s.user().tenant(),
        LogText.quoted(address, BridgeSessions.LOGGED_CHARS), why);
    node.metrics().clientError();
    BridgeSessions.answer(t, "rejected");
  }
}
