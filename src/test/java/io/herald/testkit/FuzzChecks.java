package io.herald.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.herald.model.Addresses;
import io.herald.model.Ids;
import io.herald.model.Notification;
import io.herald.model.NotificationCodec;
import io.herald.model.Target;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The properties every fuzz target checks of what a decoder lets through (the {@code *FuzzIT} classes), kept apart
 * from the decoders so that they are an independent reading of the documented rules, not the same code twice.
 */
public final class FuzzChecks {

  /** JSON as Vert.x reads it: standard JSON plus comments ({@code //}, {@code /* *}{@code /}), nothing else. */
  private static final JsonFactory JSON = new JsonFactory().enable(JsonParser.Feature.ALLOW_COMMENTS);

  private FuzzChecks() {
  }

  /**
   * Whether {@code bytes} hold exactly one JSON value (whitespace around it allowed, nothing else), read as UTF-8 with
   * malformed sequences replaced by U+FFFD, as Vert.x reads a buffer.
   */
  public static boolean isOneJsonValue(byte[] bytes) {
    try (JsonParser parser = JSON.createParser(new String(bytes, StandardCharsets.UTF_8))) {
      if (parser.nextToken() == null) {
        return false;
      }
      parser.skipChildren();
      return parser.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The target names only valid identifiers (so its event-bus address is unambiguous: the tenant part ends at the
   * first dot after the prefix) and at most {@code maxUsers} users.
   */
  public static void assertValidTarget(Target target, int maxUsers) {
    assertTrue(Ids.isValidTenant(target.tenant()), "tenant " + target.tenant());
    if (target instanceof Target.Users users) {
      assertTrue(!users.userIds().isEmpty() && users.userIds().size() <= maxUsers, "user count " + users.userIds().size());
      for (String user : users.userIds()) {
        assertTrue(Ids.isValidUserId(user), "user id " + user);
        String address = Addresses.user(target.tenant(), user);
        String rest = address.substring("herald.user.".length());
        assertEquals(target.tenant(), rest.substring(0, rest.indexOf('.')), "the address names another tenant");
      }
    } else if (target instanceof Target.Topic topic) {
      assertTrue(Ids.isValidTopic(topic.topic()), "topic " + topic.topic());
    }
  }

  /**
   * The canonical form decodes back to the same notification, byte for byte in both of its encodings (the canonical
   * one the state and the cluster carry, the client frame), with the same target.
   */
  public static Notification assertRoundTrip(Notification n) {
    byte[] canonical = n.canonicalJsonBytes();
    Notification back = NotificationCodec.decode(canonical);
    assertNotNull(back);
    assertEquals(n.target(), back.target(), "target after the round trip");
    assertArrayEquals(canonical, back.canonicalJsonBytes(), () -> "canonical form changed: " + n.canonicalJson()
        + " became " + back.canonicalJson());
    assertArrayEquals(n.frameBytes(), back.frameBytes(), "client frame changed");
    // The same JSON, not the same text: the UTF-8 form escapes characters outside the BMP, the string form does not.
    assertEquals(new JsonObject(n.canonicalJson()), new JsonObject(Buffer.buffer(canonical)), "the string and byte forms differ");
    return back;
  }
}
