package io.herald.socket;

import java.util.List;

/** Device kinds a {@code /ws} client may declare in Authenticate. */
final class Device {

  static final List<String> NAMES = List.of("Dashboard", "iOS", "Android");

  private Device() {
  }

  /** The canonical spelling, "Unknown" when absent, null when the value names no device. */
  static String normalise(Object value) {
    if (value == null) {
      return "Unknown";
    }
    if (!(value instanceof String s)) {
      return null;
    }
    for (String name : NAMES) {
      if (name.equalsIgnoreCase(s)) {
        return name;
      }
    }
    return null;
  }
}
