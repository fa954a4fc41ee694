package io.herald.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where notifications come in and how they are read: the NATS servers, subject and queue group (or JetStream stream
 * and durable consumer), the Redis pub/sub
 * channel prefix (the Redis server itself is {@link StateOptions#getRedisUrl()}), and the block explorer links added to
 * transaction notifications. Each setter refuses an invalid value with a {@link ConfigException} naming the key;
 * {@link #toString()} shows the keys as JSON with the passwords of {@code nats_url} redacted.
 */
public final class IngressOptions {

  /** Default NATS subject notifications are consumed from = {@value}. */
  public static final String DEFAULT_NATS_SUBJECT = "notifications.websocket";
  /** Default NATS queue group = {@value}. */
  public static final String DEFAULT_NATS_QUEUE_GROUP = "herald-ingress";
  /** Default: core NATS with a queue group, not JetStream = {@value}. */
  public static final boolean DEFAULT_NATS_JETSTREAM = false;
  /** Default JetStream stream name = {@value}. */
  public static final String DEFAULT_NATS_STREAM = "HERALD_NOTIFICATIONS";
  /** Default retention of a stream Herald creates = {@value}: a message leaves the stream once a node acked it. */
  public static final String DEFAULT_NATS_STREAM_RETENTION = "workqueue";
  /** Default longest a message stays in a stream Herald creates, acked or not, in seconds = {@value} (24 h). */
  public static final int DEFAULT_NATS_STREAM_MAX_AGE_SECS = 86_400;
  /** Default name of the durable consumer the fleet shares = {@value}. */
  public static final String DEFAULT_NATS_DURABLE = "herald-ingress";
  /** Default seconds a delivered message may stay unacked before NATS delivers it again = {@value}. */
  public static final int DEFAULT_NATS_ACK_WAIT_SECS = 30;
  /** Default most messages delivered and not yet acked, fleet-wide = {@value}. */
  public static final int DEFAULT_NATS_MAX_ACK_PENDING = 10_000;
  /** The retention policies a stream can have. */
  public static final List<String> NATS_STREAM_RETENTIONS = List.of("workqueue", "limits", "interest");

  /** JetStream stream and consumer names: what the NATS server accepts in both. */
  private static final Pattern NATS_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

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
  private boolean natsJetstream;
  private String natsStream;
  private List<String> natsStreamSubjects;
  private String natsStreamRetention;
  private int natsStreamMaxAgeSecs;
  private String natsDurable;
  private int natsAckWaitSecs;
  private int natsMaxAckPending;
  private String redisChannelPrefix;
  private Map<String, String> explorers;

  /**
   * Creates the section with every default.
   */
  public IngressOptions() {
    natsUrl = null;
    natsSubject = DEFAULT_NATS_SUBJECT;
    natsQueueGroup = DEFAULT_NATS_QUEUE_GROUP;
    natsJetstream = DEFAULT_NATS_JETSTREAM;
    natsStream = DEFAULT_NATS_STREAM;
    natsStreamSubjects = List.of();
    natsStreamRetention = DEFAULT_NATS_STREAM_RETENTION;
    natsStreamMaxAgeSecs = DEFAULT_NATS_STREAM_MAX_AGE_SECS;
    natsDurable = DEFAULT_NATS_DURABLE;
    natsAckWaitSecs = DEFAULT_NATS_ACK_WAIT_SECS;
    natsMaxAckPending = DEFAULT_NATS_MAX_ACK_PENDING;
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
    natsJetstream = other.natsJetstream;
    natsStream = other.natsStream;
    natsStreamSubjects = other.natsStreamSubjects;
    natsStreamRetention = other.natsStreamRetention;
    natsStreamMaxAgeSecs = other.natsStreamMaxAgeSecs;
    natsDurable = other.natsDurable;
    natsAckWaitSecs = other.natsAckWaitSecs;
    natsMaxAckPending = other.natsMaxAckPending;
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
   * @return whether NATS messages are read from a JetStream stream ({@code nats_jetstream})
   */
  public boolean isNatsJetstream() {
    return natsJetstream;
  }

  /**
   * Reads NATS notifications from a JetStream stream through one durable pull consumer shared by the fleet, each
   * message acked once recorded and published (redelivered to another node when not acked within
   * {@code nats_ack_wait_secs}), instead of a core subscription in a queue group (where a message in flight on a node
   * that dies is lost). Key {@code nats_jetstream}, env {@code NATS_JETSTREAM}. Default
   * {@value #DEFAULT_NATS_JETSTREAM}.
   *
   * @param natsJetstream true for JetStream
   * @return this
   */
  public IngressOptions setNatsJetstream(boolean natsJetstream) {
    this.natsJetstream = natsJetstream;
    return this;
  }

  /**
   * @return the JetStream stream's name ({@code nats_stream})
   */
  public String getNatsStream() {
    return natsStream;
  }

  /**
   * Sets the JetStream stream notifications are read from, created (file-backed) when missing. Key
   * {@code nats_stream}, env {@code NATS_STREAM}; 1 to 64 of {@code [A-Za-z0-9_-]}. Default
   * {@value #DEFAULT_NATS_STREAM}.
   *
   * @param natsStream the stream's name
   * @return this
   */
  public IngressOptions setNatsStream(String natsStream) {
    this.natsStream = Checks.matching("nats_stream", natsStream, NATS_NAME, "1 to 64 of [A-Za-z0-9_-]");
    return this;
  }

  /**
   * @return the subjects of a stream Herald creates ({@code nats_stream_subjects}); empty means {@code nats_subject}
   */
  public List<String> getNatsStreamSubjects() {
    return natsStreamSubjects;
  }

  /**
   * @return the subjects a stream Herald creates captures: {@code nats_stream_subjects}, or {@code nats_subject} alone
   */
  public List<String> natsStreamSubjectsOrDefault() {
    return natsStreamSubjects.isEmpty() ? List.of(natsSubject) : natsStreamSubjects;
  }

  /**
   * Sets the subjects a stream Herald creates captures; they must cover {@code nats_subject}, the consumer's filter.
   * Key {@code nats_stream_subjects}, env {@code NATS_STREAM_SUBJECTS} (comma list); each non-empty, no spaces.
   * Default empty: {@code nats_subject} alone. An existing stream is used as it is.
   *
   * @param subjects the subjects (copied), null meaning empty
   * @return this
   */
  public IngressOptions setNatsStreamSubjects(List<String> subjects) {
    List<String> copy = new ArrayList<>();
    if (subjects != null) {
      for (String subject : subjects) {
        copy.add(Checks.token("nats_stream_subjects", subject));
      }
    }
    this.natsStreamSubjects = List.copyOf(copy);
    return this;
  }

  /**
   * @return the retention of a stream Herald creates ({@code nats_stream_retention})
   */
  public String getNatsStreamRetention() {
    return natsStreamRetention;
  }

  /**
   * Sets the retention of a stream Herald creates: {@code workqueue} (a message is removed once acked),
   * {@code limits} (kept until {@code nats_stream_max_age_secs}) or {@code interest}. Key
   * {@code nats_stream_retention}, env {@code NATS_STREAM_RETENTION}. Default
   * {@value #DEFAULT_NATS_STREAM_RETENTION}.
   *
   * @param retention the policy
   * @return this
   */
  public IngressOptions setNatsStreamRetention(String retention) {
    if (!NATS_STREAM_RETENTIONS.contains(retention)) {
      throw new ConfigException("nats_stream_retention", "must be one of " + String.join(", ", NATS_STREAM_RETENTIONS)
          + " (got " + (retention == null ? "null" : "'" + retention + "'") + ")");
    }
    this.natsStreamRetention = retention;
    return this;
  }

  /**
   * @return the longest a message stays in a stream Herald creates, in seconds ({@code nats_stream_max_age_secs})
   */
  public int getNatsStreamMaxAgeSecs() {
    return natsStreamMaxAgeSecs;
  }

  /**
   * Sets the longest a message stays in a stream Herald creates, acked or not, in seconds: what bounds the stream
   * while no node consumes. Key {@code nats_stream_max_age_secs}, env {@code NATS_STREAM_MAX_AGE_SECS}; at least 1.
   * Default {@value #DEFAULT_NATS_STREAM_MAX_AGE_SECS}.
   *
   * @param seconds the age
   * @return this
   */
  public IngressOptions setNatsStreamMaxAgeSecs(int seconds) {
    this.natsStreamMaxAgeSecs = Checks.min("nats_stream_max_age_secs", seconds, 1);
    return this;
  }

  /**
   * @return the durable consumer's name ({@code nats_durable})
   */
  public String getNatsDurable() {
    return natsDurable;
  }

  /**
   * Sets the name of the durable pull consumer every node of the fleet reads from (created or updated at start).
   * Key {@code nats_durable}, env {@code NATS_DURABLE}; 1 to 64 of {@code [A-Za-z0-9_-]}. Default
   * {@value #DEFAULT_NATS_DURABLE}.
   *
   * @param durable the consumer's name
   * @return this
   */
  public IngressOptions setNatsDurable(String durable) {
    this.natsDurable = Checks.matching("nats_durable", durable, NATS_NAME, "1 to 64 of [A-Za-z0-9_-]");
    return this;
  }

  /**
   * @return seconds a delivered message may stay unacked before it is delivered again ({@code nats_ack_wait_secs})
   */
  public int getNatsAckWaitSecs() {
    return natsAckWaitSecs;
  }

  /**
   * Sets how long, in seconds, a message delivered to a node may stay unacked before NATS delivers it again (to any
   * node): the longest a notification taken by a node that died waits. Key {@code nats_ack_wait_secs}, env
   * {@code NATS_ACK_WAIT_SECS}; 1 to 3600. Default {@value #DEFAULT_NATS_ACK_WAIT_SECS}.
   *
   * @param seconds the wait
   * @return this
   */
  public IngressOptions setNatsAckWaitSecs(int seconds) {
    this.natsAckWaitSecs = Checks.range("nats_ack_wait_secs", seconds, 1, 3600);
    return this;
  }

  /**
   * @return the most messages delivered and not yet acked, fleet-wide ({@code nats_max_ack_pending})
   */
  public int getNatsMaxAckPending() {
    return natsMaxAckPending;
  }

  /**
   * Sets the most messages the durable consumer has delivered and not yet seen acked, fleet-wide: past it NATS
   * delivers nothing more until acks come, which bounds what the nodes hold. Key {@code nats_max_ack_pending}, env
   * {@code NATS_MAX_ACK_PENDING}; 1 to 1,000,000. Default {@value #DEFAULT_NATS_MAX_ACK_PENDING}.
   *
   * @param messages the bound
   * @return this
   */
  public IngressOptions setNatsMaxAckPending(int messages) {
    this.natsMaxAckPending = Checks.range("nats_max_ack_pending", messages, 1, 1_000_000);
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
