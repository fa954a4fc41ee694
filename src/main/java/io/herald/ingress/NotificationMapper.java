package io.herald.ingress;

import io.herald.model.Action;
import io.herald.model.Ids;
import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.model.Priority;
import io.herald.model.Target;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Maps ingress messages (NATS, Redis pub/sub, HTTP API) into {@link Notification}s.
 *
 * <p>Pure and immutable, hence thread-safe: no I/O, no mutable state. Every failure is an
 * {@link InvalidNotificationException} whose reason names the offending field and never carries a
 * payload value longer than {@value #MAX_ECHOED_LENGTH} characters (only short enumerated values such
 * as an unknown priority are ever echoed).
 *
 * <p>Formats:
 * <ul>
 *   <li>NATS / canonical ({@link #fromNats}, {@link #fromCanonical}): the target fields {@code user_id},
 *       {@code user_ids}, {@code topic} or {@code broadcast: true} plus content, either NATS-style
 *       (a {@code payload} object with {@code triggered_value}, {@code threshold}, {@code chain}, ...) or as
 *       {@link Notification#toJson()} writes it ({@code message}, {@code details}, {@code actions}, ...).</li>
 *   <li>Redis ({@link #fromRedis}): the channel decides the target; the body is either the Redis
 *       notification format ({@code {"id","userId","type","payload","readAt","createdAt"}}) or the NATS format.</li>
 * </ul>
 */
public final class NotificationMapper {

  public static final String DEFAULT_REDIS_CHANNEL_PREFIX = "notifications";

  public static final int MAX_USER_IDS = 1000;
  public static final int MAX_ID_LENGTH = 128;
  public static final int MAX_ALERT_ID_LENGTH = 128;
  public static final int MAX_MESSAGE_LENGTH = 4096;
  public static final int MAX_ACTIONS = 10;

  /** Longest payload value a failure reason may quote. */
  static final int MAX_ECHOED_LENGTH = 32;

  private static final Pattern NOTIFICATION_ID = Pattern.compile("[A-Za-z0-9_.:-]+");
  private static final Pattern ECHOABLE = Pattern.compile("[\\x20-\\x7e&&[^'\\\\]]*");
  private static final String HASH_PLACEHOLDER = "{hash}";

  /** Payload keys the NATS mapping renames or interprets; every other payload key is copied as is. */
  private static final Set<String> MAPPED_PAYLOAD_KEYS =
      Set.of("triggered_value", "threshold", "chain", "wallet", "transaction_hash", "block_number");

  private final Map<String, String> explorers;
  private final String redisChannelPrefix;

  /**
   * @param explorers chain name (matched case-insensitively) to block-explorer URL template containing
   *     {@code {hash}}; null means none
   * @param redisChannelPrefix prefix of the Redis channels; null or empty means {@code notifications}
   * @throws IllegalArgumentException when a template is null or lacks {@code {hash}}
   */
  public NotificationMapper(Map<String, String> explorers, String redisChannelPrefix) {
    Map<String, String> copy = new LinkedHashMap<>();
    if (explorers != null) {
      explorers.forEach((chain, template) -> {
        if (chain == null || chain.isBlank()) {
          throw new IllegalArgumentException("explorer chain name must not be empty");
        }
        if (template == null || !template.contains(HASH_PLACEHOLDER)) {
          throw new IllegalArgumentException("explorer URL template for chain '" + chain + "' must contain " + HASH_PLACEHOLDER);
        }
        copy.put(chain.toLowerCase(Locale.ROOT), template);
      });
    }
    this.explorers = Map.copyOf(copy);
    this.redisChannelPrefix = redisChannelPrefix == null || redisChannelPrefix.isEmpty()
        ? DEFAULT_REDIS_CHANNEL_PREFIX : redisChannelPrefix;
  }

  public String redisChannelPrefix() {
    return redisChannelPrefix;
  }

  // ---------------------------------------------------------------------------------------------
  // Entry points
  // ---------------------------------------------------------------------------------------------

  /** Decodes a raw message body that must be one JSON object. */
  public static JsonObject parseObject(Buffer raw) {
    if (raw == null || raw.length() == 0) {
      throw new InvalidNotificationException("payload is empty");
    }
    Object value;
    try {
      value = Json.decodeValue(raw);
    } catch (DecodeException e) {
      // The decoder's message quotes the input: never pass it on.
      throw new InvalidNotificationException("payload is not valid JSON");
    } catch (RuntimeException e) {
      throw new InvalidNotificationException("payload is not valid JSON");
    }
    if (value instanceof JsonObject json) {
      return json;
    }
    if (value instanceof Map<?, ?> map) {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) map;
      return new JsonObject(m);
    }
    throw new InvalidNotificationException("payload is not a JSON object");
  }

  /** Maps a NATS message; the canonical format ({@link Notification#toJson()}) is accepted too. */
  public Notification fromNats(JsonObject msg) {
    requireMessage(msg);
    return fromAlertFormat(msg, parseTarget(msg, tenantOf(msg)).orElseThrow(NotificationMapper::noTarget));
  }

  /**
   * Maps one element of an HTTP API body: the canonical format; a {@code payload} object is mapped as in
   * the NATS format. {@code fromCanonical(n.toJson())} reproduces {@code n}.
   */
  public Notification fromCanonical(JsonObject msg) {
    return fromNats(msg);
  }

  /** Maps a Redis pub/sub message; the channel decides the target. */
  public Notification fromRedis(String channel, JsonObject msg) {
    Target channelTarget = channelTarget(channel);
    requireMessage(msg);
    String tenant = tenantOf(msg);
    Target target = withTenant(channelTarget, tenant);
    if (isRedisFormat(msg)) {
      return fromRedisFormat(target, msg);
    }
    Optional<Target> own = parseTarget(msg, tenant);
    if (own.isPresent() && !own.get().equals(target)) {
      throw new InvalidNotificationException(conflictingField(msg, target) + ": does not match the channel");
    }
    return fromAlertFormat(msg, target);
  }

  /**
   * The target a Redis channel names, in the default tenant: {@code <prefix>:user:<id>},
   * {@code <prefix>:channel:<id>} or {@code <prefix>:global}; empty for any other channel or an invalid id.
   */
  public Optional<Target> targetOfChannel(String channel) {
    try {
      return Optional.of(channelTarget(channel));
    } catch (InvalidNotificationException e) {
      return Optional.empty();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Redis channels
  // ---------------------------------------------------------------------------------------------

  private Target channelTarget(String channel) {
    if (channel == null) {
      throw new InvalidNotificationException("channel: unknown channel");
    }
    String userPrefix = redisChannelPrefix + ":user:";
    String topicPrefix = redisChannelPrefix + ":channel:";
    if (channel.equals(redisChannelPrefix + ":global")) {
      return new Target.Broadcast(Ids.DEFAULT_TENANT);
    }
    if (channel.startsWith(userPrefix)) {
      String userId = channel.substring(userPrefix.length());
      if (!Ids.isValidUserId(userId)) {
        throw new InvalidNotificationException("channel: invalid user id");
      }
      return new Target.Users(Ids.DEFAULT_TENANT, List.of(userId));
    }
    if (channel.startsWith(topicPrefix)) {
      String topic = channel.substring(topicPrefix.length());
      if (!Ids.isValidTopic(topic)) {
        throw new InvalidNotificationException("channel: invalid channel id");
      }
      return new Target.Topic(Ids.DEFAULT_TENANT, topic);
    }
    throw new InvalidNotificationException("channel: unknown channel");
  }

  private static Target withTenant(Target target, String tenant) {
    if (target instanceof Target.Users u) {
      return new Target.Users(tenant, u.userIds());
    }
    if (target instanceof Target.Topic t) {
      return new Target.Topic(tenant, t.topic());
    }
    return new Target.Broadcast(tenant);
  }

  /** Names the message field that contradicts the channel target. */
  private static String conflictingField(JsonObject msg, Target channelTarget) {
    boolean users = msg.getValue("user_id") != null || msg.getValue("user_ids") != null;
    if (channelTarget instanceof Target.Users) {
      if (msg.getValue("topic") != null) {
        return "topic";
      }
      if (Boolean.TRUE.equals(msg.getValue("broadcast"))) {
        return "broadcast";
      }
      return msg.getValue("user_id") != null ? "user_id" : "user_ids";
    }
    if (users) {
      return msg.getValue("user_id") != null ? "user_id" : "user_ids";
    }
    if (channelTarget instanceof Target.Topic) {
      return Boolean.TRUE.equals(msg.getValue("broadcast")) ? "broadcast" : "topic";
    }
    return "topic";
  }

  private static boolean isRedisFormat(JsonObject msg) {
    return msg.getValue("type") instanceof String
        && msg.getValue("notification_type") == null
        && msg.getValue("alert_id") == null;
  }

  private Notification fromRedisFormat(Target target, JsonObject msg) {
    if (target instanceof Target.Users u) {
      Object userId = msg.getValue("userId");
      if (userId != null && !u.userIds().get(0).equals(userId)) {
        throw new InvalidNotificationException("userId: does not match the channel");
      }
    }
    String type = msg.getString("type");
    JsonObject payload = optionalObject(msg, "payload");
    payload = payload == null ? new JsonObject() : payload.copy();

    String message = optionalString(payload, "message", "payload.message");
    if (message != null) {
      checkMaxLength(message, MAX_MESSAGE_LENGTH, "payload.message");
    } else {
      message = defaultRedisMessage(type);
    }
    Priority priority = payload.getValue("priority") == null
        ? ("SYSTEM".equals(type) ? Priority.HIGH : Priority.MEDIUM)
        : parsePriority(payload.getValue("priority"), "payload.priority");

    return Notification.builder()
        .id(parseId(msg))
        .target(target)
        .kind(type)
        .priority(priority)
        .message(message)
        .details(payload)
        .timestamp(parseTimestamp(msg.getValue("createdAt"), "createdAt"))
        .actions(List.of())
        .original(msg)
        .build();
  }

  private static String defaultRedisMessage(String type) {
    switch (type) {
      case "TIP":
        return "You received a tip";
      case "SUB":
        return "You have a new subscriber";
      case "FOLLOW":
        return "You have a new follower";
      case "SYSTEM":
        return "System notification";
      default:
        return "New notification";
    }
  }

  // ---------------------------------------------------------------------------------------------
  // NATS / canonical format
  // ---------------------------------------------------------------------------------------------

  private Notification fromAlertFormat(JsonObject msg, Target target) {
    String id = parseId(msg);
    String alertId = optionalString(msg, "alert_id", "alert_id");
    if (alertId != null) {
      checkMaxLength(alertId, MAX_ALERT_ID_LENGTH, "alert_id");
    }
    String alertName = optionalString(msg, "alert_name", "alert_name");
    String kind = optionalString(msg, "notification_type", "notification_type");
    Priority priority = msg.getValue("priority") == null ? Priority.MEDIUM : parsePriority(msg.getValue("priority"), "priority");
    String ownMessage = optionalString(msg, "message", "message");
    if (ownMessage != null) {
      checkMaxLength(ownMessage, MAX_MESSAGE_LENGTH, "message");
    }
    JsonObject ownDetails = optionalObject(msg, "details");
    JsonObject payload = optionalObject(msg, "payload");
    Instant timestamp = parseTimestamp(msg.getValue("timestamp"), "timestamp");
    List<Action> ownActions = parseActions(msg);
    JsonObject original = optionalObject(msg, "original");

    JsonObject details;
    String message;
    if (payload != null) {
      details = payloadDetails(payload);
      if (ownDetails != null) {
        // Both given: keep the derived keys, add whatever else the sender put in details.
        for (Map.Entry<String, Object> e : ownDetails) {
          if (!details.containsKey(e.getKey())) {
            details.put(e.getKey(), e.getValue());
          }
        }
      }
      Object triggered = payload.getValue("triggered_value");
      Object threshold = payload.getValue("threshold");
      if (ownMessage != null) {
        message = ownMessage;
      } else if (triggered != null && threshold != null) {
        message = "Alert triggered: " + render(triggered) + " exceeded " + render(threshold);
      } else {
        message = alertName == null ? "" : alertName;
      }
    } else {
      details = ownDetails == null ? new JsonObject() : ownDetails.copy();
      message = ownMessage != null ? ownMessage : (alertName == null ? "" : alertName);
    }

    List<Action> actions;
    if (ownActions != null) {
      actions = ownActions;
    } else if (alertId != null && !alertId.isEmpty()) {
      String segment = encodePathSegment(alertId);
      actions = List.of(
          new Action("View Transaction", "/alerts/" + segment + "/transactions"),
          new Action("Adjust Alert", "/alerts/" + segment + "/edit"));
    } else {
      actions = List.of();
    }

    return Notification.builder()
        .id(id)
        .target(target)
        .alertId(alertId)
        .alertName(alertName)
        .kind(kind)
        .priority(priority)
        .message(message)
        .details(details)
        .timestamp(timestamp)
        .actions(actions)
        .original(original)
        .build();
  }

  /** The details of a NATS payload: the mapped keys first, then every other payload key as is. */
  private JsonObject payloadDetails(JsonObject payload) {
    JsonObject details = new JsonObject();
    putIfPresent(details, "current_value", payload.getValue("triggered_value"));
    putIfPresent(details, "threshold", payload.getValue("threshold"));
    Object chain = payload.getValue("chain");
    putIfPresent(details, "chain", chain);
    putIfPresent(details, "wallet", payload.getValue("wallet"));
    Object hash = payload.getValue("transaction_hash");
    putIfPresent(details, "transaction_hash", hash);
    if (chain instanceof String c && hash instanceof String h && !h.isEmpty()) {
      String template = explorers.get(c.toLowerCase(Locale.ROOT));
      if (template != null) {
        details.put("transaction_url", template.replace(HASH_PLACEHOLDER, encodePathSegment(h)));
      }
    }
    putIfPresent(details, "block_number", payload.getValue("block_number"));
    for (Map.Entry<String, Object> e : payload) {
      if (!MAPPED_PAYLOAD_KEYS.contains(e.getKey()) && !details.containsKey(e.getKey())) {
        details.put(e.getKey(), payload.getValue(e.getKey()));
      }
    }
    return details;
  }

  private static void putIfPresent(JsonObject json, String key, Object value) {
    if (value != null) {
      json.put(key, value);
    }
  }

  /** A payload value as text: strings verbatim, numbers and booleans unquoted, objects and arrays as JSON. */
  private static String render(Object value) {
    if (value instanceof JsonObject o) {
      return o.encode();
    }
    if (value instanceof JsonArray a) {
      return a.encode();
    }
    if (value instanceof BigDecimal d) {
      return d.toPlainString();
    }
    return String.valueOf(value);
  }

  private static List<Action> parseActions(JsonObject msg) {
    Object value = msg.getValue("actions");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      throw new InvalidNotificationException("actions: must be an array");
    }
    if (array.size() > MAX_ACTIONS) {
      throw new InvalidNotificationException("actions: more than " + MAX_ACTIONS + " entries");
    }
    List<Action> actions = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String field = "actions[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject action)) {
        throw new InvalidNotificationException(field + ": must be an object with label and url");
      }
      if (!(action.getValue("label") instanceof String label)) {
        throw new InvalidNotificationException(field + ".label: must be a string");
      }
      if (!(action.getValue("url") instanceof String url)) {
        throw new InvalidNotificationException(field + ".url: must be a string");
      }
      actions.add(new Action(label, url));
    }
    return actions;
  }

  // ---------------------------------------------------------------------------------------------
  // Targets
  // ---------------------------------------------------------------------------------------------

  private static InvalidNotificationException noTarget() {
    return new InvalidNotificationException("no target: one of user_id, user_ids, topic, broadcast required");
  }

  /** The target the message's own fields name; empty when it names none; invalid when it names two kinds. */
  private static Optional<Target> parseTarget(JsonObject msg, String tenant) {
    Object userIdValue = msg.getValue("user_id");
    Object userIdsValue = msg.getValue("user_ids");
    Object topicValue = msg.getValue("topic");
    Object broadcastValue = msg.getValue("broadcast");

    if (broadcastValue != null && !(broadcastValue instanceof Boolean)) {
      throw new InvalidNotificationException("broadcast: must be a boolean");
    }
    boolean users = userIdValue != null || userIdsValue != null;
    boolean topic = topicValue != null;
    boolean broadcast = Boolean.TRUE.equals(broadcastValue);
    int kinds = (users ? 1 : 0) + (topic ? 1 : 0) + (broadcast ? 1 : 0);
    if (kinds > 1) {
      throw new InvalidNotificationException("target: only one of user_id/user_ids, topic, broadcast allowed");
    }
    if (users) {
      Set<String> ids = new LinkedHashSet<>();
      if (userIdValue != null) {
        ids.add(checkUserId(userIdValue, "user_id"));
      }
      if (userIdsValue != null) {
        if (!(userIdsValue instanceof JsonArray array)) {
          throw new InvalidNotificationException("user_ids: must be an array of strings");
        }
        if (array.isEmpty()) {
          throw new InvalidNotificationException("user_ids: must not be empty");
        }
        if (array.size() > MAX_USER_IDS) {
          throw new InvalidNotificationException("user_ids: more than " + MAX_USER_IDS + " entries");
        }
        for (int i = 0; i < array.size(); i++) {
          ids.add(checkUserId(array.getValue(i), "user_ids[" + i + "]"));
        }
      }
      if (ids.size() > MAX_USER_IDS) {
        throw new InvalidNotificationException("user_ids: more than " + MAX_USER_IDS + " entries");
      }
      return Optional.of(new Target.Users(tenant, new ArrayList<>(ids)));
    }
    if (topic) {
      if (!(topicValue instanceof String t)) {
        throw new InvalidNotificationException("topic: must be a string");
      }
      checkIdShape(t, "topic");
      if (!Ids.isValidTopic(t)) {
        throw new InvalidNotificationException("topic: invalid characters");
      }
      return Optional.of(new Target.Topic(tenant, t));
    }
    if (broadcast) {
      return Optional.of(new Target.Broadcast(tenant));
    }
    return Optional.empty();
  }

  private static String checkUserId(Object value, String field) {
    if (!(value instanceof String id)) {
      throw new InvalidNotificationException(field + ": must be a string");
    }
    checkIdShape(id, field);
    if (!Ids.isValidUserId(id)) {
      throw new InvalidNotificationException(field + ": invalid characters");
    }
    return id;
  }

  private static void checkIdShape(String id, String field) {
    if (id.isEmpty()) {
      throw new InvalidNotificationException(field + ": must not be empty");
    }
    if (id.length() > Ids.MAX_ID_LENGTH) {
      throw new InvalidNotificationException(field + ": longer than " + Ids.MAX_ID_LENGTH + " characters");
    }
  }

  private static String tenantOf(JsonObject msg) {
    Object value = msg.getValue("tenant_id");
    if (value == null) {
      return Ids.DEFAULT_TENANT;
    }
    if (!(value instanceof String tenant)) {
      throw new InvalidNotificationException("tenant_id: must be a string");
    }
    if (tenant.isEmpty()) {
      return Ids.DEFAULT_TENANT;
    }
    if (tenant.length() > Ids.MAX_TENANT_LENGTH) {
      throw new InvalidNotificationException("tenant_id: longer than " + Ids.MAX_TENANT_LENGTH + " characters");
    }
    if (!Ids.isValidTenant(tenant)) {
      throw new InvalidNotificationException("tenant_id: invalid characters");
    }
    return tenant;
  }

  // ---------------------------------------------------------------------------------------------
  // Scalar fields
  // ---------------------------------------------------------------------------------------------

  private static void requireMessage(JsonObject msg) {
    if (msg == null) {
      throw new InvalidNotificationException("payload is not a JSON object");
    }
  }

  private static String parseId(JsonObject msg) {
    Object value = msg.getValue("id");
    if (value == null) {
      return UUID.randomUUID().toString();
    }
    if (!(value instanceof String id)) {
      throw new InvalidNotificationException("id: must be a string");
    }
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw new InvalidNotificationException("id: must be 1 to " + MAX_ID_LENGTH + " characters");
    }
    if (!NOTIFICATION_ID.matcher(id).matches()) {
      throw new InvalidNotificationException("id: invalid characters");
    }
    return id;
  }

  private static String optionalString(JsonObject json, String key, String field) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw new InvalidNotificationException(field + ": must be a string");
    }
    return s;
  }

  private static JsonObject optionalObject(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject o)) {
      throw new InvalidNotificationException(key + ": must be an object");
    }
    return o;
  }

  private static void checkMaxLength(String value, int max, String field) {
    if (value.length() > max) {
      throw new InvalidNotificationException(field + ": longer than " + max + " characters");
    }
  }

  private static Priority parsePriority(Object value, String field) {
    if (!(value instanceof String text)) {
      throw new InvalidNotificationException(field + ": must be a string");
    }
    return Priority.parse(text).orElseThrow(() -> new InvalidNotificationException(field + ": unknown value" + echo(text)));
  }

  /** Absent (null) means now; an ISO-8601 instant or offset date-time; or epoch seconds (< 1e11) / millis. */
  private static Instant parseTimestamp(Object value, String field) {
    if (value == null) {
      return Instant.now();
    }
    if (value instanceof String text) {
      try {
        return Instant.parse(text);
      } catch (DateTimeException e) {
        try {
          return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeException e2) {
          throw new InvalidNotificationException(field + ": not an ISO-8601 date-time");
        }
      }
    }
    if (value instanceof Number number) {
      try {
        BigDecimal n = number instanceof BigDecimal d ? d : new BigDecimal(number.toString());
        BigDecimal seconds = n.abs().compareTo(BigDecimal.valueOf(100_000_000_000L)) < 0 ? n : n.movePointLeft(3);
        BigDecimal whole = seconds.setScale(0, java.math.RoundingMode.FLOOR);
        long nanos = seconds.subtract(whole).movePointRight(9).setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
        return Instant.ofEpochSecond(whole.longValueExact(), nanos);
      } catch (ArithmeticException | NumberFormatException | DateTimeException e) {
        throw new InvalidNotificationException(field + ": epoch value out of range");
      }
    }
    throw new InvalidNotificationException(field + ": must be an ISO-8601 string or epoch number");
  }

  /** {@code " 'value'"} when the value is short and plain enough to quote in a reason, else empty. */
  private static String echo(String value) {
    if (value.length() <= MAX_ECHOED_LENGTH && ECHOABLE.matcher(value).matches()) {
      return " '" + value + "'";
    }
    return "";
  }

  /** Percent-encodes everything but RFC 3986 unreserved characters, so a value stays one path segment. */
  private static String encodePathSegment(String value) {
    StringBuilder out = new StringBuilder(value.length());
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  @Override
  public String toString() {
    return "NotificationMapper[explorers=" + explorers.keySet() + ", redisChannelPrefix=" + redisChannelPrefix + "]";
  }
}
