package io.herald.socket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameEncoder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TextFramesTest {

  /** What Netty's own server-side encoder writes for the same final text frame. */
  private static byte[] nettyEncoding(byte[] payload) {
    EmbeddedChannel channel = new EmbeddedChannel(new WebSocket08FrameEncoder(false));
    channel.writeOutbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(payload)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuf part = channel.readOutbound(); part != null; part = channel.readOutbound()) {
      out.writeBytes(ByteBufUtil.getBytes(part));
      part.release();
    }
    channel.finishAndReleaseAll();
    return out.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 125, 126, 127, 1000, 65_535, 65_536, 300_000})
  void theFrameIsNettysEncodingAtEveryLengthBoundary(int length) {
    byte[] payload = new byte[length];
    Arrays.fill(payload, (byte) 'x');
    ByteBuf frame = TextFrames.encode(ByteBufAllocator.DEFAULT, payload);
    try {
      assertArrayEquals(nettyEncoding(payload), ByteBufUtil.getBytes(frame));
      assertEquals(1, frame.refCnt());
    } finally {
      frame.release();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"type\":\"Notification\"}", "é 漢字"})
  void aTextPayloadIsCarriedAsItsBytes(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    ByteBuf frame = TextFrames.encode(ByteBufAllocator.DEFAULT, payload);
    try {
      assertArrayEquals(nettyEncoding(payload), ByteBufUtil.getBytes(frame));
    } finally {
      frame.release();
    }
  }
}
