package io.herald.config;

/**
 * Thrown when Herald's configuration cannot be read, parsed or validated.
 * <p>
 * Every instance names the configuration key at fault ({@link #key()}); the exception message is
 * {@code "<key>: <message>"}, e.g. {@code "max_connections: must be >= 1 (got 0)"}. Messages never
 * contain the value of a secret (jwt_secret, api_key, URL passwords).
 */
public class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String key;

  /**
   * @param key     the snake_case configuration key at fault (or {@code "config_file"} for file-level errors)
   * @param message what is wrong with it
   */
  public ConfigException(String key, String message) {
    super(key + ": " + message);
    this.key = key;
  }

  /**
   * @param key     the snake_case configuration key at fault
   * @param message what is wrong with it
   * @param cause   the underlying error
   */
  public ConfigException(String key, String message, Throwable cause) {
    super(key + ": " + message, cause);
    this.key = key;
  }

  /**
   * @return the snake_case configuration key at fault
   */
  public String key() {
    return key;
  }
}
