package io.reactivedb.devservices;

import io.reactivedb.config.SslMode;
import io.reactivedb.config.TlsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The TLS material of a cluster started with {@link DevClusterOptions#tls()}: a throwaway
 * certificate authority made for this cluster only, a server certificate whose only subject
 * alternative name is {@code DNS:}{@value #SERVER_HOST_NAME} (so {@code 127.0.0.1}, the address the
 * servers listen on, is a wrong host name for {@code verify-full}), and a client certificate for the
 * user {@value #CLIENT_CERT_USER}, who logs in by {@code cert} authentication.
 *
 * <p>The client files live in the cluster folder under {@code tls/} and go away with it.
 */
public final class DevTls {

    /** The host name the server certificate is issued for: {@value}. */
    public static final String SERVER_HOST_NAME = "localhost";
    /** The role that logs in with a client certificate ({@code hostssl … cert}): {@value}. */
    public static final String CLIENT_CERT_USER = "tls_client";

    private final Path rootCert;
    private final Path clientCert;
    private final Path clientKey;
    private final DevCertificates.Issued server;

    private DevTls(Path rootCert, Path clientCert, Path clientKey, DevCertificates.Issued server) {
        this.rootCert = rootCert;
        this.clientCert = clientCert;
        this.clientKey = clientKey;
        this.server = server;
    }

    /** Generates the authority and both certificates and writes the client side into {@code <clusterDir>/tls}. */
    static DevTls create(Path clusterDir) {
        Path folder = clusterDir.resolve("tls");
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new DevServicesException("could not create " + folder + ": " + e, e);
        }
        DevCertificates.Authority authority = DevCertificates.authority("reactive-db dev services CA");
        DevCertificates.Issued server = authority.issueServer(SERVER_HOST_NAME, SERVER_HOST_NAME);
        DevCertificates.Issued client = authority.issueClient(CLIENT_CERT_USER);
        return new DevTls(authority.writeCertificate(folder.resolve("root.crt")),
                client.writeCertificate(folder.resolve("client.crt")), client.writeKey(folder.resolve("client.key")), server);
    }

    /** Writes the server's certificate, key and the CA (to check client certificates) into a data directory. */
    void installOn(Path dataDir, ProcessRunner runner) {
        List<Path> files = List.of(server.writeCertificate(dataDir.resolve("server.crt")), server.writeKey(dataDir.resolve("server.key")),
                writeRoot(dataDir.resolve("root.crt")));
        files.forEach(runner::chownToServerUser);
    }

    private Path writeRoot(Path target) {
        try {
            Files.copy(rootCert, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new DevServicesException("could not copy " + rootCert + " to " + target + ": " + e, e);
        }
    }

    /** The {@code postgresql.conf} lines that turn TLS on with the files of {@link #installOn}. */
    static List<String> serverConf() {
        return List.of("ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'", "ssl_ca_file = 'root.crt'");
    }

    /** PEM certificate of the cluster's CA: the {@code sslrootcert} that makes {@code verify-full} pass. */
    public Path rootCert() { return rootCert; }

    /** PEM client certificate of {@value #CLIENT_CERT_USER}, signed by the cluster's CA. */
    public Path clientCert() { return clientCert; }

    /** Unencrypted PKCS#8 PEM key of {@link #clientCert()}, mode 0600. */
    public Path clientKey() { return clientKey; }

    /** {@code verify-full} with the cluster's CA and no client certificate. */
    public TlsSettings verifyFull() {
        return new TlsSettings(SslMode.VERIFY_FULL, Optional.of(rootCert), Optional.empty(), Optional.empty());
    }

    /** {@code verify-full} with the cluster's CA and the client certificate of {@value #CLIENT_CERT_USER}. */
    public TlsSettings verifyFullWithClientCert() {
        return new TlsSettings(SslMode.VERIFY_FULL, Optional.of(rootCert), Optional.of(clientCert), Optional.of(clientKey));
    }

    @Override
    public String toString() {
        return "DevTls[rootCert=" + rootCert + ", server=DNS:" + SERVER_HOST_NAME + ", clientUser=" + CLIENT_CERT_USER + "]";
    }
}
