package io.reactivedb.devservices;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * Throwaway certificates for dev services and tests: a certificate authority that issues server
 * certificates (subject alternative names of type DNS only) and client certificates (the common
 * name is the PostgreSQL user, as {@code cert} authentication expects). Keys are EC P-256; every
 * certificate is valid from one hour ago for {@link #VALIDITY}.
 *
 * <p>Needs {@code org.bouncycastle:bcpkix-jdk18on} on the class path (an optional dependency of
 * reactive-db); signing uses the JDK's own providers. Generating keys draws on {@link SecureRandom}:
 * call this from a blocking context, never from a reactive thread.
 */
public final class DevCertificates {

    /** How long issued certificates are valid: 7 days, far longer than any dev cluster lives. */
    public static final Duration VALIDITY = Duration.ofDays(7);

    private static final String SIGNATURE = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();

    private DevCertificates() {
    }

    /** A new self-signed certificate authority named {@code CN=<commonName>}. */
    public static Authority authority(String commonName) {
        Objects.requireNonNull(commonName, "commonName");
        KeyPair keys = newKeyPair();
        X500Name name = new X500Name("CN=" + commonName);
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = builder(name, name, keys)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
            return new Authority(sign(builder, keys.getPrivate()), keys.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new DevServicesException("could not create the certificate authority " + commonName + ": " + e, e);
        }
    }

    /** A certificate authority; it signs what it issues with its own key. */
    public static final class Authority {
        private final X509Certificate certificate;
        private final PrivateKey key;

        private Authority(X509Certificate certificate, PrivateKey key) {
            this.certificate = certificate;
            this.key = key;
        }

        public X509Certificate certificate() {
            return certificate;
        }

        /**
         * A server certificate whose subject alternative names are exactly {@code dnsNames} (type
         * DNS, no IP address entries), so a client that checks host names accepts only those names.
         */
        public Issued issueServer(String commonName, String... dnsNames) {
            if (dnsNames.length == 0) {
                throw new IllegalArgumentException("a server certificate needs at least one DNS name");
            }
            GeneralName[] names = new GeneralName[dnsNames.length];
            for (int i = 0; i < dnsNames.length; i++) {
                names[i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
            }
            return issue(commonName, KeyPurposeId.id_kp_serverAuth, new GeneralNames(names));
        }

        /** A client certificate for {@code cert} authentication: its common name is the database user. */
        public Issued issueClient(String user) {
            return issue(user, KeyPurposeId.id_kp_clientAuth, null);
        }

        /** Writes the authority's certificate as PEM (the {@code sslrootcert} of clients). */
        public Path writeCertificate(Path file) {
            return DevCertificates.writeCertificate(certificate, file);
        }

        private Issued issue(String commonName, KeyPurposeId purpose, @Nullable GeneralNames altNames) {
            KeyPair keys = newKeyPair();
            try {
                JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
                X509v3CertificateBuilder builder = builder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                        new X500Name("CN=" + commonName), keys)
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose))
                        .addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()))
                        .addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(certificate));
                if (altNames != null) {
                    builder.addExtension(Extension.subjectAlternativeName, false, altNames);
                }
                return new Issued(sign(builder, key), keys.getPrivate());
            } catch (GeneralSecurityException | CertIOException e) {
                throw new DevServicesException("could not issue a certificate for " + commonName + ": " + e, e);
            }
        }
    }

    /** An issued certificate and its private key. {@link #toString()} never shows the key. */
    public static final class Issued {
        private final X509Certificate certificate;
        private final PrivateKey key;

        private Issued(X509Certificate certificate, PrivateKey key) {
            this.certificate = certificate;
            this.key = key;
        }

        public X509Certificate certificate() {
            return certificate;
        }

        /** Writes the certificate as PEM. */
        public Path writeCertificate(Path file) {
            return DevCertificates.writeCertificate(certificate, file);
        }

        /**
         * Writes the private key as unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), readable by
         * its owner only (mode 0600), as PostgreSQL demands of {@code ssl_key_file}.
         */
        public Path writeKey(Path file) {
            return writePem(file, "PRIVATE KEY", key.getEncoded(), true);
        }

        @Override
        public String toString() {
            return "Issued[" + certificate.getSubjectX500Principal().getName() + "]";
        }
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(SIGNATURE).build(signer)));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new DevServicesException("could not generate an EC P-256 key pair: " + e, e);
        }
    }

    private static Path writeCertificate(X509Certificate certificate, Path file) {
        try {
            return writePem(file, "CERTIFICATE", certificate.getEncoded(), false);
        } catch (GeneralSecurityException e) {
            throw new DevServicesException("could not encode the certificate for " + file + ": " + e, e);
        }
    }

    private static Path writePem(Path file, String type, byte[] der, boolean secret) {
        String pem = "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        try {
            Files.deleteIfExists(file);
            if (secret) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(file, pem, StandardCharsets.US_ASCII, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
            return file;
        } catch (IOException | UnsupportedOperationException e) {
            throw new DevServicesException("could not write " + file + ": " + e, e);
        }
    }
}
