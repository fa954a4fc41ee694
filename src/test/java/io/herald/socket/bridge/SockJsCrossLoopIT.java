package io.herald.socket.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.Await;
import io.herald.testkit.SockJsXhrClient;
import io.herald.testkit.TestNode;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A SockJS session's requests reach the node over several TCP connections, which the node's socket verticles take in
 * turn, so a session's later requests are often served by another event loop than the one that created it. Every
 * request must still be answered: vertx-web writes the session's heartbeat from the creating loop into whatever request
 * holds the session at the time, which an HTTP server in strict thread mode refuses (the write throws, the request is
 * left unanswered).
 */
@Timeout(60)
class SockJsCrossLoopIT {

  /** The heartbeat interval of the node: a held poll is answered with a heartbeat frame within it. */
  private static final Duration HEARTBEAT = Duration.ofSeconds(1);
  private static final Duration ANSWER_WITHIN = HEARTBEAT.multipliedBy(4);

  private static TestNode node;
  private static HttpClient oneRequestPerConnection;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestNode.options()
        .limits(limits -> limits.setHeartbeatIntervalSecs((int) HEARTBEAT.toSeconds())));
    // No keep-alive: each poll opens its own connection, the socket verticles take them in turn.
    oneRequestPerConnection = node.vertx().createHttpClient(new HttpClientOptions().setKeepAlive(false));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void pollsOfOneSessionOverNewConnectionsAreAllAnsweredByTheHeartbeat() {
    String token = node.token(BridgeIT.user());
    String session = "/eventbus/" + SockJsXhrClient.serverId() + "/" + SockJsXhrClient.sessionId() + "/xhr?token=" + token;
    assertEquals("o", poll(session), "the first poll opens the session");
    List<String> answers = new ArrayList<>();
    // With two socket verticles, at least every other connection is on another loop than the session's.
    for (int i = 0; i < 6; i++) {
      answers.add(poll(session));
    }
    assertTrue(answers.stream().allMatch(a -> a.equals("h") || a.startsWith("a[")), "each poll answered: " + answers);
  }

  /** One xhr poll on a new connection: the frame that answered it, without its newline. */
  private static String poll(String uri) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(node.port())
        .setURI(uri);
    return Await.result(oneRequestPerConnection.request(request)
        .compose(r -> r.send().compose(response -> response.body().map(body -> {
          assertEquals(200, response.statusCode(), body.toString());
          return body.toString().trim();
        }))), ANSWER_WITHIN, "an xhr poll answered");
  }
}
