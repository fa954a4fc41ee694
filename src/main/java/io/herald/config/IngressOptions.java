package io.herald.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where notifications come in and how they are read: the NATS servers, subject and queue group, the Redis pub/sub
 * channel prefix (the Redis server itself is {@link StateOptions#getRedisUrl()}), and the block explorer links added to
 * transaction notifications. Each setter refuses an invalid value with a {@link ConfigException} naming the key;
 * {@link #toString()} shows the keys as JSON with the passwords of {@code nats_url} redacted.
 */
public final class IngressOptions {

  /** Default NATS subject notifications are consumed from = {@value}. */
  public static final String DEFAULT_NATS_SUBJECT = "notifications.websocket";
  /** Default NATS queue group = {@value}. */
  public static final String DEFAULT_NATS_QUEUE_GROUP = "herald-ingress";
  /** Default Redis pub/sub channel prefix = {@value}. */
  public static final String DEFAULT_REDIS_CHANNEL_PREFIX = "notifications";
  /** Default block explorer URL templates (chain &rarr; URL containing {@code {hash}}). */
  public static final Map<String, String> DEFAULT_EXPLORERS;

  static {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("ethereum", "https://etherscan.io/tx/{hash}");
    m.put("avalanche", "https://snowtrace.io/tx/{hash}");
    m.put("polygon", "https://polygonscan.com/tx/{hash}");
    m.put("arbitrum", "https://arbiscan.io/tx/{hash}");
    m.put("optimism", "https://optimistic.etherscan.io/tx/{hash}");
    m.put("base", "https://basescan.org/tx/{hash}");
    m.put("bsc", "https://bscscan.com/tx/{hash}");
    DEFAULT_EXPLORERS = Collections.unmodifiableMap(m);
  }

  private String natsUrl;
  private String natsSubject;
  private String natsQueueGroup;
  private String redisChannelPrefix;
  private Map<String, String> explorers;

  /**
   * Creates the section with every default.
   */
  public IngressOptions() {
    natsUrl = null;
    natsSubject = DEFAULT_NATS_SUBJECT;
    natsQueueGroup = DEFAULT_NATS_QUEUE_GROUP;
    redisChannelPrefix = DEFAULT_REDIS_CHANNEL_PREFIX;
    explorers = DEFAULT_EXPLORERS;
  }

  /**
   * Copy constructor: the copy is independent of {@code other} (its lists and maps are immutable).
   *
   * @param other the section to copy
   */
  public IngressOptions(IngressOptions other) {
    natsUrl = other.natsUrl;
    natsSubject = other.natsSubject;
    natsQueueGroup = other.natsQueueGroup;
    redisChannelPrefix = other.redisChannelPrefix;
    explorers = other.explorers;
  }

  /**
   * @return the NATS server URL(s) ({@code nats_url}), null when NATS is disabled
   */
  public String getNatsUrl() {
    return natsUrl;
  }

  /**
   * Sets the NATS server URL, or a comma-separated list of them, each starting with {@code nats://} or
   * {@code tls://}. Key {@code nats_url}, env {@code NATS_URL}. Default null (NATS disabled).
   *
   * @param natsUrl the URL(s), or null to disable NATS
   * @return this
   */
  public IngressOptions setNatsUrl(String natsUrl) {
    if (natsUrl != null) {
      for (String url : natsUrl.split(",", -1)) {
        if (!Checks.hasScheme(url.trim(), "nats://", "tls://")) {
          throw new ConfigException("nats_url", "must be a comma-separated list of nats:// or tls:// URLs (got '"
              + Redaction.urlPasswords(natsUrl) + "')");
        }
      }
    }
    this.natsUrl = natsUrl;
    return this;
  }

  /**
   * @return the NATS subject notifications are consumed from ({@code nats_subject})
   */
  public String getNatsSubject() {
    return natsSubject;
  }

  /**
   * Sets the NATS subject notifications are consumed from. Key {@code nats_subject}, env {@code NATS_SUBJECT};
   * non-empty, no spaces. Default {@value #DEFAULT_NATS_SUBJECT}.
   *
   * @param natsSubject the subject
   * @return this
   */
  public IngressOptions setNatsSubject(String natsSubject) {
    this.natsSubject = Checks.token("nats_subject", natsSubject);
    return this;
  }

  /**
   * @return the NATS queue group ({@code nats_queue_group})
   */
  public String getNatsQueueGroup() {
    return natsQueueGroup;
  }

  /**
   * Sets the NATS queue group shared by all Herald nodes, so each notification is ingested once. Key
   * {@code nats_queue_group}, env {@code NATS_QUEUE_GROUP}; non-empty, no spaces. Default
   * {@value #DEFAULT_NATS_QUEUE_GROUP}.
   *
   * @param natsQueueGroup the queue group
   * @return this
   */
  public IngressOptions setNatsQueueGroup(String natsQueueGroup) {
    this.natsQueueGroup = Checks.token("nats_queue_group", natsQueueGroup);
    return this;
  }

  /**
   * @return the Redis pub/sub channel prefix ({@code redis_channel_prefix})
   */
  public String getRedisChannelPrefix() {
    return redisChannelPrefix;
  }

  /**
   * Sets the prefix of the Redis pub/sub channels used to fan notifications out between nodes. Key
   * {@code redis_channel_prefix}, env {@code REDIS_CHANNEL_PREFIX}; non-empty, no spaces, no '*'. Default
   * {@value #DEFAULT_REDIS_CHANNEL_PREFIX}.
   *
   * @param redisChannelPrefix the prefix
   * @return this
   */
  public IngressOptions setRedisChannelPrefix(String redisChannelPrefix) {
    Checks.token("redis_channel_prefix", redisChannelPrefix);
    if (redisChannelPrefix.indexOf('*') >= 0) {
      throw new ConfigException("redis_channel_prefix", "must not contain '*' (got '" + redisChannelPrefix + "')");
    }
    this.redisChannelPrefix = redisChannelPrefix;
    return this;
  }

  /**
   * @return the block explorer URL templates by chain ({@code explorers}), unmodifiable, in insertion order
   */
  public Map<String, String> getExplorers() {
    return explorers;
  }

  /**
   * Sets the block explorer URL templates, chain &rarr; URL starting with http:// or https:// and containing
   * {@code {hash}}. Key {@code explorers}, env {@code EXPLORERS} as a JSON object string. A value given here
   * replaces the whole default map ({@link #DEFAULT_EXPLORERS}: ethereum, avalanche, polygon, arbitrum,
   * optimism, base, bsc).
   *
   * @param explorers the templates (copied, order kept), null meaning empty
   * @return this
   */
  public IngressOptions setExplorers(Map<String, String> explorers) {
    Map<String, String> copy = new LinkedHashMap<>();
    if (explorers != null) {
      explorers.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "explorers chain"),
          Objects.requireNonNull(v, "explorers URL")));
    }
    Checks.explorers("explorers", copy);
    this.explorers = Collections.unmodifiableMap(copy);
    return this;
  }

  /**
   * @return whether NATS is configured ({@code nats_url} set)
   */
  public boolean natsEnabled() {
    return natsUrl != null;
  }

  /**
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
