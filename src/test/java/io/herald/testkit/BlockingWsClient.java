package io.herald.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A blocking WebSocket client on a plain {@link Socket}, on the caller's thread (no event loop), that can bind a chosen
 * local address (127.0.0.x) as its source: for per-address limits, and for decompression-bomb tests, where what the
 * node allocates must be told apart from what the client does. It offers permessage-deflate and can send frames it
 * compressed itself (RSV1 set, raw deflate, the trailing {@code 00 00 ff ff} stripped, as RFC 7692 asks), so that a
 * frame a few kilobytes long on the wire inflates to megabytes.
 *
 * <p>Server messages (text or binary) are inflated when compressed; pings and pongs are skipped.
 */
public final class BlockingWsClient implements AutoCloseable {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int OP_TEXT = 0x1;
  private static final int OP_BINARY = 0x2;
  private static final int OP_CLOSE = 0x8;

  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final String extensions;
  private final Inflater inflater = new Inflater(true);
  /** Whether the last message {@link #nextMessage} returned came compressed (RSV1 set). */
  private boolean lastCompressed;

  private BlockingWsClient(Socket socket, String extensions) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new DataInputStream(socket.getInputStream());
    this.extensions = extensions;
  }

  /**
   * Connects from {@code localAddress} (null: any) to 127.0.0.1:port, upgrades {@code pathAndQuery} offering
   * {@code permessage-deflate}, and returns once the 101 is read.
   *
   * @throws AssertionError when the upgrade is not answered 101 within 5 s
   */
  public static BlockingWsClient connect(int port, String pathAndQuery, String localAddress) {
    return connect(port, pathAndQuery, localAddress, Map.of());
  }

  /** As {@link #connect(int, String, String)}, with extra request headers (e.g. {@code X-Forwarded-For}). */
  public static BlockingWsClient connect(int port, String pathAndQuery, String localAddress, Map<String, String> headers) {
    return connect(port, pathAndQuery, localAddress, headers, true);
  }

  /** As {@link #connect(int, String, String)}, offering no extension: the server's frames come uncompressed. */
  public static BlockingWsClient connectWithoutExtensions(int port, String pathAndQuery) {
    return connect(port, pathAndQuery, null, Map.of(), false);
  }

  private static BlockingWsClient connect(int port, String pathAndQuery, String localAddress,
      Map<String, String> headers, boolean offerDeflate) {
    Socket socket = new Socket();
    try {
      String head = upgrade(socket, port, pathAndQuery, localAddress, headers, offerDeflate);
      if (!head.startsWith("HTTP/1.1 101")) {
        throw new AssertionError("upgrade of " + pathAndQuery + " refused: " + head);
      }
      String negotiated = null;
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-extensions:")) {
          negotiated = line.substring(line.indexOf(':') + 1).trim();
        }
      }
      return new BlockingWsClient(socket, negotiated);
    } catch (IOException e) {
      closeQuietly(socket);
      throw new AssertionError("upgrade of " + pathAndQuery + " failed: " + e, e);
    }
  }

  /** Sends the upgrade from {@code localAddress} (null: any) and returns the HTTP status of the answer; closes. */
  public static int upgradeStatus(int port, String pathAndQuery, String localAddress) {
    return upgradeStatus(port, pathAndQuery, localAddress, Map.of());
  }

  /** As {@link #upgradeStatus(int, String, String)}, with extra request headers. */
  public static int upgradeStatus(int port, String pathAndQuery, String localAddress, Map<String, String> headers) {
    try (Socket socket = new Socket()) {
      String head = upgrade(socket, port, pathAndQuery, localAddress, headers, true);
      return Integer.parseInt(head.substring("HTTP/1.1 ".length(), "HTTP/1.1 ".length() + 3));
    } catch (IOException e) {
      throw new AssertionError("upgrade of " + pathAndQuery + " failed: " + e, e);
    }
  }

  /** Connects, sends the upgrade request and returns the response head. */
  private static String upgrade(Socket socket, int port, String pathAndQuery, String localAddress,
                                Map<String, String> headers, boolean offerDeflate) throws IOException {
    if (localAddress != null) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
    }
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(5000);
    socket.setTcpNoDelay(true);
    byte[] key = new byte[16];
    RANDOM.nextBytes(key);
    String request = "GET " + pathAndQuery + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1:" + port + "\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + (offerDeflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "");
    StringBuilder extra = new StringBuilder();
    headers.forEach((name, value) -> extra.append(name).append(": ").append(value).append("\r\n"));
    request = request + extra + "\r\n";
    socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    return readHead(socket.getInputStream());
  }

  /** Whether the last message {@link #nextMessage} returned came compressed (RSV1 set on its frame). */
  public boolean lastMessageWasCompressed() {
    return lastCompressed;
  }

  /** The {@code Sec-WebSocket-Extensions} of the 101, or null when the server negotiated none. */
  public String extensions() {
    return extensions;
  }

  /**
   * A raw deflate stream (no zlib header), ended by a sync flush whose {@code 00 00 ff ff} is stripped, of
   * {@code inflatedBytes} spaces: about a thousand times smaller than what it inflates to.
   */
  public static byte[] deflatedSpaces(int inflatedBytes) {
    return deflated(new byte[0], inflatedBytes);
  }

  /**
   * {@code prefix} followed by {@code spaces} spaces, deflated as {@link #deflatedSpaces} does (each call a fresh
   * deflate stream, so the result is valid with or without context takeover).
   */
  public static byte[] deflated(byte[] prefix, int spaces) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    try {
      ByteArrayOutputStream compressed = new ByteArrayOutputStream();
      byte[] buffer = new byte[64 * 1024];
      deflater.setInput(prefix);
      while (!deflater.needsInput()) {
        compressed.write(buffer, 0, deflater.deflate(buffer, 0, buffer.length, Deflater.NO_FLUSH));
      }
      byte[] chunk = new byte[64 * 1024];
      Arrays.fill(chunk, (byte) ' ');
      int left = spaces;
      while (left > 0) {
        int n = Math.min(left, chunk.length);
        deflater.setInput(chunk, 0, n);
        left -= n;
        while (!deflater.needsInput()) {
          compressed.write(buffer, 0, deflater.deflate(buffer, 0, buffer.length, Deflater.NO_FLUSH));
        }
      }
      int written;
      do {
        written = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
        compressed.write(buffer, 0, written);
      } while (written == buffer.length);
      byte[] all = compressed.toByteArray();
      return Arrays.copyOf(all, all.length - 4);
    } finally {
      deflater.end();
    }
  }

  /** Sends one masked, uncompressed text frame; false when the connection is already closed or reset by the server. */
  public boolean sendText(String text) {
    return write(encode(OP_TEXT, text.getBytes(StandardCharsets.UTF_8), false));
  }

  /**
   * Sends one masked text frame carrying {@code compressed} with RSV1 set (a whole compressed message); false when
   * the connection is already closed or reset by the server.
   */
  public boolean sendCompressedText(byte[] compressed) {
    return write(encode(OP_TEXT, compressed, true));
  }

  private boolean write(byte[] frame) {
    try {
      out.write(frame);
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The next message of the server, text or binary, as UTF-8 text (inflated when compressed: the server keeps its
   * deflate context across messages, so one inflater serves the connection), skipping pings and pongs.
   *
   * @throws AssertionError on a close frame, the end of the connection, or nothing within {@code timeout}
   */
  public String nextMessage(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        int b0 = in.readUnsignedByte();
        byte[] payload = readPayload();
        int opcode = b0 & 0x0F;
        if (opcode == OP_CLOSE) {
          throw new AssertionError("closed by the server while a message was awaited: " + closeCode(payload));
        }
        if (opcode != OP_TEXT && opcode != OP_BINARY) {
          continue;
        }
        lastCompressed = (b0 & 0x40) != 0;
        if (!lastCompressed) {
          return new String(payload, StandardCharsets.UTF_8);
        }
        inflater.setInput(payload);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        inflateAll(buffer, text);
        inflater.setInput(new byte[] {0, 0, (byte) 0xff, (byte) 0xff});
        inflateAll(buffer, text);
        return text.toString(StandardCharsets.UTF_8);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no message within " + timeout.toMillis() + " ms");
    } catch (IOException | DataFormatException e) {
      throw new AssertionError("connection failed while a message was awaited: " + e, e);
    }
  }

  private void inflateAll(byte[] buffer, ByteArrayOutputStream to) throws DataFormatException {
    int n;
    while ((n = inflater.inflate(buffer)) > 0) {
      to.write(buffer, 0, n);
    }
  }

  private byte[] readPayload() throws IOException {
    int b1 = in.readUnsignedByte();
    long length = b1 & 0x7F;
    if (length == 126) {
      length = in.readUnsignedShort();
    } else if (length == 127) {
      length = in.readLong();
    }
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    return payload;
  }

  private static int closeCode(byte[] payload) {
    return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
  }

  /**
   * Reads until the server's close frame and returns its code (1005 for a close frame without one), or 1006 when TCP
   * ends (EOF or reset) without one.
   *
   * @throws AssertionError when nothing ends the connection within {@code timeout}
   */
  public int awaitCloseCode(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        int remainingMs = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        socket.setSoTimeout(remainingMs);
        int b0 = in.readUnsignedByte();
        byte[] payload = readPayload();
        if ((b0 & 0x0F) == OP_CLOSE) {
          return closeCode(payload);
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("connection not closed within " + timeout.toMillis() + " ms");
    } catch (IOException e) {
      // EOF or reset without a close frame
      return 1006;
    }
  }

  @Override
  public void close() {
    inflater.end();
    closeQuietly(socket);
  }

  private static byte[] encode(int opcode, byte[] payload, boolean rsv1) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write(0x80 | (rsv1 ? 0x40 : 0) | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length <= 0xFFFF) {
      frame.write(0x80 | 126);
      frame.write(payload.length >> 8);
      frame.write(payload.length);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) ((long) payload.length >> shift));
      }
    }
    byte[] mask = new byte[4];
    RANDOM.nextBytes(mask);
    frame.write(mask, 0, 4);
    byte[] masked = new byte[payload.length];
    for (int i = 0; i < payload.length; i++) {
      masked[i] = (byte) (payload[i] ^ mask[i & 3]);
    }
    frame.write(masked, 0, masked.length);
    return frame.toByteArray();
  }

  /** The response head up to the blank line, byte by byte so that nothing after it is consumed. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the upgrade: " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do: the socket is gone either way
    }
  }
}
