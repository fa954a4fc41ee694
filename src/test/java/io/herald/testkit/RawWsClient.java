package io.herald.testkit;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal WebSocket client written by hand over a Vert.x {@link NetSocket}, for what a normal client hides: it
 * performs the HTTP/1.1 upgrade itself (random {@code Sec-WebSocket-Key}, version 13, no extension offered), sends
 * masked frames of any kind, parses server frames (7/16/64-bit lengths, frames split or merged across TCP reads,
 * fragmented messages) and, unless {@link #autoPong(boolean)} is switched on, NEVER answers pings.
 * <p>
 * When the server sends a close frame the client records it and answers with a close frame carrying the same code
 * (as RFC 6455 asks), unless it already sent one.
 */
public final class RawWsClient implements AutoCloseable {

  public static final int OP_CONTINUATION = 0x0;
  public static final int OP_TEXT = 0x1;
  public static final int OP_BINARY = 0x2;
  public static final int OP_CLOSE = 0x8;
  public static final int OP_PING = 0x9;
  public static final int OP_PONG = 0xA;

  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final NetClient client; // field reference: a collected client is shut down
  private final Context context;
  private NetSocket socket;       // set on the context before any frame is parsed

  private final LinkedBlockingQueue<JsonObject> texts = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<byte[]> binaries = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<byte[]> pings = new LinkedBlockingQueue<>();
  private final AtomicInteger pingCount = new AtomicInteger();
  private final AtomicInteger pongCount = new AtomicInteger();
  private final AtomicInteger frameCount = new AtomicInteger();
  private final CompletableFuture<CloseInfo> closeInfo = new CompletableFuture<>();
  private final CompletableFuture<Void> tcpClosedFuture = new CompletableFuture<>();
  private final List<String> protocolErrors = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean autoPong;
  private volatile boolean closeSent;

  // Parser state: touched only on the socket's event loop.
  private Buffer pending = Buffer.buffer();
  private boolean handshakeDone;
  private boolean handshakeFailed;
  private int fragmentOpcode = -1;
  private ByteArrayOutputStream fragments;
  private MultiMap responseHeaders = MultiMap.caseInsensitiveMultiMap();
  private String expectedAccept;
  private Promise<RawWsClient> handshake;

  private RawWsClient(NetClient client, Context context) {
    this.client = client;
    this.context = context;
  }

  /**
   * Opens TCP to {@code localhost:port}, sends the upgrade for {@code pathAndQuery} and waits (up to 5 s) for the 101.
   * {@code extraHeaders} are added to the request; one with the same name (case-insensitive) as a default header
   * replaces it, and a {@code null} value removes it (e.g. to test a request without {@code Sec-WebSocket-Version}).
   *
   * @throws UpgradeFailed  (an AssertionError) when the status is not 101: status, headers and body in it
   * @throws AssertionError when TCP fails, nothing comes within 5 s, or the {@code Sec-WebSocket-Accept} is wrong
   */
  public static RawWsClient connect(Vertx vertx, int port, String pathAndQuery, Map<String, String> extraHeaders) {
    NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) TIMEOUT.toMillis()));
    Context context = vertx.getOrCreateContext();
    RawWsClient raw = new RawWsClient(client, context);

    byte[] keyBytes = new byte[16];
    RANDOM.nextBytes(keyBytes);
    String key = Base64.getEncoder().encodeToString(keyBytes);
    raw.expectedAccept = acceptFor(key);

    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Host", "localhost:" + port);
    headers.put("Upgrade", "websocket");
    headers.put("Connection", "Upgrade");
    headers.put("Sec-WebSocket-Key", key);
    headers.put("Sec-WebSocket-Version", "13");
    if (extraHeaders != null) {
      for (Map.Entry<String, String> e : extraHeaders.entrySet()) {
        headers.keySet().removeIf(k -> k.equalsIgnoreCase(e.getKey()));
        if (e.getValue() != null) {
          headers.put(e.getKey(), e.getValue());
        }
      }
    }
    StringBuilder request = new StringBuilder("GET ").append(pathAndQuery).append(" HTTP/1.1\r\n");
    headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
    request.append("\r\n");

    Promise<RawWsClient> handshake = Promise.promise();
    raw.handshake = handshake;
    context.runOnContext(v -> client.connect(port, "localhost").onComplete(ar -> {
      if (ar.failed()) {
        handshake.tryFail(ar.cause());
        return;
      }
      NetSocket so = ar.result();
      raw.socket = so;
      so.handler(raw::onData);
      so.exceptionHandler(t -> raw.protocolErrors.add(String.valueOf(t)));
      so.closeHandler(x -> raw.onTcpClosed());
      so.write(Buffer.buffer(request.toString(), "ISO-8859-1")).onFailure(handshake::tryFail);
    }));
    try {
      return Await.result(handshake.future(), TIMEOUT, "raw WebSocket upgrade to localhost:" + port + pathAndQuery);
    } catch (AssertionError e) {
      raw.close();
      if (e.getCause() instanceof UpgradeFailed refused) {
        throw refused;
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- options

  /** Switches automatic pong replies on or off (default off: pings are counted, never answered). */
  public RawWsClient autoPong(boolean on) {
    this.autoPong = on;
    return this;
  }

  // ---------------------------------------------------------------- sending

  /** Sends one masked text frame (FIN set). */
  public RawWsClient sendText(String text) {
    return sendFrame(OP_TEXT, text.getBytes(StandardCharsets.UTF_8), true);
  }

  /**
   * Sends one masked frame with any opcode (including reserved ones), payload and FIN bit, without any check: for
   * fragmentation and protocol-violation tests. Waits for the write (5 s).
   */
  public RawWsClient sendFrame(int opcode, byte[] payload, boolean fin) {
    if (opcode == OP_CLOSE) {
      closeSent = true;
    }
    Await.result(socket.write(encodeFrame(opcode, payload, fin)), TIMEOUT, "writing frame (opcode " + opcode + ")");
    return this;
  }

  /** Sends a pong frame. */
  public RawWsClient sendPong(byte[] payload) {
    return sendFrame(OP_PONG, payload, true);
  }

  /** Sends a ping frame. */
  public RawWsClient sendPing(byte[] payload) {
    return sendFrame(OP_PING, payload, true);
  }

  /** Sends a close frame with {@code code} and {@code reason}. */
  public RawWsClient sendClose(int code, String reason) {
    return sendFrame(OP_CLOSE, closePayload(code, reason), true);
  }

  /** Writes raw bytes to the TCP connection, unframed. */
  public RawWsClient sendRawBytes(byte[] bytes) {
    Await.result(socket.write(Buffer.buffer(bytes)), TIMEOUT, "writing raw bytes");
    return this;
  }

  // ---------------------------------------------------------------- receiving

  /** Number of ping frames received so far. */
  public int pingsReceived() {
    return pingCount.get();
  }

  /** Number of pong frames received so far. */
  public int pongsReceived() {
    return pongCount.get();
  }

  /** Number of frames of any kind received so far (a fragmented message counts once per fragment). */
  public int framesReceived() {
    return frameCount.get();
  }

  /** Payload of the next ping received (pings are queued as they arrive); AssertionError on timeout. */
  public byte[] nextPing(Duration timeout) {
    return take(pings, timeout, "ping");
  }

  /** The next complete text message parsed as JSON ({@code {"_raw": text}} if not a JSON object). */
  public JsonObject nextText(Duration timeout) {
    return take(texts, timeout, "text frame");
  }

  /** The next complete binary message. */
  public byte[] nextBinary(Duration timeout) {
    return take(binaries, timeout, "binary frame");
  }

  /** Text messages received so far (removed from the queue); does not block. */
  public List<JsonObject> drain() {
    List<JsonObject> out = new ArrayList<>();
    texts.drainTo(out);
    return out;
  }

  /** Response headers of the 101. */
  public MultiMap handshakeHeaders() {
    return responseHeaders;
  }

  /** Problems seen while parsing server frames (e.g. a masked server frame, a bad continuation), and socket errors. */
  public List<String> protocolErrors() {
    return List.copyOf(protocolErrors);
  }

  /**
   * Waits for the end of the connection: the server's close frame (code and reason; code 1005 for a close frame
   * without payload) or, if TCP closed without one, {@code CloseInfo(null, null)}.
   */
  public CloseInfo awaitClose(Duration timeout) {
    try {
      return closeInfo.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no close frame nor TCP close within " + timeout.toMillis() + " ms");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** True once the TCP connection is closed. */
  public boolean tcpClosed() {
    return tcpClosedFuture.isDone();
  }

  /** Waits until the TCP connection is closed. */
  public void awaitTcpClosed(Duration timeout) {
    try {
      tcpClosedFuture.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("TCP connection still open after " + timeout.toMillis() + " ms");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Sends a close frame (1000) if none was sent and the connection is open, closes TCP and the client. Never throws. */
  @Override
  public void close() {
    try {
      if (socket != null && !tcpClosed()) {
        if (!closeSent && handshakeDone) {
          closeSent = true;
          socket.write(encodeFrame(OP_CLOSE, closePayload(1000, ""), true));
        }
        socket.close().toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (Exception ignore) {
      // best effort
    }
    try {
      client.close().toCompletionStage().toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception ignore) {
      // best effort
    }
  }

  // ---------------------------------------------------------------- event-loop side

  private void onTcpClosed() {
    tcpClosedFuture.complete(null);
    closeInfo.complete(new CloseInfo(null, null));
    if (!handshakeDone && handshake != null) {
      handshake.tryFail(new AssertionError("TCP closed before the upgrade response completed"
        + (pending.length() > 0 ? ": " + pending.toString(StandardCharsets.ISO_8859_1) : "")));
    }
  }

  private void onData(Buffer data) {
    if (handshakeFailed) {
      return;
    }
    pending.appendBuffer(data);
    if (!handshakeDone) {
      if (!parseHandshake()) {
        return;
      }
    }
    parseFrames();
  }

  /** @return true once the 101 is parsed and the rest of {@code pending} is frame data */
  private boolean parseHandshake() {
    String soFar = pending.toString(StandardCharsets.ISO_8859_1);
    int end = soFar.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    String[] lines = soFar.substring(0, end).split("\r\n");
    String statusLine = lines[0];
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        responseHeaders.add(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
      }
    }
    String[] parts = statusLine.split(" ", 3);
    int status = parts.length >= 2 ? parseIntOr(parts[1], -1) : -1;
    if (status != 101) {
      // let a little of the body arrive with it for the message; no body parsing on purpose
      String body = soFar.substring(end + 4);
      handshakeFailed = true;
      handshake.tryFail(new UpgradeFailed(status, statusLine, responseHeaders, body));
      socket.close();
      return false;
    }
    String accept = responseHeaders.get("Sec-WebSocket-Accept");
    if (!expectedAccept.equals(accept)) {
      handshakeFailed = true;
      handshake.tryFail(new AssertionError("bad Sec-WebSocket-Accept: " + accept + ", expected " + expectedAccept));
      socket.close();
      return false;
    }
    handshakeDone = true;
    pending = pending.getBuffer(end + 4, pending.length());
    handshake.tryComplete(this);
    return true;
  }

  private void parseFrames() {
    int pos = 0;
    int len = pending.length();
    while (true) {
      if (len - pos < 2) {
        break;
      }
      int b0 = pending.getUnsignedByte(pos);
      int b1 = pending.getUnsignedByte(pos + 1);
      boolean fin = (b0 & 0x80) != 0;
      int opcode = b0 & 0x0F;
      boolean masked = (b1 & 0x80) != 0;
      long payloadLen = b1 & 0x7F;
      int header = 2;
      if (payloadLen == 126) {
        if (len - pos < 4) {
          break;
        }
        payloadLen = pending.getUnsignedShort(pos + 2);
        header = 4;
      } else if (payloadLen == 127) {
        if (len - pos < 10) {
          break;
        }
        payloadLen = pending.getLong(pos + 2);
        header = 10;
      }
      if (payloadLen < 0 || payloadLen > Integer.MAX_VALUE - 64) {
        protocolErrors.add("unsupported frame length " + payloadLen);
        socket.close();
        return;
      }
      int maskLen = masked ? 4 : 0;
      if (len - pos < header + maskLen + payloadLen) {
        break;
      }
      byte[] payload = pending.getBytes(pos + header + maskLen, pos + header + maskLen + (int) payloadLen);
      if (masked) {
        protocolErrors.add("server sent a masked frame (opcode " + opcode + ")");
        byte[] mask = pending.getBytes(pos + header, pos + header + 4);
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= mask[i & 3];
        }
      }
      pos += header + maskLen + (int) payloadLen;
      onFrame(opcode, fin, payload);
    }
    pending = pos == len ? Buffer.buffer() : pending.getBuffer(pos, len);
  }

  private void onFrame(int opcode, boolean fin, byte[] payload) {
    frameCount.incrementAndGet();
    switch (opcode) {
      case OP_PING -> {
        pingCount.incrementAndGet();
        pings.add(payload);
        if (autoPong && !closeSent) {
          socket.write(encodeFrame(OP_PONG, payload, true));
        }
      }
      case OP_PONG -> pongCount.incrementAndGet();
      case OP_CLOSE -> {
        Short code = null;
        String reason = "";
        if (payload.length >= 2) {
          code = (short) (((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF));
          reason = new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        } else {
          code = (short) 1005;
        }
        closeInfo.complete(new CloseInfo(code, reason));
        if (!closeSent) {
          closeSent = true;
          byte[] echo = payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0];
          socket.write(encodeFrame(OP_CLOSE, echo, true));
        }
      }
      case OP_TEXT, OP_BINARY -> {
        if (fragmentOpcode != -1) {
          protocolErrors.add("new data frame (opcode " + opcode + ") inside a fragmented message");
        }
        if (fin) {
          fragmentOpcode = -1;
          fragments = null;
          deliver(opcode, payload);
        } else {
          fragmentOpcode = opcode;
          fragments = new ByteArrayOutputStream();
          fragments.writeBytes(payload);
        }
      }
      case OP_CONTINUATION -> {
        if (fragmentOpcode == -1) {
          protocolErrors.add("continuation frame without a message start");
          return;
        }
        fragments.writeBytes(payload);
        if (fin) {
          int op = fragmentOpcode;
          byte[] all = fragments.toByteArray();
          fragmentOpcode = -1;
          fragments = null;
          deliver(op, all);
        }
      }
      default -> protocolErrors.add("unknown opcode " + opcode);
    }
  }

  private void deliver(int opcode, byte[] payload) {
    if (opcode == OP_TEXT) {
      texts.add(WsClient.parse(new String(payload, StandardCharsets.UTF_8)));
    } else {
      binaries.add(payload);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Encodes one client frame (masked with a random key). */
  static Buffer encodeFrame(int opcode, byte[] payload, boolean fin) {
    Buffer b = Buffer.buffer(payload.length + 14);
    b.appendByte((byte) ((fin ? 0x80 : 0) | (opcode & 0x0F)));
    if (payload.length < 126) {
      b.appendByte((byte) (0x80 | payload.length));
    } else if (payload.length <= 0xFFFF) {
      b.appendByte((byte) (0x80 | 126));
      b.appendUnsignedShort(payload.length);
    } else {
      b.appendByte((byte) (0x80 | 127));
      b.appendLong(payload.length);
    }
    byte[] mask = new byte[4];
    RANDOM.nextBytes(mask);
    b.appendBytes(mask);
    byte[] masked = new byte[payload.length];
    for (int i = 0; i < payload.length; i++) {
      masked[i] = (byte) (payload[i] ^ mask[i & 3]);
    }
    b.appendBytes(masked);
    return b;
  }

  static byte[] closePayload(int code, String reason) {
    byte[] r = reason == null ? new byte[0] : reason.getBytes(StandardCharsets.UTF_8);
    byte[] p = new byte[2 + r.length];
    p[0] = (byte) (code >> 8);
    p[1] = (byte) code;
    System.arraycopy(r, 0, p, 2, r.length);
    return p;
  }

  static String acceptFor(String key) {
    try {
      byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int parseIntOr(String s, int dflt) {
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  private <T> T take(LinkedBlockingQueue<T> queue, Duration timeout, String what) {
    try {
      T item = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (item == null) {
        CloseInfo info = closeInfo.getNow(null);
        throw new AssertionError("no " + what + " within " + timeout.toMillis() + " ms"
          + (info == null ? "" : " (connection closed: " + info + ")"));
      }
      return item;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Failure of {@link #connect}: the server answered the upgrade with another status than 101. */
  public static final class UpgradeFailed extends AssertionError {
    private final int status;
    private final transient MultiMap headers;
    private final String body;

    UpgradeFailed(int status, String statusLine, MultiMap headers, String body) {
      super("upgrade refused: " + statusLine + (body.isEmpty() ? "" : " body: " + body));
      this.status = status;
      this.headers = headers;
      this.body = body;
    }

    /** HTTP status of the refusal. */
    public int status() {
      return status;
    }

    public MultiMap headers() {
      return headers;
    }

    public String body() {
      return body;
    }
  }
}
