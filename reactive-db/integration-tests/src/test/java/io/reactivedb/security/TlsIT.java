package io.reactivedb.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.config.EndpointSettings;
import io.reactivedb.config.PoolSettings;
import io.reactivedb.config.ReactiveDbSettings;
import io.reactivedb.config.SessionSettings;
import io.reactivedb.config.SslMode;
import io.reactivedb.config.TlsSettings;
import io.reactivedb.devservices.DevCertificates;
import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterOptions;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.devservices.DevTls;
import io.reactivedb.error.DbConnectionException;
import io.reactivedb.health.HealthSettings;
import io.reactivedb.health.HealthStatus;
import io.reactivedb.internal.pool.Deadlines;
import io.reactivedb.internal.pool.EndpointPool;
import io.reactivedb.routing.ReactiveDbRouter;
import io.reactivedb.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Every {@code sslmode} against a real TLS server (a cluster of its own: {@code hostssl} only, a
 * certificate for {@code DNS:localhost} only, signed by a throwaway CA) and against the shared
 * cluster, which has no TLS and answers the SSL request with {@code N}. Connections go through
 * {@link EndpointPool}, the library's one way to the driver.
 */
@DevClusterTest
class TlsIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Whether this very connection is encrypted, from the server's side. */
    private static final String SSL_IN_USE = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    private static DevCluster tlsCluster;
    private static DevTls tls;
    private static Path wrongCa;
    private static Deadlines deadlines;

    @BeforeAll
    static void start(@org.junit.jupiter.api.io.TempDir Path temp) {
        tlsCluster = DevCluster.start(DevClusterOptions.builder().replicas(0).tls(true).build());
        tls = tlsCluster.tls().orElseThrow();
        wrongCa = DevCertificates.authority("some other CA").writeCertificate(temp.resolve("wrong-ca.crt"));
        deadlines = new Deadlines(Schedulers.parallel());
    }

    @AfterAll
    static void stop() {
        if (deadlines != null) {
            deadlines.dispose();
        }
        if (tlsCluster != null) {
            tlsCluster.close();
        }
    }

    // ---- verify-full ----

    @Test
    void verifyFullWithTheRightCaAndLocalhostConnectsEncrypted() {
        assertThat(connect(onTlsCluster("localhost", tls.verifyFull()))).isTrue();
    }

    @Test
    void verifyFullToTheAddressFailsClosedBecauseTheCertificateNamesLocalhostOnly() {
        // 127.0.0.1 reverse-resolves to localhost: the driver's own check would pass it.
        assertThatThrownBy(() -> connect(onTlsCluster(DevCluster.HOST, tls.verifyFull())))
                .isInstanceOf(DbConnectionException.class)
                .satisfies(e -> assertThat(chain(e)).containsAnyOf("No subject alternative names matching IP address 127.0.0.1",
                        "could not be verified"));
    }

    @Test
    void verifyFullWithAWrongCaFailsClosed() {
        assertThatThrownBy(() -> connect(onTlsCluster("localhost", tls(SslMode.VERIFY_FULL, wrongCa))))
                .isInstanceOf(DbConnectionException.class)
                .satisfies(e -> assertThat(chain(e)).containsAnyOf("PKIX", "certification path", "unable to find valid"));
    }

    @Test
    void verifyFullAgainstAServerWithoutTlsFailsClosed(DevCluster plain) {
        assertThatThrownBy(() -> connect(onPlainCluster(plain, "localhost", tls(SslMode.VERIFY_FULL, tls.rootCert()))))
                .isInstanceOf(DbConnectionException.class)
                .hasMessageContaining("Server support for SSL connection is disabled");
    }

    @Test
    void clientCertificateLogsInByCertAuthentication() {
        EndpointSettings endpoint = onTlsCluster("localhost", tls.verifyFullWithClientCert()).toBuilder()
                .username(DevTls.CLIENT_CERT_USER).password(io.reactivedb.config.Secret.empty()).build();
        assertThat(query(endpoint, "SELECT current_user || ' ' || (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())"))
                .isEqualTo(DevTls.CLIENT_CERT_USER + " true");
        // Without the certificate the cert line of pg_hba.conf refuses the same user.
        EndpointSettings noCert = endpoint.toBuilder().tls(tls.verifyFull()).build();
        assertThatThrownBy(() -> query(noCert, "SELECT 1")).isInstanceOf(DbConnectionException.class).hasMessageContaining("28000");
    }

    @Test
    void theRouterRunsOnTheTlsClusterInProductionModeWithProbesOverTls() {
        ReactiveDbSettings settings = tlsCluster.settings().toBuilder().productionMode(true).build();
        assertThat(settings.primary().tls().mode()).isEqualTo(SslMode.VERIFY_FULL);
        ReactiveDbRouter router = ReactiveDbRouter.builder(settings)
                .health(HealthSettings.builder().interval(Duration.ofSeconds(1)).probeTimeout(Duration.ofSeconds(1)).build()).build();
        try {
            assertThat(router.write(s -> s.query(SSL_IN_USE, row -> row.get(0, Boolean.class))).blockLast(WAIT)).isTrue();
            Await.until("a healthy round of probes over TLS", WAIT, () -> router.health().orElseThrow().current()
                    .map(h -> h.status() == HealthStatus.HEALTHY).orElse(false));
            // The probes log in as the health role, over TLS like the traffic.
            // (A probe that outlasts its timeout drops its connection until the next round: poll.)
            String probeOverTls = "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = '"
                    + tlsCluster.healthUser() + "' AND s.ssl";
            Await.until("the probe's TLS session", WAIT, () -> !"0".equals(tlsCluster.psql(tlsCluster.primary(), "postgres", probeOverTls)));
            assertThat(tlsCluster.psql(tlsCluster.primary(), "postgres", "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s"
                    + " USING (pid) WHERE a.usename IN ('" + tlsCluster.healthUser() + "', '" + tlsCluster.appUser() + "') AND NOT s.ssl"))
                    .isEqualTo("0");
        } finally {
            router.shutdown().block(WAIT);
        }
    }

    // ---- verify-ca ----

    @Test
    void verifyCaChecksTheChainButNotTheName() {
        assertThat(connect(onTlsCluster(DevCluster.HOST, tls(SslMode.VERIFY_CA, tls.rootCert())))).isTrue();
        assertThatThrownBy(() -> connect(onTlsCluster("localhost", tls(SslMode.VERIFY_CA, wrongCa))))
                .isInstanceOf(DbConnectionException.class);
    }

    // ---- require ----

    @Test
    void requireConnectsEncryptedWithoutVerification() {
        assertThat(connect(onTlsCluster(DevCluster.HOST, TlsSettings.of(SslMode.REQUIRE)))).isTrue();
    }

    @Test
    void requireWithARootCertificateVerifiesTheChainAsLibpqDoes() {
        assertThatThrownBy(() -> connect(onTlsCluster(DevCluster.HOST, tls(SslMode.REQUIRE, wrongCa))))
                .isInstanceOf(DbConnectionException.class);
        assertThat(connect(onTlsCluster(DevCluster.HOST, tls(SslMode.REQUIRE, tls.rootCert())))).isTrue();
    }

    @Test
    void aServerAnsweringNIsRefusedUnderRequireAndAbove(DevCluster plain) {
        for (TlsSettings settings : new TlsSettings[] {TlsSettings.of(SslMode.REQUIRE), tls(SslMode.VERIFY_CA, tls.rootCert()),
                tls(SslMode.VERIFY_FULL, tls.rootCert())}) {
            assertThatThrownBy(() -> connect(onPlainCluster(plain, "localhost", settings)))
                    .as(settings.mode().libpqName())
                    .isInstanceOf(DbConnectionException.class)
                    .hasMessageContaining("Server support for SSL connection is disabled");
        }
    }

    // ---- prefer, allow, disable ----

    @Test
    void preferUsesTlsWhereOfferedAndPlainWhereNot(DevCluster plain) {
        assertThat(connect(onTlsCluster(DevCluster.HOST, TlsSettings.of(SslMode.PREFER)))).isTrue();
        assertThat(connect(onPlainCluster(plain, DevCluster.HOST, TlsSettings.of(SslMode.PREFER)))).isFalse();
    }

    @Test
    void allowTriesPlainFirstAndTlsWhenTheServerInsists(DevCluster plain) {
        assertThat(connect(onPlainCluster(plain, DevCluster.HOST, TlsSettings.of(SslMode.ALLOW)))).isFalse();
        assertThat(connect(onTlsCluster(DevCluster.HOST, TlsSettings.of(SslMode.ALLOW)))).isTrue();
    }

    @Test
    void disableNeverUsesTlsSoATlsOnlyServerRefusesIt(DevCluster plain) {
        assertThat(connect(onPlainCluster(plain, DevCluster.HOST, TlsSettings.disabled()))).isFalse();
        assertThatThrownBy(() -> connect(onTlsCluster(DevCluster.HOST, TlsSettings.disabled())))
                .isInstanceOf(DbConnectionException.class)
                .hasMessageContaining("28000")
                .hasMessageContaining("no encryption");
    }

    // ---- helpers ----

    private static TlsSettings tls(SslMode mode, Path rootCert) {
        assertThat(Files.isRegularFile(rootCert)).isTrue();
        return new TlsSettings(mode, Optional.of(rootCert), Optional.empty(), Optional.empty());
    }

    private static EndpointSettings onTlsCluster(String host, TlsSettings settings) {
        return tlsCluster.endpoint(tlsCluster.primary(), io.reactivedb.config.EndpointRole.PRIMARY).toBuilder()
                .host(host).tls(settings).build();
    }

    private static EndpointSettings onPlainCluster(DevCluster plain, String host, TlsSettings settings) {
        return plain.endpoint(plain.primary(), io.reactivedb.config.EndpointRole.PRIMARY).toBuilder()
                .host(host).tls(settings).build();
    }

    /** Opens one connection through an endpoint pool and tells whether it is encrypted. */
    private static boolean connect(EndpointSettings endpoint) {
        return Boolean.parseBoolean(query(endpoint, SSL_IN_USE));
    }

    private static String query(EndpointSettings endpoint, String sql) {
        EndpointPool pool = EndpointPool.create(endpoint, PoolSettings.builder().minIdle(0).maxSize(1).build(),
                SessionSettings.builder().connectTimeout(Duration.ofSeconds(10)).build(), deadlines);
        try {
            return Mono.usingWhen(pool.acquire(),
                    c -> Mono.from(c.createStatement(sql).execute()).flatMap(r -> Mono.from(r.map((row, meta) -> String.valueOf(row.get(0))))),
                    c -> Mono.from(c.close())).block(WAIT);
        } finally {
            pool.close().block(WAIT);
        }
    }

    private static String chain(Throwable error) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause()) {
            text.append(t).append('\n');
        }
        return text.toString();
    }
}
