package io.herald.session;

import io.herald.auth.AuthenticatedUser;
import io.herald.config.HeraldOptions;

/**
 * Which topics a user may join, the same on {@code /ws} and on the event-bus bridge: the node's
 * {@code default_topics} and {@code public_topics}, and the topics its token grants (exact or {@code prefix*}).
 */
public final class TopicPolicy {

  private TopicPolicy() {
  }

  /** Whether {@code user} may join {@code topic}; the caller has checked the name with {@code Ids.isValidTopic}. */
  public static boolean allows(HeraldOptions options, AuthenticatedUser user, String topic) {
    return options.access().getDefaultTopics().contains(topic) || options.access().getPublicTopics().contains(topic) || user.grants(topic);
  }
}
