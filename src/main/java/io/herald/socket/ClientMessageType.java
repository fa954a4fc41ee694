package io.herald.socket;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** {@code /ws} client message types, matched case-insensitively and with or without underscores or dashes. */
enum ClientMessageType {
  AUTHENTICATE, SUBSCRIBE, UNSUBSCRIBE, PING, REFRESH, GET_STATUS, RESUME, GET_UNREAD, MARK_READ;

  private static final Map<String, ClientMessageType> BY_NAME = new HashMap<>();

  static {
    for (ClientMessageType t : values()) {
      BY_NAME.put(t.name().replace("_", "").toLowerCase(Locale.ROOT), t);
    }
  }

  /** The type a client's {@code type} names, or null. */
  static ClientMessageType parse(String type) {
    return BY_NAME.get(type.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT));
  }
}
