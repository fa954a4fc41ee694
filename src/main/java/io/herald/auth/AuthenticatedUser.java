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
 * @param jti       the JWT's {@code jti} claim, by which it can be revoked; null for a Knox token or a JWT without one
 */
public record AuthenticatedUser(String userId, String tenant, List<String> topics, Instant expiresAt, String method,
                                String jti) {

  public AuthenticatedUser {
    topics = List.copyOf(topics);
  }

  /** A user proven by a token that has no {@code jti} (a Knox token, a JWT without one). */
  public AuthenticatedUser(String userId, String tenant, List<String> topics, Instant expiresAt, String method) {
    this(userId, tenant, topics, expiresAt, method, null);
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
