package io.herald.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.model.Filters;
import io.herald.model.Ids;
import io.herald.protocol.ProtocolLimits;
import io.herald.session.ClientRequests;
import io.herald.session.ResumePosition;
import io.herald.session.StreamPositions;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

/**
 * Reads every argument of a client request the way both transports do ({@link ClientRequests},
 * {@link ResumePosition}, {@link StreamPositions}) and checks what is accepted: only {@link IllegalArgumentException} (or a null position)
 * refuses, and what passes stays within {@link ProtocolLimits} and the documented sizes.
 */
public final class ClientRequestChecks {

  private ClientRequestChecks() {
  }

  public static void assertArgumentsBounded(JsonObject request) {
    try {
      List<String> topics = ClientRequests.topics(request);
      assertTrue(topics.size() <= ProtocolLimits.MAX_TOPICS_PER_CONNECTION, "topics");
    } catch (IllegalArgumentException refused) {
      assertShortReason(refused);
    }
    try {
      Filters filters = ClientRequests.filters(request, Filters.NONE);
      for (Set<?> field : List.of(filters.priorities(), filters.alertIds(), filters.chains())) {
        assertTrue(field.size() <= Filters.MAX_VALUES_PER_FIELD, "filter values");
      }
      for (String value : filters.alertIds()) {
        assertTrue(!value.isEmpty() && value.length() <= Ids.MAX_ID_LENGTH, "alert id filter");
      }
      for (String value : filters.chains()) {
        assertTrue(value.length() <= Ids.MAX_ID_LENGTH * 2, "chain filter");
      }
    } catch (IllegalArgumentException refused) {
      assertShortReason(refused);
    }
    try {
      int limit = ClientRequests.unreadLimit(request);
      assertTrue(limit >= 1 && limit <= ProtocolLimits.MAX_UNREAD_LIMIT, "unread limit " + limit);
    } catch (IllegalArgumentException refused) {
      assertShortReason(refused);
    }
    try {
      String id = ClientRequests.notificationId(request);
      assertTrue(!id.isEmpty() && id.length() <= Ids.MAX_ID_LENGTH, "notification id");
    } catch (IllegalArgumentException refused) {
      assertShortReason(refused);
    }
    assertStreamsBounded(request);
    ResumePosition position = ResumePosition.fromMessage(request);
    if (position != null) {
      assertTrue(position.lastOffset() >= 0, "offset");
      assertTrue(position.epoch().length() <= ResumePosition.MAX_EPOCH_LENGTH, "epoch");
      Object offset = request.getValue("last_offset");
      assertEquals(0, new BigDecimal(offset.toString()).compareTo(BigDecimal.valueOf(position.lastOffset())),
          () -> "last_offset " + offset + " read as " + position.lastOffset());
    }
  }

  /**
   * The per-stream positions of a resume ({@link StreamPositions}): refused only with a short
   * {@link IllegalArgumentException}; what passes names at most {@link StreamPositions#MAX_STREAMS} streams, each
   * the broadcast's or a topic's, at a bounded position or none ({@code {}}).
   */
  private static void assertStreamsBounded(JsonObject request) {
    StreamPositions positions;
    try {
      positions = StreamPositions.fromMessage(request);
    } catch (IllegalArgumentException refused) {
      assertShortReason(refused);
      return;
    }
    assertTrue(positions.others().size() + (positions.user() == null ? 0 : 1) <= StreamPositions.MAX_STREAMS, "streams");
    positions.others().forEach((name, position) -> {
      assertTrue(StreamPositions.BROADCAST.equals(name) || name.startsWith(StreamPositions.TOPIC_PREFIX), "name " + name);
      if (position != null) {
        assertTrue(position.lastOffset() >= 0 && position.epoch().length() <= ResumePosition.MAX_EPOCH_LENGTH,
            "stream position");
      }
    });
  }

  /** A refusal's reason goes back to the client: it never echoes more than a short piece of the input. */
  private static void assertShortReason(IllegalArgumentException refused) {
    assertTrue(refused.getMessage().length() <= 200, () -> "reason of " + refused.getMessage().length() + " characters");
  }
}
