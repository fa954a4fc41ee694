package io.herald.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The one canonical, immutable notification every ingress maps into.
 *
 * <p>The client frame is serialised at most once per notification per node, the first time a connection
 * needs it, and the same string is written to every connection that receives it: fan-out costs no JSON
 * encoding per connection, and a notification that no local connection receives is never encoded.
 */
public final class Notification {

  private final String id;
  private final Target target;
  private final String alertId;
  private final String alertName;
  private final String kind;
  private final Priority priority;
  private final String message;
  private final JsonObject details;
  private final Instant timestamp;
  private final List<Action> actions;
  private final JsonObject original;
  private final String chain;
  private final String epoch;
  private final long offset;
  /** {@link #hashId} of {@link #id}, made once per notification entering the node and shared by its copies. */
  private final long idHash;
  /**
   * The client frame's UTF-8 bytes, computed on first use and never modified once set. Written without
   * synchronisation on purpose (as {@link String#hashCode()} caches its hash): two event loops may both encode it,
   * and each then reads a complete array.
   */
  private byte[] frameBytes;
  /** {@link #canonicalJsonBytes()}, computed on first use like {@link #frameBytes}. */
  private byte[] canonicalBytes;
  /**
   * {@link #timestamp} as both JSON forms write it (ISO-8601), made on first use like {@link #frameBytes} and handed
   * to a positioned copy made after it: the canonical form and the frame then format it once between them.
   */
  private String timestampText;

  private Notification(Builder b) {
    this.id = Objects.requireNonNull(b.id, "id");
    this.target = Objects.requireNonNull(b.target, "target");
    this.alertId = b.alertId;
    this.alertName = b.alertName;
    this.kind = b.kind;
    this.priority = b.priority == null ? Priority.MEDIUM : b.priority;
    this.message = b.message == null ? "" : b.message;
    this.details = b.details == null ? new JsonObject() : b.detailsHandedOver ? b.details : b.details.copy();
    this.timestamp = b.timestamp == null ? Instant.now() : b.timestamp;
    this.actions = b.actions == null ? List.of() : List.copyOf(b.actions);
    this.original = b.original == null ? null : b.originalHandedOver ? b.original : b.original.copy();
    Object chainValue = details.getValue("chain");
    this.chain = chainValue == null ? null : chainValue.toString();
    this.epoch = b.epoch;
    this.offset = b.offset;
    this.idHash = hashId(id);
  }

