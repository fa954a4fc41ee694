package io.herald.model;

import java.util.regex.Pattern;

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

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.:@-]{1," + MAX_ID_LENGTH + "}");
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_TENANT_LENGTH + "}");

  private Ids() {
  }

  public static boolean isValidUserId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  public static boolean isValidTopic(String topic) {
    return topic != null && ID.matcher(topic).matches();
  }

  public static boolean isValidTenant(String tenant) {
    return tenant != null && TENANT.matcher(tenant).matches();
  }

  /** The tenant to use for an optional tenant value: the default tenant when null or empty. */
  public static String tenantOrDefault(String tenant) {
    return tenant == null || tenant.isEmpty() ? DEFAULT_TENANT : tenant;
  }
}
