package io.herald.cli;

import io.herald.config.ConfigException;
import io.herald.config.HeraldOptions;
import java.nio.file.Path;
import java.util.HashMap;
import picocli.CommandLine.Option;

/** The {@code --conf} option shared by every command: a JSON file, else {@code HERALD_CONF}; the environment overrides it. */
final class ConfigOption {

  @Option(names = "--conf", paramLabel = "FILE", description = "JSON configuration file (default: $HERALD_CONF, else built-in defaults).")
  Path file;

  HeraldOptions load() {
    return HeraldOptions.load(chosenFile(), new HashMap<>(System.getenv()));
  }

  /** The configuration file in use: {@code --conf}, else {@code HERALD_CONF}, else null (built-in defaults). */
  Path chosenFile() {
    String fromEnv = System.getenv("HERALD_CONF");
    if (file == null && fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    return file;
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