  /** A copy of {@code source} at another position: shares its immutable content instead of copying it again. */
  private Notification(Notification source, String epoch, long offset) {
    this.id = source.id;
    this.target = source.target;
    this.alertId = source.alertId;
    this.alertName = source.alertName;
    this.kind = source.kind;
    this.priority = source.priority;
    this.message = source.message;
    this.details = source.details;
    this.timestamp = source.timestamp;
    this.timestampText = source.timestampText;
    this.actions = source.actions;
    this.original = source.original;
    this.chain = source.chain;
    this.epoch = epoch;
    this.offset = offset;
    this.idHash = source.idHash;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The same notification at a position of its history stream: the frame then carries {@code epoch} and
   * {@code offset} (and {@code stream}: user, topic or broadcast) so the client can resume after it.
   */
  public Notification withPosition(String epoch, long offset) {
    return new Notification(this, epoch, offset);
  }

  /** The epoch of its history stream; null when it has no position. */
  public String epoch() {
    return epoch;
  }

  /** Its offset in its history stream; 0 when it has no position. */
  public long offset() {
    return offset;
  }

  public String id() {
    return id;
  }

  /** The 64-bit hash of {@link #id()} ({@link #hashId}), by which stores and sessions recognise an id seen before. */
  public long idHash() {
    return idHash;
  }

  /**
   * A notification id's 64-bit hash: FNV-1a over its characters, then SplitMix64's finaliser to spread the bits. Kept
   * instead of the id where many are remembered — no object per id for the garbage collector, 8 bytes each, and a
   * lookup that scans contiguous longs. Two ids collide with a probability of about 2⁻⁶⁴ per pair.
   */
  public static long hashId(String id) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < id.length(); i++) {
      h ^= id.charAt(i);
      h *= 0x100000001b3L;
    }
    h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
    h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
    return h ^ (h >>> 31);
  }

  public Target target() {
    return target;
  }

  public String alertId() {
    return alertId;
  }

  public String alertName() {
    return alertName;
  }

  /** The {@code notification_type} of the source (e.g. {@code price_alert}, {@code TIP}). */
  public String kind() {
    return kind;
  }

  public Priority priority() {
    return priority;
  }

  public String message() {
    return message;
  }

  /** A copy of the details object. */
  public JsonObject details() {
    return details.copy();
  }

  /** {@code details.chain}, the field chain filters match; null when absent. */
  public String chain() {
    return chain;
  }

  public Instant timestamp() {
    return timestamp;
  }

  /** {@link #timestamp()} in ISO-8601, as {@link Instant#toString()} writes it. */
  String timestampText() {
    String text = timestampText;
    if (text == null) {
      text = timestamp.toString();
      timestampText = text;
    }
    return text;
  }

  public List<Action> actions() {
    return actions;
  }

  /** A copy of the source payload when the mapping did not use all of it; null otherwise. */
  public JsonObject original() {
    return original == null ? null : original.copy();
  }

  /**
   * The serialised {@code Notification} frame written to clients, as UTF-8: encoded on first use and then shared
   * by every connection that receives it. Callers must not modify the array.
   */
  public byte[] frameBytes() {
    byte[] bytes = frameBytes;
    if (bytes == null) {
      bytes = NotificationJson.frame(this);
      frameBytes = bytes;
    }
    return bytes;
  }

  /** The details object itself, for {@link NotificationJson}, which only reads it. */
  JsonObject sharedDetails() {
    return details;
  }

  /** The original object itself (or null), for {@link NotificationJson}, which only reads it. */
  JsonObject sharedOriginal() {
    return original;
  }

  /** The client frame as JSON (a fresh object each call); {@link #frameBytes()} is its encoding. */
  public JsonObject toFrame() {
    JsonObject detailsInFrame = details.copy();
    JsonObject json = new JsonObject()
        .put("type", "Notification")
        .put("id", id);
    // Absent rather than null: fewer bytes on every connection.
    if (alertId != null) {
      json.put("alert_id", alertId);
    }
    if (alertName != null) {
      json.put("alert_name", alertName);
    }
    if (kind != null) {
      json.put("notification_type", kind);
    }
    json.put("priority", priority.wireName())
        .put("message", message)
        .put("details", detailsInFrame)
        .put("timestamp", timestampText());
    JsonArray actionArray = new JsonArray();
    actions.forEach(a -> actionArray.add(a.toJson()));
    json.put("actions", actionArray);
    if (target instanceof Target.Topic t) {
      json.put("topic", t.topic());
    }
    if (epoch != null) {
      json.put("stream", target instanceof Target.Users ? "user" : target instanceof Target.Topic ? "topic" : "broadcast")
          .put("epoch", epoch)
          .put("offset", offset);
    }
    return json;
  }

  /** {@link #toJson()} encoded, as a string: what the Redis state stores. */
  public String canonicalJson() {
    return NotificationJson.canonicalString(this);
  }

  /**
   * {@link #toJson()} encoded as UTF-8, computed on first use and then shared: what the embedded state keeps
   * ({@link NotificationCodec#decode(byte[])}), once for the history and the inbox. Callers must not modify it.
   */
  public byte[] canonicalJsonBytes() {
    byte[] bytes = canonicalBytes;
    if (bytes == null) {
      bytes = NotificationJson.canonicalBytes(this);
      canonicalBytes = bytes;
    }
    return bytes;
  }

  /**
   * The canonical JSON form, the one the HTTP ingress accepts and the event-bus codec carries:
   * target fields ({@code user_ids} / {@code topic} / {@code broadcast}, {@code tenant_id}) plus content.
   */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("id", id).put("tenant_id", target.tenant());
    if (target instanceof Target.Users u) {
      json.put("user_ids", new JsonArray(u.userIds()));
    } else if (target instanceof Target.Topic t) {
      json.put("topic", t.topic());
    } else {
      json.put("broadcast", true);
    }
    JsonArray actionArray = new JsonArray();
    actions.forEach(a -> actionArray.add(a.toJson()));
    json.put("alert_id", alertId)
        .put("alert_name", alertName)
        .put("notification_type", kind)
        .put("priority", priority.wireName())
        .put("message", message)
        .put("details", details.copy())
        .put("timestamp", timestampText())
        .put("actions", actionArray);
    if (original != null) {
      json.put("original", original.copy());
    }
    if (epoch != null) {
      json.put("epoch", epoch).put("offset", offset);
    }
    return json;
  }

  /** A builder for one notification; {@code id} and {@code target} are required. */
  public static final class Builder {
    private String id;
    private Target target;
    private String alertId;
    private String alertName;
    private String kind;
    private Priority priority;
    private String message;
    private JsonObject details;
    private boolean detailsHandedOver;
    private Instant timestamp;
    private List<Action> actions;
    private JsonObject original;
    private boolean originalHandedOver;
    private String epoch;
    private long offset;

    private Builder() {
    }

    /** The position in its history stream (see {@link Notification#withPosition}). */
    public Builder position(String epoch, long offset) {
      this.epoch = epoch;
      this.offset = offset;
      return this;
    }

    public Builder id(String id) {
      this.id = id;
      return this;
    }

    public Builder target(Target target) {
      this.target = target;
      return this;
    }

    public Builder alertId(String alertId) {
      this.alertId = alertId;
      return this;
    }

    public Builder alertName(String alertName) {
      this.alertName = alertName;
      return this;
    }

    public Builder kind(String kind) {
      this.kind = kind;
      return this;
    }

    /** Defaults to {@link Priority#MEDIUM}. */
    public Builder priority(Priority priority) {
      this.priority = priority;
      return this;
    }

    public Builder message(String message) {
      this.message = message;
      return this;
    }

    /** The details, copied: the caller may go on changing its object. */
    public Builder details(JsonObject details) {
      this.details = details;
      this.detailsHandedOver = false;
      return this;
    }

    /**
     * The details, taken as they are, without a copy: for a caller that built the object for this notification
     * (a freshly parsed payload) and hands it over, keeping no reference that could change it.
     */
    public Builder handOverDetails(JsonObject details) {
      this.details = details;
      this.detailsHandedOver = true;
      return this;
    }

    /** Defaults to now. */
    public Builder timestamp(Instant timestamp) {
      this.timestamp = timestamp;
      return this;
    }

    public Builder actions(List<Action> actions) {
      this.actions = actions;
      return this;
    }

    /** The source payload, copied: the caller may go on changing its object. */
    public Builder original(JsonObject original) {
      this.original = original;
      this.originalHandedOver = false;
      return this;
    }

    /** The source payload, taken without a copy, as {@link #handOverDetails} takes the details. */
    public Builder handOverOriginal(JsonObject original) {
      this.original = original;
      this.originalHandedOver = true;
      return this;
    }

    public Notification build() {
      return new Notification(this);
    }
  }
}
