package io.herald.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class FiltersTest {

  private static Notification notification(Priority priority, String alertId, String chain) {
    JsonObject details = chain == null ? new JsonObject() : new JsonObject().put("chain", chain);
    return Notification.builder().id("n1").target(new Target.Broadcast(Ids.DEFAULT_TENANT))
        .priority(priority).alertId(alertId).details(details).message("m").build();
  }

  @Test
  void noFiltersAcceptEverything() {
    assertTrue(Filters.NONE.accepts(notification(Priority.LOW, null, null)));
    assertTrue(Filters.fromJson(null).accepts(notification(Priority.CRITICAL, "a", "x")));
    assertTrue(Filters.fromJson(new JsonObject("{\"priorities\":[],\"alert_ids\":null}")).accepts(notification(Priority.LOW, null, null)));
  }

  @Test
  void priorityFilter() {
    Filters f = Filters.fromJson(new JsonObject("{\"priorities\":[\"High\",\"critical\"]}"));
    assertTrue(f.accepts(notification(Priority.HIGH, null, null)));
    assertTrue(f.accepts(notification(Priority.CRITICAL, null, null)));
    assertFalse(f.accepts(notification(Priority.MEDIUM, null, null)));
    assertFalse(f.accepts(notification(Priority.LOW, null, null)));
  }

  @Test
  void alertIdFilterRejectsNotificationsWithoutAlertId() {
    Filters f = Filters.fromJson(new JsonObject("{\"alert_ids\":[\"alert_123\"]}"));
    assertTrue(f.accepts(notification(Priority.LOW, "alert_123", null)));
    assertFalse(f.accepts(notification(Priority.LOW, "alert_999", null)));
    assertFalse(f.accepts(notification(Priority.LOW, null, null)));
  }

  @Test
  void chainFilterMatchesDetailsChainIgnoringCase() {
    Filters f = Filters.fromJson(new JsonObject("{\"chains\":[\"Ethereum\"]}"));
    assertTrue(f.accepts(notification(Priority.LOW, null, "ethereum")));
    assertFalse(f.accepts(notification(Priority.LOW, null, "avalanche")));
    assertFalse(f.accepts(notification(Priority.LOW, null, null)));
  }

  @Test
  void allFieldsMustPass() {
    Filters f = Filters.fromJson(new JsonObject("{\"priorities\":[\"High\"],\"alert_ids\":[\"a\"],\"chains\":[\"ethereum\"]}"));
    assertTrue(f.accepts(notification(Priority.HIGH, "a", "ethereum")));
    assertFalse(f.accepts(notification(Priority.LOW, "a", "ethereum")));
    assertFalse(f.accepts(notification(Priority.HIGH, "b", "ethereum")));
    assertFalse(f.accepts(notification(Priority.HIGH, "a", "polygon")));
  }

  @Test
  void malformedFiltersAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Filters.fromJson(new JsonObject("{\"priorities\":\"High\"}")));
    assertThrows(IllegalArgumentException.class, () -> Filters.fromJson(new JsonObject("{\"priorities\":[\"Urgent\"]}")));
    assertThrows(IllegalArgumentException.class, () -> Filters.fromJson(new JsonObject("{\"chains\":[1]}")));
    assertThrows(IllegalArgumentException.class, () -> Filters.fromJson(new JsonObject("{\"alert_ids\":[\"\"]}")));
  }

  @Test
  void toJsonRoundTrips() {
    Filters f = Filters.fromJson(new JsonObject("{\"priorities\":[\"Critical\",\"High\"],\"alert_ids\":[\"b\",\"a\"],\"chains\":[\"ETH\"]}"));
    assertEquals(new JsonObject("{\"priorities\":[\"High\",\"Critical\"],\"alert_ids\":[\"a\",\"b\"],\"chains\":[\"eth\"]}"), f.toJson());
    assertEquals(f, Filters.fromJson(f.toJson()));
  }
}
