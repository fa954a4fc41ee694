package io.herald.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Who gets what in a run: the user, the topics and the streams each connection is entitled to, from its index
 * alone, so the publisher and the accounting agree without sharing state.
 */
final class BenchAudience {

  private final BenchConfig config;

  BenchAudience(BenchConfig config) {
    this.config = config;
  }

  /** Topics each connection subscribes to: the configured number in the topic and mixed scenarios, else none. */
  int topicsPerConnection() {
    boolean topical = config.scenario == BenchConfig.Scenario.TOPIC || config.scenario == BenchConfig.Scenario.MIXED;
    return topical ? config.topicsPerConnection : 0;
  }

  /** The user of a connection: consecutive connections are the devices of one user. */
  String userOf(int connection) {
    return userName(connection / config.devices);
  }

  List<String> topicsOf(int connection) {
    List<String> topics = new ArrayList<>();
    for (int j = 0; j < topicsPerConnection(); j++) {
      topics.add(topicName((connection + j) % config.topics));
    }
    return topics;
  }

  /** The streams whose notifications the connection must receive: its user's, its topics' and the broadcast. */
  List<String> entitled(int connection) {
    List<String> streams = new ArrayList<>();
    streams.add(Streams.user(userOf(connection)));
    topicsOf(connection).forEach(t -> streams.add(Streams.topic(t)));
    streams.add(Streams.BROADCAST);
    return streams;
  }

  static String userName(int k) {
    return "bu" + k;
  }

  static String topicName(int k) {
    return "bench.t" + k;
  }
}
