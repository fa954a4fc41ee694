package io.herald.auth;

import java.time.Instant;
import java.util.List;

/**
 * Who a connection belongs to, as proven by its token.
 *
 * @param userId    the user, validated by {@link io.herald.model.Ids#isValidUserId}
 * @param tenant    the tenant, the default tenant when the token names none
 * @param topics    topic grants from the token ({@code topics} claim); an entry ending in {@code *} is a prefix
 * @param expiresAt when the token expires; null for a Knox token without expiry
 * @param method    {@code "jwt"} or {@code "knox"}
 */
public record AuthenticatedUser(String userId, String tenant, List<String> topics, Instant expiresAt, String method) {

  public AuthenticatedUser {
    topics = List.copyOf(topics);
  }

  /** Whether the token grants the topic explicitly (exact name or {@code prefix*}). */
  public boolean grants(String topic) {
    for (String grant : topics) {
      if (grant.endsWith("*") ? topic.startsWith(grant.substring(0, grant.length() - 1)) : grant.equals(topic)) {
        return true;
      }
    }
    return false;
  }
}
