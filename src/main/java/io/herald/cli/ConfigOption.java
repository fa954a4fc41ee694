package io.herald.cli;

import io.herald.config.ConfigException;
import io.herald.config.HeraldOptions;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code --conf} option shared by every command: a JSON file, else {@code HERALD_CONF}; the environment overrides it. */
final class ConfigOption {

  @Option(names = "--conf", paramLabel = "FILE", description = "JSON configuration file (default: $HERALD_CONF, else built-in defaults).")
  Path file;

  HeraldOptions load() {
    Map<String, String> env = new HashMap<>(System.getenv());
    Path chosen = file;
    if (chosen == null && env.get("HERALD_CONF") != null && !env.get("HERALD_CONF").isBlank()) {
      chosen = Path.of(env.get("HERALD_CONF"));
    }
    return HeraldOptions.load(chosen, env);
  }

  /** The exit code of a command whose configuration is invalid. */
  static final int INVALID_CONFIGURATION_EXIT = 2;

  /**
   * {@link #load()}, or, when the configuration is invalid, prints {@code invalid configuration: <reason>} to
   * stderr and returns null: the caller then exits with {@link #INVALID_CONFIGURATION_EXIT}.
   */
  HeraldOptions loadOrReport() {
    try {
      return load();
    } catch (ConfigException e) {
      System.err.println("invalid configuration: " + e.getMessage());
      return null;
    }
  }
}
