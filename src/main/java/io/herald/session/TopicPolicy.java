package io.herald.session;

import io.herald.auth.AuthenticatedUser;
import io.herald.config.AccessOptions;

/**
 * Which topics a user may join, the same on {@code /ws} and on the event-bus bridge: the node's
 * {@code default_topics} and {@code public_topics}, and the topics its token grants (exact or {@code prefix*}).
 */
public final class TopicPolicy {

  private TopicPolicy() {
  }

  /** Whether {@code user} may join {@code topic}; the caller has checked the name with {@code Ids.isValidTopic}. */
  public static boolean allows(AccessOptions access, AuthenticatedUser user, String topic) {
    return access.getDefaultTopics().contains(topic) || access.getPublicTopics().contains(topic) || user.grants(topic);
  }
}
