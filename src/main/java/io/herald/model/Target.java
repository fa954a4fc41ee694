package io.herald.model;

import java.util.List;

/** Who a notification is for: some users, one topic, or every connection of a tenant. */
public sealed interface Target permits Target.Users, Target.Topic, Target.Broadcast {

  /** The tenant the target lives in; never null. */
  String tenant();

  /** Every device of each listed user. */
  record Users(String tenant, List<String> userIds) implements Target {
    public Users {
      userIds = List.copyOf(userIds);
    }
  }

  /** Every connection subscribed to the topic. */
  record Topic(String tenant, String topic) implements Target {
  }

  /** Every connection of the tenant. */
  record Broadcast(String tenant) implements Target {
  }
}
