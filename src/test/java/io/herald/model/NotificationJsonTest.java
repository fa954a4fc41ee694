package io.herald.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class NotificationJsonTest {

  private static Notification notification() {
    return Notification.builder().id("n1").target(new Target.Users(Ids.DEFAULT_TENANT, java.util.List.of("u1")))
        .priority(Priority.HIGH).message("hello").details(new JsonObject().put("chain", "ethereum")).build();
  }

  private static JsonObject frame(Notification n) {
    return new JsonObject(Buffer.buffer(n.frameBytes()));
  }

  private static String vertxEncoding(Notification n) {
    return n.toFrame().encode();
  }

  /** The bytes as UTF-8, refusing any malformed sequence (a client must close on a text frame that is not UTF-8). */
  private static String strictUtf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new AssertionError("the frame is not valid UTF-8", e);
    }
  }

  @Test
  void theFrameBytesAreVertxsEncodingOfTheFrameWhateverFieldsAreSet() {
    Target users = new Target.Users(Ids.DEFAULT_TENANT, List.of("u1"));
    JsonObject nested = new JsonObject().put("chain", "ethereum").put("gas", 21000).put("ratio", 0.25)
        .put("ok", true).put("none", (Object) null).put("list", new JsonArray().add(1).add("two").add(new JsonObject()))
        .put("deep", new JsonObject().put("quote", "a \"b\" \\ c/d\n\t\u0001").put("unicode", "é 漢字 ü"));
    List<Notification> cases = List.of(
        Notification.builder().id("bare").target(new Target.Broadcast(Ids.DEFAULT_TENANT)).build(),
        Notification.builder().id("full").target(users).alertId("a1").alertName("Whale <alert>").kind("price_alert")
            .priority(Priority.CRITICAL).message("héllo \"there\"").details(nested)
            .timestamp(Instant.parse("2026-12-03T10:15:30.123Z"))
            .actions(List.of(new Action("View", "/alerts/a1"), new Action("Null url", null))).build(),
        Notification.builder().id("topic").target(new Target.Topic("acme", "whales.eth")).message("m").build()
            .withPosition("0123456789ab", 42),
        Notification.builder().id("user").target(users).message("m").details(nested).build().withPosition("e", 1),
        Notification.builder().id("all").target(new Target.Broadcast("acme")).build().withPosition("e", 9));
    for (Notification n : cases) {
      assertEquals(vertxEncoding(n), strictUtf8(n.frameBytes()), n.id());
    }
  }

  @Test
  void theCanonicalFormIsVertxsEncodingOfToJsonAndTheWireCodecCarriesIt() {
    Target users = new Target.Users("acme", List.of("u1", "u2"));
    JsonObject details = new JsonObject().put("chain", "ethereum").put("n", new JsonObject().put("a", new JsonArray().add(1)));
    List<Notification> cases = List.of(
        Notification.builder().id("bare").target(new Target.Broadcast(Ids.DEFAULT_TENANT)).build(),
        Notification.builder().id("full").target(users).alertId("a1").alertName("Whale").kind("price_alert")
            .priority(Priority.LOW).message("é \"q\"").details(details).timestamp(Instant.parse("2026-01-02T03:04:05Z"))
            .actions(List.of(new Action("View", "/x"))).original(new JsonObject().put("raw", true)).build(),
        Notification.builder().id("t").target(new Target.Topic("acme", "news")).build().withPosition("e1", 3));
    NotificationCodec codec = new NotificationCodec();
    for (Notification n : cases) {
      String vertx = n.toJson().encode();
      assertEquals(vertx, n.canonicalJson(), n.id());
      assertEquals(vertx, strictUtf8(NotificationJson.canonicalBytes(n)), n.id());
      Buffer wire = Buffer.buffer();
      codec.encodeToWire(wire, n);
      Notification decoded = codec.decodeFromWire(0, wire);
      assertEquals(n.toJson(), decoded.toJson(), n.id());
      assertEquals(vertxEncoding(n), strictUtf8(decoded.frameBytes()), n.id());
    }
  }

  @Test
  void charactersOutsideTheBmpAndLoneSurrogatesArriveIntactInValidUtf8() {
    String message = "emoji 😀, lone \ud800 and \udc00";
    Notification n = Notification.builder().id("s").target(new Target.Broadcast(Ids.DEFAULT_TENANT))
        .message(message).details(new JsonObject().put("k", "\udbff")).build();
    JsonObject decoded = new JsonObject(strictUtf8(n.frameBytes()));
    assertEquals(message, decoded.getString("message"), "nothing replaced or lost");
    assertEquals("\udbff", decoded.getJsonObject("details").getString("k"));
    assertEquals(n.toFrame(), decoded);
  }

  @Test
  void theThreadsBufferLeavesNothingBehindAfterALargeFormOrAFailedOne() {
    Notification large = Notification.builder().id("large").target(new Target.Broadcast(Ids.DEFAULT_TENANT))
        .message("x".repeat(300_000)).build();
    assertEquals(vertxEncoding(large), strictUtf8(large.frameBytes()), "over several of the buffer's blocks");
    Notification unencodable = Notification.builder().id("bad").target(new Target.Broadcast(Ids.DEFAULT_TENANT))
        .handOverDetails(new JsonObject().put("first", "written").put("object", new Object())).build();
    assertThrows(RuntimeException.class, unencodable::frameBytes, "a detail Vert.x cannot encode");
    Notification small = notification();
    assertEquals(vertxEncoding(small), strictUtf8(small.frameBytes()), "nothing of the two before it");
    assertEquals(small.toJson().encode(), strictUtf8(small.canonicalJsonBytes()));
  }

  @Test
  void theFrameIsEncodedOnceAndReused() {
    Notification n = notification();
    assertSame(n.frameBytes(), n.frameBytes(), "a second call returns the cached encoding");
    assertEquals(n.toFrame(), frame(n));
  }

  @Test
  void aPositionedCopyCarriesItsPositionAndTheSameContent() {
    Notification n = notification();
    JsonObject unpositioned = frame(n);
    Notification positioned = n.withPosition("e1", 7);
    JsonObject frame = frame(positioned);
    assertEquals("e1", frame.getString("epoch"));
    assertEquals(7L, frame.getLong("offset"));
    assertEquals("user", frame.getString("stream"));
    frame.remove("epoch");
    frame.remove("offset");
    frame.remove("stream");
    assertEquals(unpositioned, frame, "same content apart from the position");
    assertFalse(frame(n).containsKey("epoch"), "the original stays without a position");
    assertEquals("ethereum", positioned.chain());
  }

  @Test
  void theFrameDoesNotChangeWhenACallerChangesTheDetailsItWasGiven() {
    JsonObject details = new JsonObject().put("chain", "ethereum");
    Notification n = Notification.builder().id("n2").target(new Target.Broadcast(Ids.DEFAULT_TENANT)).details(details).build();
    details.put("chain", "bitcoin");
    n.toFrame().getJsonObject("details").put("chain", "solana");
    assertEquals("ethereum", frame(n).getJsonObject("details").getString("chain"));
  }
}
