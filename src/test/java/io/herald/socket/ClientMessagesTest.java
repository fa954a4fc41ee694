package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.herald.protocol.ErrorCode;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientMessagesTest {

  /**
   * A message was parsed as the value of {@code {"m":<message>}}, so text that is not one JSON object could become a
   * command: {@code {}, "m": {"type":"Ping"}} was a Ping (the later "m" wins). Found writing {@code ClientMessagesFuzzIT}.
   */
  @ParameterizedTest
  @ValueSource(strings = {"{}, \"m\": {\"type\":\"Ping\"}", "{\"type\":\"Ping\"} {\"type\":\"GetStatus\"}", "{\"type\":\"Ping\"},"})
  void onlyOneJsonObjectIsAMessage(String text) {
    ClientMessages.Refused refused = assertInstanceOf(ClientMessages.Refused.class, ClientMessages.decode(Buffer.buffer(text)));
    assertEquals(ErrorCode.MALFORMED, refused.code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"type\":\"Ping\"}", " {\"type\":\"PING\"}\n", "{\"type\":\"get-status\",\"x\":[1,{}]}"})
  void aJsonObjectWithAKnownTypeIsAMessage(String text) {
    ClientMessages.Known known = assertInstanceOf(ClientMessages.Known.class, ClientMessages.decode(Buffer.buffer(text)));
    assertEquals(known.typeName(), known.message().getString("type"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "[]", "\"Ping\"", "{\"type\":5}", "not json", ""})
  void anythingElseIsMalformed(String text) {
    assertEquals(ErrorCode.MALFORMED,
        assertInstanceOf(ClientMessages.Refused.class, ClientMessages.decode(Buffer.buffer(text))).code());
  }
}
