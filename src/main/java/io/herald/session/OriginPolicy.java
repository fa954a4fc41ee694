package io.herald.session;

import java.util.List;

/**
 * The {@code allowed_origins} check of WebSocket upgrades, shared by {@code /ws} and the event-bus bridge's
 * WebSocket transports. An empty list (or one holding {@code *}) allows any origin; otherwise the upgrade must
 * carry an {@code Origin} header naming one of them (case-insensitively): browsers always send it on an upgrade.
 */
public final class OriginPolicy {

  private OriginPolicy() {
  }

  public static boolean allows(List<String> allowedOrigins, String origin) {
    if (allowedOrigins.isEmpty() || allowedOrigins.contains("*")) {
      return true;
    }
    return origin != null && allowedOrigins.stream().anyMatch(a -> a.equalsIgnoreCase(origin));
  }
}
