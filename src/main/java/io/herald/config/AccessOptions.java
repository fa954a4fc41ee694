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

  private List<String> allowedOrigins;
  private List<String> trustedProxies;
  private List<String> defaultTopics;
  private List<String> publicTopics;

  /**
   * Creates the section with every default.
   */
  public AccessOptions() {
    allowedOrigins = DEFAULT_ALLOWED_ORIGINS;
    trustedProxies = DEFAULT_TRUSTED_PROXIES;
    defaultTopics = DEFAULT_DEFAULT_TOPICS;
    publicTopics = DEFAULT_PUBLIC_TOPICS;
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
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
