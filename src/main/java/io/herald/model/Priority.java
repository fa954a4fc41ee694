package io.herald.model;

import java.util.Locale;
import java.util.Optional;

/** Urgency of a notification, in increasing order. The wire form is the capitalised name ({@code "High"}). */
public enum Priority {
  LOW("Low"), MEDIUM("Medium"), HIGH("High"), CRITICAL("Critical");

  private final String wireName;

  Priority(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in frames and ingress payloads, e.g. {@code "Critical"}. */
  public String wireName() {
    return wireName;
  }

  /** Parses a wire name case-insensitively; empty when the text names no priority. */
  public static Optional<Priority> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(valueOf(text.trim().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
