package io.herald.config;

import java.util.List;

/**
 * Who may reach the node and which topics need no grant: the WebSocket origins allowed, the proxies whose
 * {@code X-Forwarded-For} is believed, the topics every connection gets and the topics anyone may subscribe to. Each
 * setter copies its list (unmodifiable) and refuses an invalid entry with a {@link ConfigException} naming the key;
 * {@link #toString()} shows the keys as JSON.
 */
public final class AccessOptions {

  /** Default allowed WebSocket origins = empty list (any origin). */
  public static final List<String> DEFAULT_ALLOWED_ORIGINS = List.of();
  /** Default proxies whose {@code X-Forwarded-For} is trusted = empty list (the TCP peer is the client). */
  public static final List<String> DEFAULT_TRUSTED_PROXIES = List.of();
  /** Default topics every authenticated connection is subscribed to = empty list. */
  public static final List<String> DEFAULT_DEFAULT_TOPICS = List.of();
  /** Default topics that may be subscribed without authorization = empty list. */
  public static final List<String> DEFAULT_PUBLIC_TOPICS = List.of();

  /** Default sustained topic changes (topics joined or left) per connection, per second = {@value}. */
  public static final int DEFAULT_TOPIC_CHANGES_PER_SEC = 20;
  /** Default burst of topic changes per connection = {@value} (one whole topic set of a connection). */
  public static final int DEFAULT_TOPIC_CHANGES_BURST = 256;

  private List<String> allowedOrigins;
  private List<String> trustedProxies;
  private List<String> defaultTopics;
  private List<String> publicTopics;
  private int topicChangesPerSec;
  private int topicChangesBurst;

  /**
   * Creates the section with every default.
   */
  public AccessOptions() {
    allowedOrigins = DEFAULT_ALLOWED_ORIGINS;
    trustedProxies = DEFAULT_TRUSTED_PROXIES;
    defaultTopics = DEFAULT_DEFAULT_TOPICS;
    publicTopics = DEFAULT_PUBLIC_TOPICS;
    topicChangesPerSec = DEFAULT_TOPIC_CHANGES_PER_SEC;
    topicChangesBurst = DEFAULT_TOPIC_CHANGES_BURST;
  }

  /**
   * Copy constructor: the copy is independent of {@code other} (its lists and maps are immutable).
   *
   * @param other the section to copy
   */
  public AccessOptions(AccessOptions other) {
    allowedOrigins = other.allowedOrigins;
    trustedProxies = other.trustedProxies;
    defaultTopics = other.defaultTopics;
    publicTopics = other.publicTopics;
    topicChangesPerSec = other.topicChangesPerSec;
    topicChangesBurst = other.topicChangesBurst;
  }

  /**
   * @return the allowed WebSocket origins ({@code allowed_origins}), unmodifiable; empty means any origin
   */
  public List<String> getAllowedOrigins() {
    return allowedOrigins;
  }

  /**
   * Sets the origins allowed to open WebSockets: each {@code "*"} or {@code scheme://host[:port]} without path.
   * Key {@code allowed_origins}, env {@code ALLOWED_ORIGINS} (or {@code CORS_ORIGIN} when that is absent) as a
   * comma list. Default empty (any origin).
   *
   * @param allowedOrigins the origins (copied), null meaning empty
   * @return this
   */
  public AccessOptions setAllowedOrigins(List<String> allowedOrigins) {
    this.allowedOrigins = Checks.origins("allowed_origins", allowedOrigins);
    return this;
  }

  /**
   * @return the proxies whose {@code X-Forwarded-For} is trusted ({@code trusted_proxies}), unmodifiable
   */
  public List<String> getTrustedProxies() {
    return trustedProxies;
  }

