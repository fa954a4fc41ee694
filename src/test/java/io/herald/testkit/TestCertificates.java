package io.herald.testkit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Throwaway certificate authorities and node certificates for TLS tests (EC P-256, valid one day), written as PEM
 * files or a PKCS#12 key store. Built with the ASN.1 classes of bcprov (on the classpath through jnats) and signed
 * with the JDK: no process to run, a few milliseconds per certificate.
 */
public final class TestCertificates {

  private static final AlgorithmIdentifier ECDSA_SHA256 = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A CA: its name, key and self-signed certificate. */
  public record Authority(X500Name name, KeyPair keys, X509Certificate certificate) {

    /** Writes the CA certificate as PEM. */
    public Path writeCertificate(Path file) {
      return writePem(file, "CERTIFICATE", encoded(certificate));
    }

    /** A node certificate signed by this CA, for server and client use, with 127.0.0.1 as IP address name. */
    public Leaf issue(String commonName) {
      KeyPair pair = newKeyPair();
      return new Leaf(pair, sign(new X500Name("CN=" + commonName), pair, name, keys.getPrivate(), false));
    }
  }

  /** A node's key and certificate. */
  public record Leaf(KeyPair keys, X509Certificate certificate) {

    public Path writeCertificate(Path file) {
      return writePem(file, "CERTIFICATE", encoded(certificate));
    }

    /** The private key as PKCS#8 PEM ({@code BEGIN PRIVATE KEY}). */
    public Path writeKey(Path file) {
      return writePem(file, "PRIVATE KEY", keys.getPrivate().getEncoded());
    }

    /** A PKCS#12 key store holding the key and certificate under alias {@code node}. */
    public Path writePkcs12(Path file, String password) {
      try (OutputStream out = Files.newOutputStream(file)) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("node", keys.getPrivate(), password.toCharArray(), new X509Certificate[] {certificate});
        store.store(out, password.toCharArray());
        return file;
      } catch (IOException | GeneralSecurityException e) {
        throw new AssertionError("cannot write the key store " + file, e);
      }
    }
  }

  private TestCertificates() {
  }

  /** A new self-signed CA. */
  public static Authority authority(String commonName) {
    KeyPair pair = newKeyPair();
    X500Name name = new X500Name("CN=" + commonName);
    return new Authority(name, pair, sign(name, pair, name, pair.getPrivate(), true));
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer,
      PrivateKey issuerKey, boolean ca) {
    try {
      Instant now = Instant.now();
      V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
      tbs.setSerialNumber(new ASN1Integer(BigInteger.valueOf(SERIAL.incrementAndGet())));
      tbs.setIssuer(issuer);
      tbs.setSubject(subject);
      tbs.setStartDate(new Time(Date.from(now.minus(Duration.ofHours(1)))));
      tbs.setEndDate(new Time(Date.from(now.plus(Duration.ofDays(1)))));
      tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(subjectKeys.getPublic().getEncoded()));
      tbs.setSignature(ECDSA_SHA256);
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        extensions.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        extensions.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
      }
      tbs.setExtensions(extensions.generate());
      TBSCertificate toSign = tbs.generateTBSCertificate();
      Signature signature = Signature.getInstance("SHA256withECDSA");
      signature.initSign(issuerKey);
      signature.update(toSign.getEncoded(ASN1Encoding.DER));
      ASN1EncodableVector certificate = new ASN1EncodableVector();
      certificate.add(toSign);
      certificate.add(ECDSA_SHA256);
      certificate.add(new DERBitString(signature.sign()));
      byte[] der = new DERSequence(certificate).getEncoded(ASN1Encoding.DER);
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (IOException | GeneralSecurityException e) {
      throw new AssertionError("cannot build a test certificate", e);
    }
  }

  private static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  private static Path writePem(Path file, String type, byte[] der) {
    String pem = "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
    try {
      return Files.writeString(file, pem, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new AssertionError("cannot write " + file, e);
    }
  }
}
