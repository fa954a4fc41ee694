package io.herald.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules the section setters apply to one value, each failing with a {@link ConfigException} that names the key
 * (the message texts are part of the operator's interface: keep them word for word).
 */
final class Checks {

  private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9_.:@-]{1,128}");
  private static final Pattern ORIGIN = Pattern.compile(
      "[A-Za-z][A-Za-z0-9+.-]*://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(:([0-9]{1,5}))?");
  private static final Pattern WHITESPACE = Pattern.compile("\\s");

  private Checks() {
  }

  static int min(String key, int value, int min) {
    if (value < min) {
      throw new ConfigException(key, "must be >= " + min + " (got " + value + ")");
    }
    return value;
  }

  static int range(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new ConfigException(key, "must be between " + min + " and " + max + " (got " + value + ")");
    }
    return value;
  }

  /** A non-empty value without whitespace (a subject, a queue group, a channel prefix). */
  static String token(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new ConfigException(key, "must be non-empty");
    }
    if (WHITESPACE.matcher(value).find()) {
      throw new ConfigException(key, "must not contain spaces (got '" + value + "')");
    }
    return value;
  }

  /** A value matching {@code pattern}, described as {@code what} (e.g. "1..64 characters of [A-Za-z0-9_.-]"). */
  static String matching(String key, String value, Pattern pattern, String what) {
    if (value == null || !pattern.matcher(value).matches()) {
      throw new ConfigException(key, "must be " + what + " (got "
          + (value == null ? "null" : "'" + value + "'") + ")");
    }
    return value;
  }

  /** A secret of at least {@code min} characters when set; its value never appears in the message. */
  static String minLength(String key, String secret, int min) {
    if (secret != null && secret.length() < min) {
      throw new ConfigException(key, "must be at least " + min + " characters (got " + secret.length() + ")");
    }
    return secret;
  }

  /** Copies a topic list (null meaning empty), each topic matching {@code [A-Za-z0-9_.:@-]{1,128}}. */
  static List<String> topics(String key, List<String> topics) {
    List<String> copy = topics == null ? List.of() : List.copyOf(topics);
    for (String topic : copy) {
      if (!TOPIC.matcher(topic).matches()) {
        throw new ConfigException(key, "each topic must match [A-Za-z0-9_.:@-]{1,128} (got '" + topic + "')");
      }
    }
    return copy;
  }

  /** Copies an origin list (null meaning empty), each entry {@code "*"} or {@code scheme://host[:port]}. */
  static List<String> origins(String key, List<String> origins) {
    List<String> copy = origins == null ? List.of() : List.copyOf(origins);
    for (String origin : copy) {
      if (!isOrigin(origin)) {
        throw new ConfigException(key, "each entry must be \"*\" or an origin scheme://host[:port]"
            + " without path (got '" + origin + "')");
      }
    }
    return copy;
  }

  /** Copies a proxy list (null meaning empty), each entry an IP address or a CIDR range. */
  static List<String> ipRanges(String key, List<String> ranges) {
    List<String> copy = ranges == null ? List.of() : List.copyOf(ranges);
    for (String range : copy) {
      if (IpRange.parse(range) == null) {
        throw new ConfigException(key, "each entry must be an IP address or a CIDR range such as"
            + " 10.0.0.0/8 (got '" + range + "')");
      }
    }
    return copy;
  }

  /** Checks explorer URL templates: a non-empty chain name, an http(s) URL containing {@code {hash}}. */
  static void explorers(String key, Map<String, String> explorers) {
    for (Map.Entry<String, String> e : explorers.entrySet()) {
      String url = e.getValue();
      if (e.getKey().isBlank()) {
        throw new ConfigException(key, "chain names must be non-empty");
      }
      if (!url.contains("{hash}") || !hasScheme(url, "http://", "https://")) {
        throw new ConfigException(key, "URL template for '" + e.getKey()
            + "' must start with http:// or https:// and contain {hash} (got '" + url + "')");
      }
    }
  }

  /** Whether {@code url} starts with one of the schemes (case-insensitive) and has something after it. */
  static boolean hasScheme(String url, String... schemes) {
    for (String scheme : schemes) {
      if (url.regionMatches(true, 0, scheme, 0, scheme.length()) && url.length() > scheme.length()) {
        return true;
      }
    }
    return false;
  }

  private static boolean isOrigin(String origin) {
    if ("*".equals(origin)) {
      return true;
    }
    var m = ORIGIN.matcher(origin);
    if (!m.matches()) {
      return false;
    }
    return m.group(3) == null || Integer.parseInt(m.group(3)) <= 65535;
  }
}
