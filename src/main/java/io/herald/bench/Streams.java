package io.herald.bench;

/** Stream keys of the benchmark: the value of {@code bench_target} in every notification it publishes. */
public final class Streams {

  public static final String BROADCAST = "b";

  private Streams() {
  }

  public static String user(String userId) {
    return "u:" + userId;
  }

  public static String topic(String topic) {
    return "t:" + topic;
  }

  /** The kind of a stream key: {@code user}, {@code topic} or {@code broadcast}. */
  public static String kindOf(String stream) {
    return stream.startsWith("u:") ? "user" : stream.startsWith("t:") ? "topic" : "broadcast";
  }
}
