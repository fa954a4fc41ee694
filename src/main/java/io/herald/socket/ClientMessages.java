package io.herald.socket;

import io.herald.protocol.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/**
 * Decodes a {@code /ws} client's text message into a known message, or the refusal it gets: exactly one JSON object
 * with a string {@code type} naming a client message. Pure (no session, no I/O), so it is fuzzed on its own
 * ({@code ClientMessagesFuzzIT}); the message's arguments are read by the command that handles it.
 */
final class ClientMessages {

  private ClientMessages() {
  }

  /** What a text message decodes to: a {@link Known} message or a {@link Refused} one. */
  sealed interface Decoded permits Known, Refused {
  }

  /** A JSON object whose {@code type} names a client message ({@code typeName} is the client's spelling). */
  record Known(ClientMessageType type, String typeName, JsonObject message) implements Decoded {
  }

  /** The Error a message that is not a known client message is answered with. */
  record Refused(ErrorCode code, String reason) implements Decoded {
  }

  /** Decodes one whole text message (its UTF-8 bytes). */
  static Decoded decode(Buffer data) {
    Object parsed;
    try {
      // The whole message must be one JSON value: Json.decodeValue refuses anything after it.
      parsed = Json.decodeValue(data);
    } catch (DecodeException e) {
      return new Refused(ErrorCode.MALFORMED, "invalid JSON");
    }
    if (!(parsed instanceof JsonObject message)) {
      return new Refused(ErrorCode.MALFORMED, "a message must be a JSON object");
    }
    if (!(message.getValue("type") instanceof String typeName)) {
      return new Refused(ErrorCode.MALFORMED, "missing string field 'type'");
    }
    ClientMessageType known = ClientMessageType.parse(typeName);
    if (known == null) {
      return new Refused(ErrorCode.UNKNOWN_TYPE, "unknown message type '" + truncate(typeName) + "'");
    }
    return new Known(known, typeName, message);
  }

  /** A client-supplied name cut to 32 characters for an Error message. */
  static String truncate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }
}
