package io.herald.ingress;

import io.herald.model.InvalidNotificationException;
import io.herald.model.JsonLimits;
import io.herald.model.Priority;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The scalar fields of an ingress message (id, strings, objects, priority, timestamp),
 * checked one by one: every failure is an {@link InvalidNotificationException} whose reason names the field and
 * quotes at most a short, plain value (see {@link #MAX_ECHOED_LENGTH}).
 */
final class MessageFields {

  /** Longest accepted notification id ({@code id}), in characters: 128. */
  static final int MAX_ID_LENGTH = 128;

  /** Longest accepted message text ({@code message}, Redis {@code payload.message}), in characters: 4096. */
  static final int MAX_MESSAGE_LENGTH = 4096;

  /** Longest payload value a failure reason may quote, in characters: 32. */
  static final int MAX_ECHOED_LENGTH = 32;

  private static final Pattern NOTIFICATION_ID = Pattern.compile("[A-Za-z0-9_.:-]+");
  private static final Pattern ECHOABLE = Pattern.compile("[\\x20-\\x7e&&[^'\\\\]]*");

  private MessageFields() {
  }

  /** The message must be a JSON object within {@link JsonLimits} (depth, finite numbers). */
  static void requireMessage(JsonObject msg) {
    if (msg == null) {
      throw new InvalidNotificationException("payload is not a JSON object");
    }
    JsonLimits.check(msg, JsonLimits.MAX_DEPTH, "payload");
  }

  /** Whether {@code id} is a valid notification id as a publisher may give one. */
  static boolean isValidId(String id) {
    return id != null && !id.isEmpty() && id.length() <= MAX_ID_LENGTH && NOTIFICATION_ID.matcher(id).matches();
  }

  static String parseId(JsonObject msg) {
    Object value = msg.getValue("id");
    if (value == null) {
      return UUID.randomUUID().toString();
    }
    if (!(value instanceof String id)) {
      throw new InvalidNotificationException("id: must be a string");
    }
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw new InvalidNotificationException("id: must be 1 to " + MAX_ID_LENGTH + " characters");
    }
    if (!NOTIFICATION_ID.matcher(id).matches()) {
      throw new InvalidNotificationException("id: invalid characters");
    }
    return id;
  }

  static String optionalString(JsonObject json, String key, String field) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw new InvalidNotificationException(field + ": must be a string");
    }
    return s;
  }

  static JsonObject optionalObject(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject o)) {
      throw new InvalidNotificationException(key + ": must be an object");
    }
    return o;
  }

  static void checkMaxLength(String value, int max, String field) {
    if (value.length() > max) {
      throw new InvalidNotificationException(field + ": longer than " + max + " characters");
    }
  }

  static Priority parsePriority(Object value, String field) {
    if (!(value instanceof String text)) {
      throw new InvalidNotificationException(field + ": must be a string");
    }
    return Priority.parse(text).orElseThrow(() -> new InvalidNotificationException(field + ": unknown value" + echo(text)));
  }

  /** Absent (null) means now; an ISO-8601 instant or offset date-time; or epoch seconds (< 1e11) / millis. */
  static Instant parseTimestamp(Object value, String field) {
    if (value == null) {
      return Instant.now();
    }
    if (value instanceof String text) {
      try {
        return Instant.parse(text);
      } catch (DateTimeException e) {
        try {
          return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeException e2) {
          throw new InvalidNotificationException(field + ": not an ISO-8601 date-time");
        }
      }
    }
    if (value instanceof Number number) {
      try {
        BigDecimal n = number instanceof BigDecimal d ? d : new BigDecimal(number.toString());
        BigDecimal seconds = n.abs().compareTo(BigDecimal.valueOf(100_000_000_000L)) < 0 ? n : n.movePointLeft(3);
        BigDecimal whole = seconds.setScale(0, RoundingMode.FLOOR);
        long nanos = seconds.subtract(whole).movePointRight(9).setScale(0, RoundingMode.FLOOR).longValueExact();
        return Instant.ofEpochSecond(whole.longValueExact(), nanos);
      } catch (ArithmeticException | NumberFormatException | DateTimeException e) {
        throw new InvalidNotificationException(field + ": epoch value out of range");
      }
    }
    throw new InvalidNotificationException(field + ": must be an ISO-8601 string or epoch number");
  }

  /** {@code " 'value'"} when the value is short and plain enough to quote in a reason, else empty. */
  private static String echo(String value) {
    if (value.length() <= MAX_ECHOED_LENGTH && ECHOABLE.matcher(value).matches()) {
      return " '" + value + "'";
    }
    return "";
  }
}
