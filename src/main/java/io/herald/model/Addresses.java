package io.herald.model;

/** Event-bus addresses of notification targets. Callers pass identifiers already checked by {@link Ids}. */
public final class Addresses {

  private Addresses() {
  }

  public static String user(String tenant, String userId) {
    return "herald.user." + tenant + "." + userId;
  }

  public static String topic(String tenant, String topic) {
    return "herald.topic." + tenant + "." + topic;
  }

  public static String broadcast(String tenant) {
    return "herald.broadcast." + tenant;
  }
}
