package io.reactivedb.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS toward one server.
 *
 * @param mode     the {@code sslmode}; default {@link SslMode#DISABLE}, as r2dbc-postgresql defaults
 * @param rootCert CA certificate(s) that sign the server certificate ({@code sslrootcert})
 * @param cert     client certificate for {@code cert} authentication ({@code sslcert})
 * @param key      client key, PKCS#8 PEM ({@code sslkey})
 */
public record TlsSettings(SslMode mode, Optional<Path> rootCert, Optional<Path> cert, Optional<Path> key) {

    private static final TlsSettings DISABLED = new TlsSettings(SslMode.DISABLE, Optional.empty(), Optional.empty(), Optional.empty());

    public TlsSettings {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(rootCert, "rootCert");
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
        if (cert.isPresent() != key.isPresent()) {
            throw new ConfigurationException("DB_SSLCERT/DB_SSLKEY", "a client certificate and its key must be given together");
        }
        if ((mode == SslMode.VERIFY_CA || mode == SslMode.VERIFY_FULL) && rootCert.isEmpty()) {
            throw new ConfigurationException("DB_SSLROOTCERT", "sslmode " + mode.libpqName() + " needs the root certificate that signs the server's");
        }
    }

    public static TlsSettings disabled() {
        return DISABLED;
    }

    public static TlsSettings of(SslMode mode) {
        return new TlsSettings(mode, Optional.empty(), Optional.empty(), Optional.empty());
    }
}
