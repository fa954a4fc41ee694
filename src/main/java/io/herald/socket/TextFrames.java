package io.herald.socket;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Encodes a final, unmasked WebSocket text frame (RFC 6455 section 5.2: a server's frames are never masked), as
 * Netty's {@code WebSocket08FrameEncoder} would for a connection without extensions: FIN and opcode 1, the payload
 * length in 7 bits, or 16 or 64 bits after the markers 126 and 127, then the payload.
 */
final class TextFrames {

  private static final int FIN_TEXT = 0x81;

  private TextFrames() {
  }

  /** A direct buffer from {@code allocator} holding the whole frame; the caller owns its one reference. */
  static ByteBuf encode(ByteBufAllocator allocator, byte[] utf8) {
    int length = utf8.length;
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuf frame = allocator.directBuffer(header + length);
    frame.writeByte(FIN_TEXT);
    if (length < 126) {
      frame.writeByte(length);
    } else if (length <= 0xFFFF) {
      frame.writeByte(126).writeShort(length);
    } else {
      frame.writeByte(127).writeLong(length);
    }
    return frame.writeBytes(utf8);
  }
}
