package io.herald.model;

/**
 * Validation of the identifiers that end up in event-bus addresses.
 *
 * <p>Addresses are {@code herald.user.<tenant>.<userId>}, {@code herald.topic.<tenant>.<topic>} and
 * {@code herald.broadcast.<tenant>}. A tenant cannot contain a dot, so the tenant part of an address is
 * always unambiguous and no user id or topic name can forge another tenant's address. User ids and
 * topics may contain dots (e-mail-like ids, dotted topic names), never whitespace, wildcards or
 * control characters.
 */
public final class Ids {

  /** The tenant of users and messages that name none. */
  public static final String DEFAULT_TENANT = "default";

  /** Longest accepted user id or topic, in characters. */
  public static final int MAX_ID_LENGTH = 128;

  /** Longest accepted tenant id, in characters. */
  public static final int MAX_TENANT_LENGTH = 64;

  private Ids() {
  }

  /** 1 to {@link #MAX_ID_LENGTH} of {@code A-Z a-z 0-9 _ . : @ -}. */
  public static boolean isValidUserId(String id) {
    return isValid(id, MAX_ID_LENGTH, true);
  }

  /** As a user id. */
  public static boolean isValidTopic(String topic) {
    return isValid(topic, MAX_ID_LENGTH, true);
  }

  /** 1 to {@link #MAX_TENANT_LENGTH} of {@code A-Z a-z 0-9 _ -}: no dot, which separates it in an address. */
  public static boolean isValidTenant(String tenant) {
    return isValid(tenant, MAX_TENANT_LENGTH, false);
  }

  /** A character loop rather than a regular expression: run for every notification, it allocates nothing. */
  private static boolean isValid(String value, int maxLength, boolean idPunctuation) {
    if (value == null || value.isEmpty() || value.length() > maxLength) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
          || c == '-' || (idPunctuation && (c == '.' || c == ':' || c == '@'));
      if (!allowed) {
        return false;
      }
    }
    return true;
  }

  /** The tenant to use for an optional tenant value: the default tenant when null or empty. */
  public static String tenantOrDefault(String tenant) {
    return tenant == null || tenant.isEmpty() ? DEFAULT_TENANT : tenant;
  }
}
