package io.herald.cluster;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;

/**
 * TLS with client certificates on the clustered event bus: the node-to-node TCP connections that carry every
 * notification between the nodes of a fleet. Each node presents its certificate and requires one from its peer,
 * both directions checked against the fleet's CA; a peer without such a certificate cannot connect, so it cannot
 * publish into any tenant's addresses. Vert.x 5.0 does not verify host names on these connections: a node's
 * identity is "holds a certificate signed by {@link #ca()}", so that CA must sign the fleet's nodes only.
 *
 * <p>Read from {@code HERALD_CLUSTER_TLS_*}; checked when built (files readable, PEM parsable, key store opens),
 * every error naming the variable. Paths may be logged; the key store password never is ({@link #toString()}).
 *
 * @param cert             PEM certificate (chain) of this node, {@code HERALD_CLUSTER_TLS_CERT}; with {@code key}
 * @param key              PEM private key of {@code cert} (PKCS#8, PKCS#1 RSA or SEC1 EC), {@code HERALD_CLUSTER_TLS_KEY}
 * @param keyStore         instead of cert and key: a PKCS#12 ({@code .p12}, {@code .pfx}) or JKS ({@code .jks}) key
 *                         store with this node's key and certificate, {@code HERALD_CLUSTER_TLS_KEYSTORE}
 * @param keyStorePassword password of {@code keyStore}, {@code HERALD_CLUSTER_TLS_KEYSTORE_PASSWORD}; null for none
 * @param ca               PEM certificate(s) of the CA that signs the fleet's node certificates,
 *                         {@code HERALD_CLUSTER_TLS_CA}
 */
public record EventBusTls(Path cert, Path key, Path keyStore, String keyStorePassword, Path ca) {

  static final String CERT = "HERALD_CLUSTER_TLS_CERT";
  static final String KEY = "HERALD_CLUSTER_TLS_KEY";
  static final String KEYSTORE = "HERALD_CLUSTER_TLS_KEYSTORE";
  static final String KEYSTORE_PASSWORD = "HERALD_CLUSTER_TLS_KEYSTORE_PASSWORD";
  static final String CA = "HERALD_CLUSTER_TLS_CA";

  /** Checks the combination and the files; throws {@link IllegalArgumentException} naming the variable. */
  public EventBusTls {
    if (ca == null) {
      throw new IllegalArgumentException(CA + ": required with event-bus TLS (the CA that signs the fleet's node "
          + "certificates; peers are checked against it)");
    }
    if (keyStore != null && (cert != null || key != null)) {
      throw new IllegalArgumentException(KEYSTORE + ": set either it or " + CERT + " and " + KEY + ", not both");
    }
    if (keyStorePassword != null && keyStore == null) {
      throw new IllegalArgumentException(KEYSTORE_PASSWORD + ": set without " + KEYSTORE);
    }
    if (cert != null && key == null) {
      throw new IllegalArgumentException(KEY + ": required with " + CERT);
    }
    if (key != null && cert == null) {
      throw new IllegalArgumentException(CERT + ": required with " + KEY);
    }
    if (cert == null && keyStore == null) {
      throw new IllegalArgumentException(CERT + " and " + KEY + " (or " + KEYSTORE + "): required with " + CA
          + " (each node presents its own certificate)");
    }
    checkCertificates(CA, ca);
    if (cert != null) {
      checkCertificates(CERT, cert);
      checkPrivateKey(key);
    } else {
      checkKeyStore(keyStore, keyStorePassword);
    }
  }

  /** A node presenting a PEM certificate and key. */
  public static EventBusTls pem(Path cert, Path key, Path ca) {
    return new EventBusTls(cert, key, null, null, ca);
  }

  /** A node presenting the key and certificate of a PKCS#12 or JKS key store. */
  public static EventBusTls keyStore(Path keyStore, String password, Path ca) {
    return new EventBusTls(null, null, keyStore, password, ca);
  }