  /**
   * Sets the proxies (IP addresses or CIDR ranges) whose {@code X-Forwarded-For} names the client: when the TCP peer
   * is one of them, the client address is the rightmost address of that header that is not itself a trusted proxy.
   * From any other peer the header is never believed (anyone can send it). Used for the per-address limit and the
   * session's recorded address. Key {@code trusted_proxies}, env {@code TRUSTED_PROXIES} as a comma list. Default
   * empty.
   *
   * @param trustedProxies the addresses or ranges (copied), null meaning empty
   * @return this
   */
  public AccessOptions setTrustedProxies(List<String> trustedProxies) {
    this.trustedProxies = Checks.ipRanges("trusted_proxies", trustedProxies);
    return this;
  }

  /**
   * @return the topics every authenticated connection is subscribed to ({@code default_topics}), unmodifiable
   */
  public List<String> getDefaultTopics() {
    return defaultTopics;
  }

  /**
   * Sets the topics every authenticated connection is subscribed to; each matches
   * {@code [A-Za-z0-9_.:@-]{1,128}}. Key {@code default_topics}, env {@code DEFAULT_TOPICS} as a comma list.
   * Default empty.
   *
   * @param defaultTopics the topics (copied), null meaning empty
   * @return this
   */
  public AccessOptions setDefaultTopics(List<String> defaultTopics) {
    this.defaultTopics = Checks.topics("default_topics", defaultTopics);
    return this;
  }

  /**
   * @return the topics anyone may subscribe to ({@code public_topics}), unmodifiable
   */
  public List<String> getPublicTopics() {
    return publicTopics;
  }

  /**
   * Sets the topics any connection may subscribe to without per-topic authorization; each matches
   * {@code [A-Za-z0-9_.:@-]{1,128}}. Key {@code public_topics}, env {@code PUBLIC_TOPICS} as a comma list.
   * Default empty.
   *
   * @param publicTopics the topics (copied), null meaning empty
   * @return this
   */
  public AccessOptions setPublicTopics(List<String> publicTopics) {
    this.publicTopics = Checks.topics("public_topics", publicTopics);
    return this;
  }

  /**
   * @return the sustained topic changes per connection per second ({@code topic_changes_per_sec})
   */
  public int getTopicChangesPerSec() {
    return topicChangesPerSec;
  }

  /**
   * Sets how many topic changes (a topic joined or left: each may register or unregister a cluster-wide consumer)
   * one connection may make per second, sustained: a {@code /ws} Subscribe or Unsubscribe costs one per topic it
   * adds or removes, a bridge REGISTER or UNREGISTER of a topic address costs one. A request over the budget is
   * refused whole with {@code Error rate_limited} (bridge: {@code err}); more than {@code rate_limit_burst} such
   * refusals in a row close the connection with 4029. Key {@code topic_changes_per_sec}, env
   * {@code TOPIC_CHANGES_PER_SEC}; &gt;= 1. Default {@value #DEFAULT_TOPIC_CHANGES_PER_SEC}.
   *
   * @param topicChangesPerSec the rate, in topic changes per second
   * @return this
   */
  public AccessOptions setTopicChangesPerSec(int topicChangesPerSec) {
    this.topicChangesPerSec = Checks.min("topic_changes_per_sec", topicChangesPerSec, 1);
    return this;
  }

  /**
   * @return the burst of topic changes per connection ({@code topic_changes_burst})
   */
  public int getTopicChangesBurst() {
    return topicChangesBurst;
  }

  /**
   * Sets how many topic changes one connection may make at once above the sustained rate; a request changing more
   * topics than this is always refused, so keep it at least the largest topic set a client changes in one request
   * (at most 256). Key {@code topic_changes_burst}, env {@code TOPIC_CHANGES_BURST}; &gt;= 1. Default
   * {@value #DEFAULT_TOPIC_CHANGES_BURST}.
   *
   * @param topicChangesBurst the burst, in topic changes
   * @return this
   */
  public AccessOptions setTopicChangesBurst(int topicChangesBurst) {
    this.topicChangesBurst = Checks.min("topic_changes_burst", topicChangesBurst, 1);
    return this;
  }

  /**
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
