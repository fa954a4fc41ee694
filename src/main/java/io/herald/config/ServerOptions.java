package io.herald.config;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The node's server: its identity, the address and port it listens on, its socket verticle instances, the WebSocket
 * frames it accepts and compresses, its log level and development mode. Each setter refuses an invalid value with a
 * {@link ConfigException} naming the key; {@link #toString()} shows the keys as JSON.
 */
public final class ServerOptions {

  /** Default WebSocket listen host = {@value}. */
  public static final String DEFAULT_WEBSOCKET_HOST = "0.0.0.0";
  /** Default WebSocket listen port = {@value}. */
  public static final int DEFAULT_WEBSOCKET_PORT = 8080;
  /** Default number of server verticle instances = {@value} (0 means one per CPU core the JVM sees). */
  public static final int DEFAULT_INSTANCES = 0;
  /** Default for permessage-deflate compression = {@value}. */
  public static final boolean DEFAULT_COMPRESSION = true;
  /** Default deflate compression level = {@value}. */
  public static final int DEFAULT_COMPRESSION_LEVEL = 6;
  /** Default maximum WebSocket frame size in bytes = {@value}. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 65536;
  /** Default time a client has to send a request's headers, in seconds = {@value}. */
  public static final int DEFAULT_REQUEST_HEADER_TIMEOUT_SECS = 10;
  /** Default log level = {@value}. */
  public static final String DEFAULT_LOG_LEVEL = "INFO";
  /** Default for the development mode = {@value} (no token or API key is ever handed out); only {@code herald run --dev} sets it. */
  public static final boolean DEFAULT_DEV_MODE = false;

  /** Accepted log levels. */
  public static final List<String> LOG_LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private String nodeId;
  private String websocketHost;
  private int websocketPort;
  private int instances;
  private boolean compression;
  private int compressionLevel;
  private int maxFrameBytes;
  private int requestHeaderTimeoutSecs;
  private String logLevel;
  private boolean devMode;

  /**
   * Creates the section with every default.
   */
  public ServerOptions() {
    nodeId = null;
    websocketHost = DEFAULT_WEBSOCKET_HOST;
    websocketPort = DEFAULT_WEBSOCKET_PORT;
    instances = DEFAULT_INSTANCES;
    compression = DEFAULT_COMPRESSION;
    compressionLevel = DEFAULT_COMPRESSION_LEVEL;
    maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    requestHeaderTimeoutSecs = DEFAULT_REQUEST_HEADER_TIMEOUT_SECS;
    logLevel = DEFAULT_LOG_LEVEL;
    devMode = DEFAULT_DEV_MODE;
  }

  /**
   * Copy constructor: the copy is independent of {@code other}.
   *
   * @param other the section to copy
   */
  public ServerOptions(ServerOptions other) {
    nodeId = other.nodeId;
    websocketHost = other.websocketHost;
    websocketPort = other.websocketPort;
    instances = other.instances;
    compression = other.compression;
    compressionLevel = other.compressionLevel;
    maxFrameBytes = other.maxFrameBytes;
    requestHeaderTimeoutSecs = other.requestHeaderTimeoutSecs;
    logLevel = other.logLevel;
    devMode = other.devMode;
  }

  /**
   * @return the node identifier ({@code node_id}); null until {@link HeraldOptions#validate()} generates one
   */
  public String getNodeId() {
    return nodeId;
  }

  /**
   * Sets the node identifier, used in logs, metrics and cluster routing. Key {@code node_id}, env
   * {@code NODE_ID}; 1..64 characters of {@code [A-Za-z0-9_.-]}. Default null: {@link HeraldOptions#validate()} then
   * generates {@code "herald-" + 8 random hex chars}.
   *
   * @param nodeId the node id, or null to generate one
   * @return this
   */
  public ServerOptions setNodeId(String nodeId) {
    this.nodeId = nodeId == null ? null
        : Checks.matching("node_id", nodeId, NODE_ID, "1..64 characters of [A-Za-z0-9_.-]");
    return this;
  }

  /**
   * @return the WebSocket listen host ({@code websocket_host})
   */
  public String getWebsocketHost() {
    return websocketHost;
  }

  /**
   * Sets the host/interface the WebSocket server binds. Key {@code websocket_host}, env {@code WEBSOCKET_HOST};
   * non-empty. Default {@value #DEFAULT_WEBSOCKET_HOST}.
   *
   * @param websocketHost the host
   * @return this
   */
  public ServerOptions setWebsocketHost(String websocketHost) {
    if (websocketHost == null || websocketHost.isBlank()) {
      throw new ConfigException("websocket_host", "must be non-empty");
    }
    this.websocketHost = websocketHost;
    return this;
  }

  /**
   * @return the WebSocket listen port ({@code websocket_port})
   */
  public int getWebsocketPort() {
    return websocketPort;
  }

  /**
   * Sets the TCP port the WebSocket server listens on. Key {@code websocket_port}, env {@code WEBSOCKET_PORT};
   * 0..65535, 0 meaning an ephemeral port. Default {@value #DEFAULT_WEBSOCKET_PORT}.
   *
   * @param websocketPort the port
   * @return this
   */
  public ServerOptions setWebsocketPort(int websocketPort) {
    this.websocketPort = Checks.range("websocket_port", websocketPort, 0, 65535);
    return this;
  }

  /**
   * @return the number of server verticle instances ({@code instances}); 0 means one per CPU core the JVM sees
   */
  public int getInstances() {
    return instances;
  }

  /**
   * Sets the number of WebSocket server verticle instances. Key {@code instances}, env {@code INSTANCES};
   * &gt;= 0. Default {@value #DEFAULT_INSTANCES}, meaning one per CPU core the JVM sees
   * ({@code Runtime.availableProcessors()}, which follows a container's CPU limit).
   *
   * @param instances the instance count
   * @return this
   */
  public ServerOptions setInstances(int instances) {
    this.instances = Checks.min("instances", instances, 0);
    return this;
  }

  /**
   * @return whether permessage-deflate compression is enabled ({@code compression})
   */
  public boolean isCompression() {
    return compression;
  }

  /**
   * Enables WebSocket permessage-deflate compression. Key {@code compression}, env {@code COMPRESSION}. Default
   * {@value #DEFAULT_COMPRESSION}.
   *
   * @param compression whether to compress
   * @return this
   */
  public ServerOptions setCompression(boolean compression) {
    this.compression = compression;
    return this;
  }

  /**
   * @return the deflate compression level ({@code compression_level})
   */
  public int getCompressionLevel() {
    return compressionLevel;
  }

  /**
   * Sets the deflate compression level (1 fastest .. 9 smallest). Key {@code compression_level}, env
   * {@code COMPRESSION_LEVEL}; 1..9. Default {@value #DEFAULT_COMPRESSION_LEVEL}.
   *
   * @param compressionLevel the level
   * @return this
   */
  public ServerOptions setCompressionLevel(int compressionLevel) {
    this.compressionLevel = Checks.range("compression_level", compressionLevel, 1, 9);
    return this;
  }

  /**
   * @return the maximum WebSocket frame size in bytes ({@code max_frame_bytes})
   */
  public int getMaxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * Sets the maximum size of a WebSocket frame/message accepted from a client, in bytes. Key
   * {@code max_frame_bytes}, env {@code MAX_FRAME_BYTES}; &gt;= 256. Default {@value #DEFAULT_MAX_FRAME_BYTES}.
   *
   * @param maxFrameBytes the size in bytes
   * @return this
   */
  public ServerOptions setMaxFrameBytes(int maxFrameBytes) {
    this.maxFrameBytes = Checks.min("max_frame_bytes", maxFrameBytes, 256);
    return this;
  }

  /**
   * @return the time a client has to complete a request's headers, in seconds ({@code request_header_timeout_secs})
   */
  public int getRequestHeaderTimeoutSecs() {
    return requestHeaderTimeoutSecs;
  }

  /**
   * Sets how long a client has to send the request line and headers of a request (an upgrade included), in seconds,
   * counted from the request's first byte. A request whose headers are not complete by then is answered 408 and its
   * connection closed (slowloris); a connection that sends no byte at all is closed so after
   * {@code connection_timeout_secs}. Key
   * {@code request_header_timeout_secs}, env {@code REQUEST_HEADER_TIMEOUT_SECS}; 1..300. Default
   * {@value #DEFAULT_REQUEST_HEADER_TIMEOUT_SECS}.
   *
   * @param requestHeaderTimeoutSecs the timeout in seconds
   * @return this
   */
  public ServerOptions setRequestHeaderTimeoutSecs(int requestHeaderTimeoutSecs) {
    this.requestHeaderTimeoutSecs = Checks.range("request_header_timeout_secs", requestHeaderTimeoutSecs, 1, 300);
    return this;
  }

  /**
   * @return the log level ({@code log_level}), upper case
   */
  public String getLogLevel() {
    return logLevel;
  }

  /**
   * Sets the root log level: TRACE, DEBUG, INFO, WARN or ERROR (case-insensitive, stored upper case). Key
   * {@code log_level}, env {@code LOG_LEVEL}. Default {@value #DEFAULT_LOG_LEVEL}.
   *
   * @param logLevel the level
   * @return this
   */
  public ServerOptions setLogLevel(String logLevel) {
    String level = logLevel == null ? null : logLevel.trim().toUpperCase(Locale.ROOT);
    if (level == null || !LOG_LEVELS.contains(level)) {
      throw new ConfigException("log_level", "must be one of " + String.join(", ", LOG_LEVELS)
          + " (got " + (level == null ? "null" : "'" + level + "'") + ")");
    }
    this.logLevel = level;
    return this;
  }

  /**
   * @return whether the node serves the development session (development mode, {@code herald run --dev})
   */
  public boolean isDevMode() {
    return devMode;
  }

  /**
   * Development mode: the node serves {@code GET /dev/session} (to loopback clients that name this machine in their
   * {@code Host} and come through no proxy), which hands out a fresh token for the demo user and the API key, so
   * that the notification-center page at {@code /} connects and publishes with no other step. Not a configuration
   * key: only {@code herald run --dev} ({@code scripts/run}) turns it on, with secrets it generated itself, and
   * refuses to with a configuration file, Redis, NATS or a cluster. Needs {@code jwt_secret} and {@code api_key} (checked by {@link HeraldOptions#validate()}).
   * Default {@value #DEFAULT_DEV_MODE}.
   *
   * @param devMode whether to serve the development session
   * @return this
   */
  public ServerOptions setDevMode(boolean devMode) {
    this.devMode = devMode;
    return this;
  }

  /**
   * @return this section's keys as JSON, secrets redacted: safe to log
   */
  @Override
  public String toString() {
    return ConfigKeys.toRedactedJson(this).encode();
  }
}
