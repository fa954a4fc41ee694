package io.herald.model;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What a JSON message must be for a notification made of it to be stored, forwarded and delivered as it was published:
 * nested at most {@link #MAX_DEPTH} levels, and every number finite.
 */
public final class JsonLimits {

  /**
   * Deepest nesting of objects and arrays in an ingress message, the message itself being level 1: 32. Far beyond any
   * real payload, and far from the 1,000 levels Jackson reads at most: the stored and forwarded forms wrap a
   * notification's details a few levels deeper (the canonical form, an offline-queue item, a bridge envelope, a
   * Resumed reply), and each must still decode.
   */
  public static final int MAX_DEPTH = 32;

  private JsonLimits() {
  }

  /**
   * Refuses {@code json} when it nests objects or arrays deeper than {@code maxDepth} levels (itself being level 1) or
   * holds a number that is not finite: a number beyond a double's range (such as {@code 1e400}) is read as infinity,
   * which JSON cannot carry (it would be written back as the string {@code "Infinity"}).
   *
   * @param what names the message in the refusal
   * @throws InvalidNotificationException naming the rule broken
   */
  public static void check(JsonObject json, int maxDepth, String what) {
    check(json, 1, maxDepth, what);
  }

  /**
   * Depth first, recursively: the recursion is at most {@code maxDepth + 1} calls deep (a value nested deeper is
   * refused before its children are visited), and, run for every notification, it allocates no stack of its own.
   */
  private static void check(Object value, int depth, int maxDepth, String what) {
    Collection<?> children;
    if (value instanceof JsonObject o) {
      children = o.getMap().values();
    } else if (value instanceof Map<?, ?> m) {
      children = m.values();
    } else if (value instanceof JsonArray a) {
      children = a.getList();
    } else if (value instanceof List<?> l) {
      children = l;
    } else {
      if ((value instanceof Double d && !Double.isFinite(d)) || (value instanceof Float f && !Float.isFinite(f))) {
        throw new InvalidNotificationException(what + ": a number out of range");
      }
      return;
    }
    if (depth > maxDepth) {
      throw new InvalidNotificationException(what + ": nested deeper than " + maxDepth + " levels");
    }
    for (Object child : children) {
      check(child, depth + 1, maxDepth, what);
    }
  }
}
