package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.herald.protocol.ErrorCode;
import io.herald.testkit.ClientRequestChecks;
import io.herald.testkit.FuzzChecks;
import io.vertx.core.buffer.Buffer;
import java.util.Set;

/**
 * Fuzzes the {@code /ws} client-message decoder: a text message's bytes through {@link ClientMessages#decode}, then
 * every argument reader the commands use. Nothing but the decoder's refusals ({@code malformed}, {@code unknown_type})
 * and {@link IllegalArgumentException} from an argument may come out; a known message was exactly one JSON object
 * whose {@code type} names it; what is read stays within the protocol's limits. Seeds: {@code ClientMessagesFuzzITInputs/}.
 */
class ClientMessagesFuzzIT {

  @FuzzTest
  void clientMessage(byte[] frame) {
    ClientMessages.Decoded decoded = ClientMessages.decode(Buffer.buffer(frame));
    if (decoded instanceof ClientMessages.Refused refused) {
      assertTrue(Set.of(ErrorCode.MALFORMED, ErrorCode.UNKNOWN_TYPE).contains(refused.code()), "refusal code");
      assertTrue(refused.reason().length() <= 80, "a refusal quotes at most 32 characters of the input");
      return;
    }
    ClientMessages.Known known = (ClientMessages.Known) decoded;
    assertTrue(FuzzChecks.isOneJsonValue(frame), "accepted what is not one JSON value");
    assertEquals(known.typeName(), known.message().getValue("type"));
    assertEquals(known.type(), ClientMessageType.parse(known.typeName()));
    String device = Device.normalise(known.message().getValue("device"));
    assertTrue(device == null || device.equals("Unknown") || Device.NAMES.contains(device), "device");
    ClientRequestChecks.assertArgumentsBounded(known.message());
  }
}
