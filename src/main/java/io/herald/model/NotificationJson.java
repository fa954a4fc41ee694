package io.herald.model;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * Writes a notification's JSON forms with a streaming generator, without building a {@code JsonObject} of them:
 * the client frame straight to UTF-8 bytes (once per notification per node, on the delivery path), and the
 * canonical form (once per notification for its Redis state, once per remote node on the clustered event bus).
 * Each is byte for byte what Vert.x encodes from {@link Notification#toFrame()} or {@link Notification#toJson()}
 * (same fields, same order, the details and the original written by Vert.x's own codec), except that in the
 * UTF-8 bytes characters outside the BMP are escaped (see {@link #JSON}).
 */
final class NotificationJson {

  /**
   * Thread-safe; the generators it creates are not, and each lives for one frame. Left at Jackson's default on
   * purpose: a character outside the BMP is written as an escaped surrogate pair and a lone surrogate (a publisher
   * may send {@code "\ud800"}) as its escape, so the frame is always valid UTF-8 and loses nothing. (Combining
   * pairs into four UTF-8 bytes would write a lone surrogate as bytes that are not UTF-8, and a client must close
   * a WebSocket whose text frame is not.)
   */
  private static final JsonFactory JSON = new JsonFactory();

  /** The usual size of a notification's JSON, so that most fit the first buffer. */
  private static final int INITIAL_BYTES = 512;

  private NotificationJson() {
  }

  /** The client frame, {@link Notification#toFrame()}, as UTF-8. */
  static byte[] frame(Notification n) {
    return utf8(n, NotificationJson::writeFrame);
  }

  /** The canonical form, {@link Notification#toJson()}, as UTF-8. */
  static byte[] canonicalBytes(Notification n) {
    return utf8(n, NotificationJson::writeCanonical);
  }

  /**
   * Each thread's buffer for the forms it writes, emptied after each: a notification's bytes are copied out of it
   * once, and its block (at least {@link #INITIAL_BYTES}, at most Jackson's largest block, 128 kB) is not garbage
   * made twice per notification.
   */
  private static final ThreadLocal<ByteArrayBuilder> BUFFERS =
      ThreadLocal.withInitial(() -> new ByteArrayBuilder(INITIAL_BYTES));

  /** One of the forms below written by a UTF-8 generator. */
  private static byte[] utf8(Notification n, Form form) {
    ByteArrayBuilder out = BUFFERS.get();
    // Emptied first too: a write that failed half-way (a detail Vert.x cannot encode) left its bytes in it.
    out.reset();
    try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      form.write(n, json);
    } catch (IOException inMemory) {
      throw new UncheckedIOException("writing to memory cannot fail", inMemory);
    }
    byte[] bytes = out.toByteArray();
    out.reset();
    return bytes;
  }

  /** Writes one JSON form of a notification. */
  @FunctionalInterface
  private interface Form {
    void write(Notification n, JsonGenerator json) throws IOException;
  }

  /** The canonical form, {@link Notification#toJson()}, as a string. */
  static String canonicalString(Notification n) {
    StringWriter out = new StringWriter(INITIAL_BYTES);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      writeCanonical(n, json);
    } catch (IOException inMemory) {
      throw new UncheckedIOException("writing to memory cannot fail", inMemory);
    }
    return out.toString();
  }

  private static void writeCanonical(Notification n, JsonGenerator json) throws IOException {
    json.writeStartObject();
    json.writeStringField("id", n.id());
    Target target = n.target();
    json.writeStringField("tenant_id", target.tenant());
    if (target instanceof Target.Users users) {
      json.writeArrayFieldStart("user_ids");
      for (String user : users.userIds()) {
        json.writeString(user);
      }
      json.writeEndArray();
    } else if (target instanceof Target.Topic topic) {
      json.writeStringField("topic", topic.topic());
    } else {
      json.writeBooleanField("broadcast", true);
    }
    json.writeStringField("alert_id", n.alertId());
    json.writeStringField("alert_name", n.alertName());
    json.writeStringField("notification_type", n.kind());
    writeContent(n, json);
    if (n.sharedOriginal() != null) {
      json.writeFieldName("original");
      JacksonCodec.encodeJson(n.sharedOriginal(), json);
    }
    if (n.epoch() != null) {
      json.writeStringField("epoch", n.epoch());
      json.writeNumberField("offset", n.offset());
    }
    json.writeEndObject();
  }

  /** The fields both forms write alike, in the same place: priority, message, details, timestamp, actions. */
  private static void writeContent(Notification n, JsonGenerator json) throws IOException {
    json.writeStringField("priority", n.priority().wireName());
    json.writeStringField("message", n.message());
    json.writeFieldName("details");
    JacksonCodec.encodeJson(n.sharedDetails(), json);
    json.writeStringField("timestamp", n.timestampText());
    json.writeArrayFieldStart("actions");
    for (Action action : n.actions()) {
      json.writeStartObject();
      json.writeStringField("label", action.label());
      json.writeStringField("url", action.url());
      json.writeEndObject();
    }
    json.writeEndArray();
  }

  private static void writeFrame(Notification n, JsonGenerator json) throws IOException {
    json.writeStartObject();
    json.writeStringField("type", "Notification");
    json.writeStringField("id", n.id());
    // Absent rather than null: fewer bytes on every connection.
    if (n.alertId() != null) {
      json.writeStringField("alert_id", n.alertId());
    }
    if (n.alertName() != null) {
      json.writeStringField("alert_name", n.alertName());
    }
    if (n.kind() != null) {
      json.writeStringField("notification_type", n.kind());
    }
    writeContent(n, json);
    Target target = n.target();
    if (target instanceof Target.Topic topic) {
      json.writeStringField("topic", topic.topic());
    }
    if (n.epoch() != null) {
      json.writeStringField("stream",
          target instanceof Target.Users ? "user" : target instanceof Target.Topic ? "topic" : "broadcast");
      json.writeStringField("epoch", n.epoch());
      json.writeNumberField("offset", n.offset());
    }
    json.writeEndObject();
  }
}
