package io.herald.session;

import io.herald.model.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The event-bus consumers of one socket verticle: one per user, topic or tenant broadcast address that at least one of
 * its sessions ({@code /ws} and bridge alike) receives from. The first session that needs an address registers its
 * consumer, the last one that leaves unregisters it, so a fleet routes an address only to the nodes that serve it.
 * Each message is handed to {@link Delivery} with the sessions of the address at that moment.
 */
public final class AddressRegistry {

  /** Hands a message of an address to the sessions that receive from it. */
  interface Deliverer {
    void deliver(String address, Session[] targets, Object body);
  }

  /** The consumer of one address and the sessions that need it. */
  private static final class Subscription {
    final MessageConsumer<Object> consumer;
    /** Completes when the registration is effective (propagated to the cluster when clustered). */
    final Future<Void> registered;
    final Set<Session> sessions = new LinkedHashSet<>();

    Subscription(MessageConsumer<Object> consumer) {
      this.consumer = consumer;
      this.registered = consumer.completion();
    }
  }

  private final Vertx vertx;
  private final Deliverer deliverer;
  private final Map<String, Subscription> subscriptions = new HashMap<>();

  AddressRegistry(Vertx vertx, Deliverer deliverer) {
    this.vertx = vertx;
    this.deliverer = deliverer;
  }

  /**
   * Adds the session to the address's receivers, registering the consumer first when the session is the first to need
   * it; completes once the registration is effective.
   */
  public Future<Void> join(Session s, String address) {
    Subscription subscription = subscriptions.get(address);
    if (subscription == null) {
      MessageConsumer<Object> consumer = vertx.eventBus().consumer(address);
      Subscription created = new Subscription(consumer);
      consumer.handler(message -> deliverer.deliver(address, created.sessions.toArray(new Session[0]), message.body()));
      subscriptions.put(address, created);
      subscription = created;
    }
    subscription.sessions.add(s);
    s.addresses.add(address);
    return subscription.registered;
  }

  /** Removes the session from the address's receivers, unregistering the consumer when it was the last. */
  public void leave(Session s, String address) {
    s.addresses.remove(address);
    if (s.sharedStreams != null) {
      OrderedStream left = s.sharedStreams.remove(address);
      if (left != null && left.reorderTimer != Session.NO_TIMER) {
        vertx.cancelTimer(left.reorderTimer);
      }
    }
    if (s.replayedStreams != null) {
      s.replayedStreams.remove(address);
    }
    Subscription subscription = subscriptions.get(address);
    if (subscription != null && subscription.sessions.remove(s) && subscription.sessions.isEmpty()) {
      subscriptions.remove(address);
      subscription.consumer.unregister();
    }
  }

  /** Joins a topic of the session's tenant: the topic is added to the session's topics and its address joined. */
  public Future<Void> joinTopic(Session s, String topic) {
    s.topics.add(topic);
    return join(s, Addresses.topic(s.user.tenant(), topic));
  }

  /** Leaves a topic of the session's tenant; false when the session had not joined it. */
  public boolean leaveTopic(Session s, String topic) {
    if (!s.topics.remove(topic)) {
      return false;
    }
    leave(s, Addresses.topic(s.user.tenant(), topic));
    return true;
  }

  /** Leaves every address of the session (its release). */
  void leaveAll(Session s) {
    for (String address : s.addresses.toArray(new String[0])) {
      leave(s, address);
    }
  }

  /** Whether a consumer of the address is registered here (for tests and diagnostics). */
  public boolean registered(String address) {
    return subscriptions.containsKey(address);
  }

  /** Unregisters every consumer (the node is draining: its sessions are being closed). */
  List<Future<?>> unregisterAll() {
    List<Future<?>> unregistered = new ArrayList<>();
    for (Subscription s : subscriptions.values()) {
      unregistered.add(s.consumer.unregister());
      for (Session session : s.sessions) {
        session.addresses.clear();
      }
    }
    subscriptions.clear();
    return unregistered;
  }
}
