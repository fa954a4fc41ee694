package io.herald.ingress;

import static io.herald.ingress.MessageFields.requireMessage;
import static io.herald.ingress.TargetFields.parseTarget;
import static io.herald.ingress.TargetFields.tenantOf;

import io.herald.model.InvalidNotificationException;
import io.herald.model.Notification;
import io.herald.model.Target;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Maps ingress messages (NATS, Redis pub/sub, HTTP API) into {@link Notification}s.
 *
 * <p>Pure and immutable, hence thread-safe: no I/O, no mutable state. Every failure is an
 * {@link InvalidNotificationException} whose reason names the offending field and never carries a
 * payload value longer than {@value MessageFields#MAX_ECHOED_LENGTH} characters (only short enumerated values
 * such as an unknown priority are ever echoed).
 *
 * <p>A message is handed over to the mapper: the notification keeps parts of it (its details, its original)
 * without copying them, so the caller must not change the message afterwards. The ingress maps each message it
 * has just parsed, and drops it.
 *
 * <p>Formats:
 * <ul>
 *   <li>NATS / canonical ({@link #fromNats}, {@link #fromCanonical}): the target fields {@code user_id},
 *       {@code user_ids}, {@code topic} or {@code broadcast: true} ({@link TargetFields}) plus content in the
 *       {@link AlertFormat}.</li>
 *   <li>Redis ({@link #fromRedis}): the channel decides the target ({@link RedisChannels}); the body is either
 *       the {@link RedisFormat} or the NATS format.</li>
 * </ul>
 */
public final class NotificationMapper {

  /** Most notifications one HTTP API body may hold: 1000. */
  public static final int MAX_HTTP_BATCH = 1000;

  private final BlockExplorers explorers;
  private final AlertFormat alertFormat;
  private final RedisChannels redisChannels;

  /**
   * @param explorers chain name (matched case-insensitively) to block-explorer URL template containing
   *     {@code {hash}}; null means none
   * @param redisChannelPrefix prefix of the Redis channels; null or empty means {@code notifications}
   * @throws IllegalArgumentException when a template is null or lacks {@code {hash}}
   */
  public NotificationMapper(Map<String, String> explorers, String redisChannelPrefix) {
    this.explorers = new BlockExplorers(explorers);
    this.alertFormat = new AlertFormat(this.explorers);
    this.redisChannels = new RedisChannels(redisChannelPrefix);
  }

  public String redisChannelPrefix() {
    return redisChannels.prefix();
  }

  /**
   * Longest NATS or Redis message payload decoded, in bytes: 1 MiB, as the HTTP body and NATS's default
   * {@code max_payload}. Redis pub/sub has no limit of its own, and a payload is decoded whole.
   */
  public static final int MAX_PAYLOAD_BYTES = 1024 * 1024;

  /** Decodes a raw message body that must be one JSON object of at most {@link #MAX_PAYLOAD_BYTES}. */
  public static JsonObject parseObject(Buffer raw) {
    if (raw == null || raw.length() == 0) {
      throw new InvalidNotificationException("payload is empty");
    }
    if (raw.length() > MAX_PAYLOAD_BYTES) {
      throw new InvalidNotificationException("payload is longer than " + MAX_PAYLOAD_BYTES + " bytes");
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

  /**
   * Maps the body of {@code POST /api/v1/notifications}: exactly one JSON value, an object (one notification) or an
   * array of 1 to {@value #MAX_HTTP_BATCH} objects, each mapped by {@link #fromCanonical}. Nothing is mapped unless
   * everything is valid; a refusal names the element ({@code [i] <reason>}).
   */
  public List<Notification> fromHttpBody(Buffer body) {
    Object parsed;
    try {
      parsed = body == null || body.length() == 0 ? null : Json.decodeValue(body);
    } catch (RuntimeException e) {
      // The decoder's message quotes the input: never pass it on.
      throw new InvalidNotificationException("body is not valid JSON");
    }
    if (parsed instanceof JsonObject single) {
      return List.of(fromCanonical(single));
    }
    if (!(parsed instanceof JsonArray array)) {
      throw new InvalidNotificationException("body: a JSON object or array expected");
    }
    if (array.isEmpty() || array.size() > MAX_HTTP_BATCH) {
      throw new InvalidNotificationException("body: an array of 1 to " + MAX_HTTP_BATCH + " notifications expected");
    }
    List<Notification> batch = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof JsonObject object)) {
        throw new InvalidNotificationException("[" + i + "]: a JSON object expected");
      }
      try {
        batch.add(fromCanonical(object));
      } catch (InvalidNotificationException e) {
        throw new InvalidNotificationException("[" + i + "] " + e.getMessage());
      }
    }
    return batch;
  }

  /** Maps a NATS message; the canonical format ({@link Notification#toJson()}) is accepted too. */
  public Notification fromNats(JsonObject msg) {
    requireMessage(msg);
    return alertFormat.toNotification(msg, parseTarget(msg, tenantOf(msg)).orElseThrow(TargetFields::noTarget));
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
    Target channelTarget = redisChannels.target(channel);
    requireMessage(msg);
    String tenant = tenantOf(msg);
    Target target = RedisChannels.withTenant(channelTarget, tenant);
    if (RedisFormat.matches(msg)) {
      return RedisFormat.toNotification(target, msg);
    }
    Optional<Target> own = parseTarget(msg, tenant);
    if (own.isPresent() && !own.get().equals(target)) {
      throw new InvalidNotificationException(RedisChannels.conflictingField(msg, target) + ": does not match the channel");
    }
    return alertFormat.toNotification(msg, target);
  }

  /**
   * The target a Redis channel names, in the default tenant: {@code <prefix>:user:<id>},
   * {@code <prefix>:channel:<id>} or {@code <prefix>:global}; empty for any other channel or an invalid id.
   */
  public Optional<Target> targetOfChannel(String channel) {
    try {
      return Optional.of(redisChannels.target(channel));
    } catch (InvalidNotificationException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return "NotificationMapper[explorers=" + explorers.chains() + ", redisChannelPrefix=" + redisChannels.prefix() + "]";
  }
}
