package io.herald.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A connection's filters. Each field restricts one property of a notification; an empty set means
 * "no restriction" on that field. A notification passes when it passes every field.
 *
 * <ul>
 *   <li>{@code priorities}: the notification's priority is one of them;</li>
 *   <li>{@code alert_ids}: its alert id is one of them (a notification with no alert id does not pass);</li>
 *   <li>{@code chains}: its {@code details.chain} is one of them, compared case-insensitively.</li>
 * </ul>
 */
public record Filters(Set<Priority> priorities, Set<String> alertIds, Set<String> chains) {

  /** Longest accepted list per field; a longer one is refused as invalid input. */
  public static final int MAX_VALUES_PER_FIELD = 256;

  public static final Filters NONE = new Filters(Set.of(), Set.of(), Set.of());

  public Filters {
    priorities = priorities.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(priorities));
    alertIds = Set.copyOf(alertIds);
    chains = chains.stream().map(c -> c.toLowerCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.toUnmodifiableSet());
  }

  public boolean accepts(Notification n) {
    if (!priorities.isEmpty() && !priorities.contains(n.priority())) {
      return false;
    }
    if (!alertIds.isEmpty() && (n.alertId() == null || !alertIds.contains(n.alertId()))) {
      return false;
    }
    return chains.isEmpty() || (n.chain() != null && chains.contains(n.chain().toLowerCase(java.util.Locale.ROOT)));
  }

  /**
   * Parses the {@code filters} object of a Subscribe message. A missing or null object, and missing,
   * null or empty lists, mean no restriction.
   *
   * @throws IllegalArgumentException with a client-safe reason when a field has the wrong shape
   */
  public static Filters fromJson(JsonObject json) {
    if (json == null) {
      return NONE;
    }
    Set<Priority> priorities = EnumSet.noneOf(Priority.class);
    for (String p : strings(json, "priorities")) {
      priorities.add(Priority.parse(p).orElseThrow(() -> new IllegalArgumentException("unknown priority '" + truncate(p) + "'")));
    }
    return new Filters(priorities, Set.copyOf(strings(json, "alert_ids")), Set.copyOf(strings(json, "chains")));
  }

  public JsonObject toJson() {
    JsonArray p = new JsonArray();
    priorities.stream().sorted().forEach(x -> p.add(x.wireName()));
    return new JsonObject()
        .put("priorities", p)
        .put("alert_ids", new JsonArray(alertIds.stream().sorted().toList()))
        .put("chains", new JsonArray(chains.stream().sorted().toList()));
  }

  private static List<String> strings(JsonObject json, String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw new IllegalArgumentException("filters." + field + " must be an array of strings");
    }
    if (array.size() > MAX_VALUES_PER_FIELD) {
      throw new IllegalArgumentException("filters." + field + " has more than " + MAX_VALUES_PER_FIELD + " values");
    }
    List<String> out = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof String s) || s.isEmpty() || s.length() > Ids.MAX_ID_LENGTH) {
        throw new IllegalArgumentException("filters." + field + " must hold non-empty strings of at most " + Ids.MAX_ID_LENGTH + " characters");
      }
      out.add(s);
    }
    return out;
  }

  private static String truncate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }
}
