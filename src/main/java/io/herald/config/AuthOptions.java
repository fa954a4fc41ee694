package io.herald.config;

import java.nio.charset.StandardCharsets;

/**
 * How clients authenticate: the keys verifying JWTs (HS256 secret, RS256/ES256 public key) and the claims they must
 * carry, the time a new connection has to authenticate, the grace after a token expires, and how often a Knox token is
 * looked up again. Each setter refuses an invalid value with a {@link ConfigException} naming the key (never showing a
 * secret); {@link #toString()} shows the keys as JSON with {@code jwt_secret} redacted.
 */
public final class AuthOptions {

  /** Default time allowed to authenticate after connecting, in seconds = {@value}. */
  public static final int DEFAULT_AUTH_TIMEOUT_SECS = 10;
  /** Default delay before closing a connection whose token expired, in seconds = {@value}. */
  public static final int DEFAULT_EXPIRED_CLOSE_DELAY_SECS = 25;
  /** Default interval between re-checks of a Knox token against its record, in seconds = {@value} (0: never). */
  public static final int DEFAULT_AUTH_RECHECK_SECS = 60;

  private String jwtSecret;
  private String jwtPublicKey;
  private String jwtIssuer;
  private String jwtAudience;
  private int authTimeoutSecs;
  private int expiredCloseDelaySecs;
  private int authRecheckSecs;

  /**
   * Creates the section with every default.
   */
  public AuthOptions() {
    jwtSecret = null;
    jwtPublicKey = null;
    jwtIssuer = null;
    jwtAudience = null;
    authTimeoutSecs = DEFAULT_AUTH_TIMEOUT_SECS;
    expiredCloseDelaySecs = DEFAULT_EXPIRED_CLOSE_DELAY_SECS;
    authRecheckSecs = DEFAULT_AUTH_RECHECK_SECS;
  }

  /**
   * Copy constructor: the copy is independent of {@code other}.
   *
   * @param other the section to copy
   */
  public AuthOptions(AuthOptions other) {
    jwtSecret = other.jwtSecret;
    jwtPublicKey = other.jwtPublicKey;
    jwtIssuer = other.jwtIssuer;
    jwtAudience = other.jwtAudience;
    authTimeoutSecs = other.authTimeoutSecs;
    expiredCloseDelaySecs = other.expiredCloseDelaySecs;
    authRecheckSecs = other.authRecheckSecs;
  }

  /**
   * @return the HS256 JWT secret ({@code jwt_secret}), or null
   */
  public String getJwtSecret() {
    return jwtSecret;
  }

  /**
   * Sets the shared secret verifying HS256 JWTs (secret; redacted in logs). Key {@code jwt_secret}, env
   * {@code JWT_SECRET}; at least 32 bytes (UTF-8) when set. Default null.
   *
   * @param jwtSecret the secret, or null
   * @return this
   */
  public AuthOptions setJwtSecret(String jwtSecret) {
    if (jwtSecret != null) {
      int bytes = jwtSecret.getBytes(StandardCharsets.UTF_8).length;
      if (bytes < 32) {
        throw new ConfigException("jwt_secret", "must be at least 32 bytes for HS256 (got " + bytes + " bytes)");
      }
    }
    this.jwtSecret = jwtSecret;
    return this;
  }

  /**
   * @return the PEM public key verifying RS256/ES256 JWTs ({@code jwt_public_key}), or null
   */
  public String getJwtPublicKey() {
    return jwtPublicKey;
  }

  /**
   * Sets the PEM public key verifying RS256 or ES256 JWTs. Key {@code jwt_public_key}, env
   * {@code JWT_PUBLIC_KEY}; must contain {@code -----BEGIN PUBLIC KEY-----} when set. Default null.
   *
   * @param jwtPublicKey the PEM text, or null
   * @return this
   */
  public AuthOptions setJwtPublicKey(String jwtPublicKey) {
    if (jwtPublicKey != null && !jwtPublicKey.contains("-----BEGIN PUBLIC KEY-----")) {
      throw new ConfigException("jwt_public_key",
          "must be a PEM public key containing \"-----BEGIN PUBLIC KEY-----\" (RS256 or ES256)");
    }
    this.jwtPublicKey = jwtPublicKey;
    return this;
  }

