package io.herald.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Ids}: what may name a user, a topic and a tenant, and so end up in an event-bus address. */
class IdsTest {

  @Test
  void userIdsAndTopicsTakeLettersDigitsAndFivePunctuationMarks() {
    for (String id : new String[] {"u", "User_42", "alice@example.com", "prices.eth:usd", "a-b", "9"}) {
      assertTrue(Ids.isValidUserId(id), id);
      assertTrue(Ids.isValidTopic(id), id);
    }
    assertTrue(Ids.isValidUserId("x".repeat(Ids.MAX_ID_LENGTH)));
  }

  @Test
  void userIdsAndTopicsRefuseEmptyTooLongAndEveryOtherCharacter() {
    assertFalse(Ids.isValidUserId(null));
    assertFalse(Ids.isValidUserId(""));
    assertFalse(Ids.isValidUserId("x".repeat(Ids.MAX_ID_LENGTH + 1)));
    for (String id : new String[] {"a b", "a*", "a>", "a/b", "é", "a\nb", "a\u0000", "a,b", "a#", "a+b", "\ud800"}) {
      assertFalse(Ids.isValidUserId(id), id);
      assertFalse(Ids.isValidTopic(id), id);
    }
  }

  @Test
  void tenantsTakeNoDotNorTheOtherIdPunctuation() {
    assertTrue(Ids.isValidTenant("acme_EU-1"));
    assertTrue(Ids.isValidTenant("t".repeat(Ids.MAX_TENANT_LENGTH)));
    assertFalse(Ids.isValidTenant("t".repeat(Ids.MAX_TENANT_LENGTH + 1)));
    assertFalse(Ids.isValidTenant(null));
    assertFalse(Ids.isValidTenant(""));
    for (String tenant : new String[] {"a.b", "a:b", "a@b", "a b", "é"}) {
      assertFalse(Ids.isValidTenant(tenant), tenant);
    }
  }
}
