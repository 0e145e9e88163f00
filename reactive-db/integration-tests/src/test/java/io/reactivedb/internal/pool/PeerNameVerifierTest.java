package io.reactivedb.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.postgresql.client.SSLMode;
import io.reactivedb.config.SslMode;
import io.reactivedb.config.TlsSettings;
import io.reactivedb.devservices.DevCertificates;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PeerNameVerifierTest {

    private static DevCertificates.Authority ca;
    private static X509Certificate localhostOnly;

    @BeforeAll
    static void certificates() {
        ca = DevCertificates.authority("test CA");
        localhostOnly = ca.issueServer("localhost", "localhost").certificate();
    }

    @Test
    void theConfiguredNameMustBeADnsEntryAndAnAddressLiteralNeverMatchesOne() {
        assertThat(new PeerNameVerifier("localhost").matches(localhostOnly)).isTrue();
        assertThat(new PeerNameVerifier("LocalHost").matches(localhostOnly)).isTrue();
        assertThat(new PeerNameVerifier("127.0.0.1").matches(localhostOnly)).isFalse();
        assertThat(new PeerNameVerifier("::1").matches(localhostOnly)).isFalse();
        assertThat(new PeerNameVerifier("[::1]").matches(localhostOnly)).isFalse();
        assertThat(new PeerNameVerifier("localhost.example.com").matches(localhostOnly)).isFalse();
        assertThat(new PeerNameVerifier("db.example.com").matches(localhostOnly)).isFalse();
    }

    @Test
    void aWildcardCoversExactlyOneLeftmostLabel() {
        X509Certificate wildcard = ca.issueServer("db", "*.db.example.com").certificate();
        assertThat(new PeerNameVerifier("primary.db.example.com").matches(wildcard)).isTrue();
        assertThat(new PeerNameVerifier("db.example.com").matches(wildcard)).isFalse();
        assertThat(new PeerNameVerifier("a.primary.db.example.com").matches(wildcard)).isFalse();
        assertThat(new PeerNameVerifier("primary.db.example.org").matches(wildcard)).isFalse();
        X509Certificate tooWide = ca.issueServer("com", "*.com").certificate();
        assertThat(new PeerNameVerifier("example.com").matches(tooWide)).isFalse();
    }

    @Test
    void theCommonNameIsIgnoredWhenTheCertificateHasDnsEntries() {
        X509Certificate certificate = ca.issueServer("legacy.example.com", "db.example.com").certificate();
        assertThat(new PeerNameVerifier("legacy.example.com").matches(certificate)).isFalse();
        assertThat(new PeerNameVerifier("db.example.com").matches(certificate)).isTrue();
    }

    @Test
    void requireWithARootCertificateVerifiesTheChainAsLibpqDoesAndNoModeIsWeakened() {
        Path root = Path.of("root.crt");
        assertThat(EndpointPool.driverMode(TlsSettings.of(SslMode.REQUIRE))).isEqualTo(SSLMode.REQUIRE);
        assertThat(EndpointPool.driverMode(new TlsSettings(SslMode.REQUIRE, Optional.of(root), Optional.empty(), Optional.empty())))
                .isEqualTo(SSLMode.VERIFY_CA);
        for (SslMode mode : SslMode.values()) {
            TlsSettings settings = mode == SslMode.VERIFY_CA || mode == SslMode.VERIFY_FULL
                    ? new TlsSettings(mode, Optional.of(root), Optional.empty(), Optional.empty()) : TlsSettings.of(mode);
            assertThat(EndpointPool.driverMode(settings).ordinal()).as(mode.libpqName()).isGreaterThanOrEqualTo(mode.ordinal());
        }
    }
}