  /**
   * @return the required JWT issuer ({@code jwt_issuer}), or null for any
   */
  public String getJwtIssuer() {
    return jwtIssuer;
  }

  /**
   * Sets the issuer ({@code iss}) JWTs must carry. Key {@code jwt_issuer}, env {@code JWT_ISSUER}. Default null
   * (not checked).
   *
   * @param jwtIssuer the issuer, or null
   * @return this
   */
  public AuthOptions setJwtIssuer(String jwtIssuer) {
    this.jwtIssuer = jwtIssuer;
    return this;
  }

  /**
   * @return the required JWT audience ({@code jwt_audience}), or null for any
   */
  public String getJwtAudience() {
    return jwtAudience;
  }

  /**
   * Sets the audience ({@code aud}) JWTs must carry. Key {@code jwt_audience}, env {@code JWT_AUDIENCE}. Default
   * null (not checked).
   *
   * @param jwtAudience the audience, or null
   * @return this
   */
  public AuthOptions setJwtAudience(String jwtAudience) {
    this.jwtAudience = jwtAudience;
    return this;
  }

  /**
   * @return the authentication timeout in seconds ({@code auth_timeout_secs})
   */
  public int getAuthTimeoutSecs() {
    return authTimeoutSecs;
  }

  /**
   * Sets how long a new connection has to authenticate before it is closed, in seconds. Key
   * {@code auth_timeout_secs}, env {@code AUTH_TIMEOUT_SECS}; &gt;= 1. Default {@value #DEFAULT_AUTH_TIMEOUT_SECS}.
   *
   * @param authTimeoutSecs the timeout in seconds
   * @return this
   */
  public AuthOptions setAuthTimeoutSecs(int authTimeoutSecs) {
    this.authTimeoutSecs = Checks.min("auth_timeout_secs", authTimeoutSecs, 1);
    return this;
  }

  /**
   * @return the delay before closing a connection whose token expired, in seconds ({@code expired_close_delay_secs})
   */
  public int getExpiredCloseDelaySecs() {
    return expiredCloseDelaySecs;
  }

  /**
   * Sets how long a connection whose token expired may stay open (to re-authenticate) before it is closed, in
   * seconds. Key {@code expired_close_delay_secs}, env {@code EXPIRED_CLOSE_DELAY_SECS}; &gt;= 0. Default
   * {@value #DEFAULT_EXPIRED_CLOSE_DELAY_SECS}.
   *
   * @param expiredCloseDelaySecs the delay in seconds
   * @return this
   */
  public AuthOptions setExpiredCloseDelaySecs(int expiredCloseDelaySecs) {
    this.expiredCloseDelaySecs = Checks.min("expired_close_delay_secs", expiredCloseDelaySecs, 0);
    return this;
  }

  /**
   * @return the interval between re-checks of a Knox-authenticated connection's token, in seconds
   *     ({@code auth_recheck_secs}); 0 means never
   */
  public int getAuthRecheckSecs() {
    return authRecheckSecs;
  }

  /**
   * Sets how often a connection authenticated with a Knox token looks its token up again, in seconds: a record
   * deleted (logout, revocation) or expired since closes the connection with 4001. JWTs are not re-checked (they
   * carry their expiry). Key {@code auth_recheck_secs}, env {@code AUTH_RECHECK_SECS}; &gt;= 0, 0 turns re-checks
   * off. Default {@value #DEFAULT_AUTH_RECHECK_SECS}.
   *
   * @param authRecheckSecs the interval in seconds
   * @return this
   */
  public AuthOptions setAuthRecheckSecs(int authRecheckSecs) {
    this.authRecheckSecs = Checks.min("auth_recheck_secs", authRecheckSecs, 0);
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
