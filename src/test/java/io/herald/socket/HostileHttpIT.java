package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.testkit.NodeGroups;
import io.herald.testkit.TestNode;
import io.herald.testkit.WsClient;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the HTTP server of a real node does with hostile request heads, over raw sockets from 127.0.0.1: headers
 * dribbled slower than {@code request_header_timeout_secs} (slowloris, on a plain request, on an upgrade, on a
 * kept-alive connection's next request) get 408 and a closed connection within the bound, a connection that sends
 * nothing gets the same after {@code connection_timeout_secs}, while an upgraded WebSocket outlives both; a request line or headers over the server's limits are refused
 * (414, 431) while a line carrying the longest token Herald accepts is not.
 */
@Timeout(60)
class HostileHttpIT {

  private static final int HEADER_TIMEOUT_SECS = 1;
  /** {@code connection_timeout_secs} of the node: the bound of a connection that sends nothing. */
  private static final int SILENT_TIMEOUT_SECS = 3;
  /** The deadline, plus what a loaded machine may add before the node's timer runs and the close arrives. */
  private static final long CLOSED_WITHIN_MS = HEADER_TIMEOUT_SECS * 1000L + 2000;
  private static final NodeGroups NODES = new NodeGroups();

  private static TestNode node() {
    return NODES.node("hostile-http",
        o -> o.server(server -> server.setRequestHeaderTimeoutSecs(HEADER_TIMEOUT_SECS))
            .limits(limits -> limits.setHeartbeatIntervalSecs(1).setConnectionTimeoutSecs(SILENT_TIMEOUT_SECS)));
  }

  @AfterAll
  static void stopNodes() {
    NODES.close();
  }

  /** What the server sent until it closed the connection, and when the close came (ms after {@code startNanos}). */
  private record Answer(String text, long closedAfterMs) {
  }

  /** Reads until the server closes the connection (bounded), and when. */
  private static Answer readUntilClosed(Socket socket, long startNanos) throws IOException {
    socket.setSoTimeout(SILENT_TIMEOUT_SECS * 1000 + 5000);
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int n; (n = in.read(buffer)) != -1; ) {
        received.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("connection still open; received: " + received.toString(StandardCharsets.US_ASCII));
    } catch (SocketException reset) {
      // a reset after the answer is a close too
    }
    return new Answer(received.toString(StandardCharsets.US_ASCII), (System.nanoTime() - startNanos) / 1_000_000);
  }

  /** Writes one header line every 200 ms until the connection is closed, from its own thread. */
  private static Thread dribble(OutputStream out) {
    Thread dribbler = new Thread(() -> {
      try {
        for (int i = 0; i < 100; i++) {
          out.write(("X-Slow-" + i + ": 1\r\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
          // The slow client's pace is the behaviour under test: time, not an event, decides it.
          Thread.sleep(200);
        }
      } catch (IOException | InterruptedException closed) {
        // the server closed the connection: what the test waits for
      }
    }, "dribbler");
    dribbler.setDaemon(true);
    dribbler.start();
    return dribbler;
  }

  private static void assertTimedOut(Answer answer) {
    assertTimedOut(answer, HEADER_TIMEOUT_SECS);
  }

  /** A 408 and a close {@code timeoutSecs} after the start, not before, and not much later. */
  private static void assertTimedOut(Answer answer, int timeoutSecs) {
    assertTrue(answer.text().startsWith("HTTP/1.1 408"), answer.text());
    assertTrue(answer.closedAfterMs() >= timeoutSecs * 1000L - 100, "closed after " + answer.closedAfterMs() + " ms");
    assertTrue(answer.closedAfterMs() <= timeoutSecs * 1000L + 2000, "closed after " + answer.closedAfterMs() + " ms");
  }

  private static Answer dribbledRequest(String head) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node().port())) {
      long start = System.nanoTime();
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread dribbler = dribble(out);
      Answer answer = readUntilClosed(socket, start);
      dribbler.interrupt();
      return answer;
    }
  }

  // ---------------------------------------------------------------- slowloris

  @Test
  void headersDribbledPastTheDeadlineGet408AndTheConnectionClosed() throws IOException {
    assertTimedOut(dribbledRequest("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  }

  @Test
  void anUpgradeDribbledPastTheDeadlineGets408AndTheConnectionClosed() throws IOException {
    assertTimedOut(dribbledRequest("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"));
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAfterTheConnectionTimeoutNotTheHeaderTimeout() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node().port())) {
      assertTimedOut(readUntilClosed(socket, System.nanoTime()), SILENT_TIMEOUT_SECS);
    }
  }

  @Test
  void aConnectionOpenedAheadOfItsFirstRequestIsServedPastTheHeaderTimeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", node().port())) {
      // A preconnect: silent for twice the header timeout (nothing to await but the time passing), then a request.
      Thread.sleep(HEADER_TIMEOUT_SECS * 2000L);
      socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String head = readResponseHead(socket);
      assertTrue(head.startsWith("HTTP/1.1 200"), head);
    }
  }

  @Test
  void theNextRequestOfAKeptAliveConnectionHasItsOwnDeadline() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node().port())) {
      OutputStream out = socket.getOutputStream();
      // Two full requests in a row on one connection, the second after the first deadline would have passed.
      out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String first = readResponseHead(socket);
      assertTrue(first.startsWith("HTTP/1.1 200"), first);
      out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long start = System.nanoTime();
      Thread dribbler = dribble(out);
      Answer answer = readUntilClosed(socket, start);
      dribbler.interrupt();
      // The first response's body may still be in the stream ahead of the 408.
      assertTrue(answer.text().contains("HTTP/1.1 408"), answer.text());
      assertTrue(answer.closedAfterMs() <= CLOSED_WITHIN_MS, "closed after " + answer.closedAfterMs() + " ms");
    }
  }

  @Test
  void anUpgradedWebSocketOutlivesTheHeaderDeadline() throws InterruptedException {
    TestNode node = node();
    WsClient client = node.connect("outlives");
    try {
      // Absence of a close over three deadlines: nothing to await but the time passing.
      Thread.sleep(HEADER_TIMEOUT_SECS * 3000L);
      client.send(new JsonObject().put("type", "Ping"));
      assertEquals("Pong", client.awaitType("Pong", Duration.ofSeconds(5)).getString("type"));
    } finally {
      client.close();
    }
  }

  /** Reads a response head and its Content-Length body, leaving the connection open. */
  private static String readResponseHead(Socket socket) throws IOException {
    socket.setSoTimeout(5000);
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b == -1) {
        throw new AssertionError("closed before the response head: " + head);
      }
      head.append((char) b);
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return head.toString();
  }

  // ---------------------------------------------------------------- oversized heads

  private static String statusOf(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node().port())) {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      return readResponseHead(socket).split("\r\n")[0];
    }
  }

  @Test
  void aRequestLineOverTheLimitIsRefusedWith414() throws IOException {
    String line = "GET /ws?pad=" + "a".repeat(FrontDoor.MAX_REQUEST_LINE_BYTES) + " HTTP/1.1\r\n";
    String status = statusOf(line + "Host: 127.0.0.1\r\n\r\n");
    // Vert.x answers a line it could not decode as HTTP/1.0.
    assertTrue(status.matches("HTTP/1\\.[01] 414 .*"), status);
  }

  @Test
  void headersOverTheLimitAreRefusedWith431() throws IOException {
    String header = "X-Pad: " + "a".repeat(FrontDoor.MAX_HEADER_BYTES) + "\r\n";
    String status = statusOf("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + "\r\n");
    assertTrue(status.matches("HTTP/1\\.[01] 431 .*"), status);
  }

  @Test
  void aRequestLineWithTheLongestAcceptedTokenIsServed() throws IOException {
    String token = "a".repeat(io.herald.auth.Tokens.MAX_TOKEN_LENGTH);
    String status = statusOf("GET /health?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "Authorization: Bearer " + token + "\r\n\r\n");
    assertTrue(status.startsWith("HTTP/1.1 200"), status);
  }
}
