package io.herald.socket.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.herald.auth.AuthenticatedUser;
import io.herald.config.AccessOptions;
import io.herald.model.Ids;
import io.herald.testkit.ClientRequestChecks;
import io.herald.testkit.FuzzChecks;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Fuzzes the bridge's checks of a client's SockJS event-bus message: the guard's parse
 * ({@link BridgeSessions#parse}), then, as the message's type leads, the token in its headers, a SEND's refusal and
 * rebuilt form ({@link BridgeHook#sendRefusal}, {@link BridgeHook#rebuiltSend}), a REGISTER's address
 * ({@link BridgeAddresses#mayReceive}) and the client API's arguments. Checked: only the documented {@code err} bodies
 * refuse a message; what passes was one JSON object with a known type and a string address; a SEND goes on with
 * Herald's headers only, to a client API address, with a plain reply label; a REGISTER passes only for the user's own,
 * its tenant's broadcast, or a permitted topic address of its tenant. Seeds: {@code BridgeFrameFuzzITInputs/}.
 */
class BridgeFrameFuzzIT {

  private static final Set<String> ERR_BODIES = Set.of("invalid_json", "missing_type", "invalid_type", "missing_address");
  private static final Set<String> SEND_KEYS = Set.of("type", "address", "headers", "body", "replyAddress");
  private static final AuthenticatedUser USER =
      new AuthenticatedUser("u1", "acme", List.of("market.*", "alerts"), Instant.now().plusSeconds(3600), "jwt");
  private static final AccessOptions ACCESS =
      new AccessOptions().setDefaultTopics(List.of("general")).setPublicTopics(List.of("news"));
  private static final JsonObject HERALD_HEADERS = new JsonObject()
      .put(ClientApi.HEADER_TENANT, "acme").put(ClientApi.HEADER_USER, "u1")
      .put(ClientApi.HEADER_CONNECTION, "c1").put(ClientApi.HEADER_OWNER, "herald.owner.1");

  @FuzzTest
  void bridgeMessage(byte[] frame) {
    Object parsed = BridgeSessions.parse("fuzz", Buffer.buffer(frame));
    if (parsed instanceof String errBody) {
      assertTrue(ERR_BODIES.contains(errBody), "err body " + errBody);
      return;
    }
    JsonObject message = (JsonObject) parsed;
    assertTrue(FuzzChecks.isOneJsonValue(frame), "passed what is not one JSON value");
    String type = message.getString("type");
    assertTrue(Set.of("ping", "send", "publish", "register", "unregister").contains(type), "type " + type);
    Object address = message.getValue("address");
    assertTrue(type.equals("ping") || address instanceof String, "a string address");

    String token = BridgeHook.headerToken(message);
    Object headers = message.getValue("headers");
    Object expectedToken = headers instanceof JsonObject h ? h.getValue("token") : null;
    assertEquals(expectedToken instanceof String t && !t.isBlank() ? t : null, token, "token");

    if (type.equals("send")) {
      String refusal = BridgeHook.sendRefusal((String) address, message.getValue("replyAddress"));
      if (refusal == null) {
        JsonObject send = BridgeHook.rebuiltSend(message, (String) address, HERALD_HEADERS);
        assertTrue(SEND_KEYS.containsAll(send.fieldNames()), "keys " + send.fieldNames());
        assertEquals(HERALD_HEADERS, send.getJsonObject("headers"), "a client header passed");
        assertTrue(BridgeAddresses.CLIENT_API.contains(send.getString("address")), "address");
        Object label = send.getValue("replyAddress");
        assertTrue(label == null || (label instanceof String l && l.matches("[A-Za-z0-9_-]{1,36}")), "reply label");
      } else {
        assertTrue(!BridgeAddresses.isClientApi((String) address) || message.getValue("replyAddress") != null);
      }
    }
    if (address instanceof String a) {
      assertEquals(permitted(a), BridgeAddresses.mayReceive(ACCESS, USER, a), "register " + a);
    }
    if (message.getValue("body") instanceof JsonObject body) {
      ClientRequestChecks.assertArgumentsBounded(body);
    }
  }

  /** The README's rule, read independently: own user, own tenant's broadcast, a topic of the own tenant it may join. */
  private static boolean permitted(String address) {
    if (address.equals("herald.user.acme.u1") || address.equals("herald.broadcast.acme")) {
      return true;
    }
    if (!address.startsWith("herald.topic.acme.")) {
      return false;
    }
    String topic = address.substring("herald.topic.acme.".length());
    return Ids.isValidTopic(topic)
        && (topic.equals("general") || topic.equals("news") || topic.equals("alerts") || topic.startsWith("market."));
  }
}
