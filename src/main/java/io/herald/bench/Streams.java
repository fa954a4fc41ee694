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
}
