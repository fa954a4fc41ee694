package io.herald.config;

import io.herald.config.ConfigKeys.Key;
import io.herald.config.ConfigKeys.Kind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads options in layers: built-in defaults, then a JSON file, then the environment. Each value read is handed to
 * its section's setter, which refuses it when invalid; a value of the wrong JSON type, or an environment value that
 * does not parse, is refused here. Both name the key.
 */
final class ConfigLoader {

  private ConfigLoader() {
  }

  /** See {@link HeraldOptions#load(Path, Map)}. */
  static HeraldOptions load(Path configFileOrNull, Map<String, String> env) {
    HeraldOptions options;
    if (configFileOrNull != null) {
      String text;
      try {
        text = Files.readString(configFileOrNull, StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw new ConfigException("config_file", "cannot read " + configFileOrNull + " (" + e + ")", e);
      }
      JsonObject json;
      try {
        json = new JsonObject(text);
      } catch (RuntimeException e) {
        throw new ConfigException("config_file", configFileOrNull + " is not a valid JSON object ("
            + e.getMessage() + ")", e);
      }
      options = fromJson(json);
    } else {
      options = new HeraldOptions();
    }
    applyEnv(options, env);
    return options.validate();
  }

  /** See {@link HeraldOptions#fromJson(JsonObject)}. */
  static HeraldOptions fromJson(JsonObject json) {
    HeraldOptions options = new HeraldOptions();
    if (json == null) {
      return options;
    }
    for (String name : json.fieldNames()) {
      if (name.startsWith("_") || name.startsWith("//")) {
        continue;
      }
      Key key = ConfigKeys.named(name);
      if (key == null && name.equals("dev_mode")) {
        // A key of earlier versions: a file that still has it says what replaced it.
        throw new ConfigException(name, "no longer a configuration key: development mode is herald run --dev"
            + " (scripts/run), never with a configuration file");
      }
      if (key == null) {
        throw new ConfigException(name, "unknown configuration key");
      }
      key.set(options, fromJsonValue(key.name(), key.kind(), json.getValue(name)));
    }
    return options;
  }

  /** See {@link HeraldOptions#applyEnv(Map)}. */
  static void applyEnv(HeraldOptions options, Map<String, String> env) {
    if (env == null || env.isEmpty()) {
      return;
    }
    for (Key key : ConfigKeys.all()) {
      for (String envName : key.envNames()) {
        String raw = env.get(envName);
        if (raw == null || raw.isBlank()) {
          continue;
        }
        key.set(options, fromEnvValue(key, envName, raw.trim()));
        break;
      }
    }
  }

  private static Object fromJsonValue(String key, Kind kind, Object v) {
    switch (kind) {
      case STRING:
        if (v == null) {
          return null;
        }
        if (v instanceof CharSequence) {
          return v.toString();
        }
        throw wrongType(key, "a string or null", v);
      case INT:
        return toInt(key, v);
      case BOOL:
        if (v instanceof Boolean) {
          return v;
        }
        throw wrongType(key, "a boolean", v);
      case LIST: {
        if (!(v instanceof JsonArray)) {
          throw wrongType(key, "an array of strings", v);
        }
        JsonArray array = (JsonArray) v;
        List<String> list = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
          Object item = array.getValue(i);
          if (!(item instanceof CharSequence)) {
            throw new ConfigException(key, "must be an array of strings (element " + i + " is "
                + jsonType(item) + ")");
          }
          list.add(item.toString());
        }
        return list;
      }
      case MAP: {
        if (!(v instanceof JsonObject)) {
          throw wrongType(key, "an object of strings", v);
        }
        JsonObject object = (JsonObject) v;
        Map<String, String> map = new LinkedHashMap<>();
        for (String name : object.fieldNames()) {
          Object item = object.getValue(name);
          if (!(item instanceof CharSequence)) {
            throw new ConfigException(key, "must be an object of strings (\"" + name + "\" is "
                + jsonType(item) + ")");
          }
          map.put(name, item.toString());
        }
        return map;
      }
      default:
        throw new AssertionError(kind);
    }
  }

  private static Object fromEnvValue(Key opt, String envName, String value) {
    String key = opt.name();
    switch (opt.kind()) {
      case STRING:
        return value;
      case INT:
        try {
          return Integer.parseInt(value);
        } catch (NumberFormatException e) {
          throw new ConfigException(key, "environment variable " + envName + " must be an integer (got '"
              + value + "')");
        }
      case BOOL:
        switch (value.toLowerCase(Locale.ROOT)) {
          case "true": case "1": case "yes": case "on":
            return Boolean.TRUE;
          case "false": case "0": case "no": case "off":
            return Boolean.FALSE;
          default:
            throw new ConfigException(key, "environment variable " + envName + " must be true or false (got '"
                + value + "')");
        }
      case LIST: {
        List<String> list = new ArrayList<>();
        for (String part : value.split(",")) {
          String item = part.trim();
          if (!item.isEmpty()) {
            list.add(item);
          }
        }
        return list;
      }
      case MAP: {
        JsonObject json;
        try {
          json = new JsonObject(value);
        } catch (RuntimeException e) {
          throw new ConfigException(key, "environment variable " + envName + " must be a JSON object ("
              + e.getMessage() + ")", e);
        }
        return fromJsonValue(key, Kind.MAP, json);
      }
      default:
        throw new AssertionError(opt.kind());
    }
  }

  private static int toInt(String key, Object v) {
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).intValue();
    }
    if (v instanceof Number) {
      try {
        if (v instanceof Long) {
          return Math.toIntExact((Long) v);
        }
        if (v instanceof BigInteger) {
          return ((BigInteger) v).intValueExact();
        }
        if (v instanceof BigDecimal) {
          return ((BigDecimal) v).intValueExact();
        }
      } catch (ArithmeticException e) {
        throw new ConfigException(key, "must be a 32-bit integer (got " + v + ")");
      }
      double d = ((Number) v).doubleValue();
      if (d == Math.rint(d) && d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE) {
        return (int) d;
      }
      throw new ConfigException(key, "must be a 32-bit integer (got " + v + ")");
    }
    throw wrongType(key, "an integer", v);
  }

  private static ConfigException wrongType(String key, String expected, Object v) {
    return new ConfigException(key, "must be " + expected + " (got " + jsonType(v) + ")");
  }

  private static String jsonType(Object v) {
    if (v == null) {
      return "null";
    } else if (v instanceof CharSequence) {
      return "string";
    } else if (v instanceof Number) {
      return "number";
    } else if (v instanceof Boolean) {
      return "boolean";
    } else if (v instanceof JsonArray || v instanceof List) {
      return "array";
    } else if (v instanceof JsonObject || v instanceof Map) {
      return "object";
    }
    return v.getClass().getSimpleName();
  }
}