  /** The settings from {@code HERALD_CLUSTER_TLS_*}, or null when none is set (plaintext event bus). */
  static EventBusTls fromEnv(Map<String, String> env) {
    Path cert = path(env, CERT);
    Path key = path(env, KEY);
    Path keyStore = path(env, KEYSTORE);
    Path ca = path(env, CA);
    String password = env.get(KEYSTORE_PASSWORD);
    if (cert == null && key == null && keyStore == null && ca == null && password == null) {
      return null;
    }
    return new EventBusTls(cert, key, keyStore, password, ca);
  }

  /**
   * Turns TLS on for both sides of the event bus: the server requires a client certificate, both check the CA.
   * {@code EventBusOptions} trusts every server certificate by default ({@code DEFAULT_TRUST_ALL = true}, which
   * makes the client ignore the trust options): a node would then send notifications to any host that registered
   * itself in the cluster, so trust-all is turned off.
   */
  void applyTo(EventBusOptions options) {
    options.setSsl(true)
        .setTrustAll(false)
        .setClientAuth(ClientAuth.REQUIRED)
        .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()))
        .setKeyCertOptions(keyCertOptions());
  }

  /**
   * Pem, Jks or Pfx options, not the generic KeyStoreOptions: Vert.x 5.0 builds the event bus's server and client
   * options from {@code EventBusOptions.toJson()}, which keeps these three kinds only (a KeyStoreOptions is dropped
   * and the server then fails every handshake for want of a key).
   */
  private KeyCertOptions keyCertOptions() {
    if (cert != null) {
      return new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString());
    }
    return "JKS".equals(keyStoreType(keyStore))
        ? new JksOptions().setPath(keyStore.toString()).setPassword(keyStorePassword)
        : new PfxOptions().setPath(keyStore.toString()).setPassword(keyStorePassword);
  }

  /** Paths only: the key store password is never shown. */
  @Override
  public String toString() {
    return cert != null
        ? "EventBusTls[cert=" + cert + ", key=" + key + ", ca=" + ca + "]"
        : "EventBusTls[keyStore=" + keyStore + ", keyStorePassword=" + (keyStorePassword == null ? "none" : "***")
            + ", ca=" + ca + "]";
  }

  private static Path path(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : Path.of(value.trim());
  }

  private static void checkReadable(String name, Path file) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new IllegalArgumentException(name + ": " + file + ": not a readable file");
    }
  }

  private static void checkCertificates(String name, Path file) {
    checkReadable(name, file);
    try (InputStream in = Files.newInputStream(file)) {
      if (CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
        throw new IllegalArgumentException(name + ": " + file + ": no certificate in it");
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(name + ": " + file + ": not PEM certificates (" + e.getMessage() + ")");
    }
  }

  /** The format only: the key's bytes are never put in a message. */
  private static void checkPrivateKey(Path file) {
    checkReadable(KEY, file);
    String pem;
    try {
      pem = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException(KEY + ": " + file + ": cannot be read (" + e.getClass().getSimpleName() + ")");
    }
    if (!pem.contains("-----BEGIN ") || !pem.contains("PRIVATE KEY-----")) {
      throw new IllegalArgumentException(KEY + ": " + file + ": no PEM private key in it");
    }
  }

  private static void checkKeyStore(Path file, String password) {
    checkReadable(KEYSTORE, file);
    String type = keyStoreType(file);
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance(type);
      store.load(in, password == null ? null : password.toCharArray());
      boolean hasKey = false;
      for (String alias : Collections.list(store.aliases())) {
        hasKey |= store.isKeyEntry(alias);
      }
      if (!hasKey) {
        throw new IllegalArgumentException(KEYSTORE + ": " + file + ": no private key entry in it");
      }
    } catch (IOException | GeneralSecurityException e) {
      // The exception's message never contains the password; it says "wrong password" or "invalid format".
      throw new IllegalArgumentException(KEYSTORE + ": " + file + ": cannot be opened as " + type + " with "
          + KEYSTORE_PASSWORD + " (" + e.getMessage() + ")");
    }
  }

  private static String keyStoreType(Path file) {
    return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
  }
}
