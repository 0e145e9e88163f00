package io.reactivedb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Production mode ({@code DB_PRODUCTION_MODE=true}) refuses each insecure configuration at startup,
 * naming the setting and never its value; the same configurations pass without it.
 */
class ProductionModeTest {

    /** Every password of these tests; it must never appear in a message. */
    private static final String PASSWORD = "Prod-C4nary/p@ss%w0rd";
    private static final String ENCODED = "Prod-C4nary%2Fp%40ss%25w0rd";

    @TempDir
    static Path folder;
    static Path rootCert;
    static Path clientCert;
    static Path privateKey;
    static Path sharedKey;

    @BeforeAll
    static void files() throws IOException {
        rootCert = Files.writeString(folder.resolve("root.crt"), "not parsed here");
        clientCert = Files.writeString(folder.resolve("client.crt"), "not parsed here");
        privateKey = Files.writeString(folder.resolve("client.key"), "not parsed here");
        Files.setPosixFilePermissions(privateKey, PosixFilePermissions.fromString("rw-------"));
        sharedKey = Files.writeString(folder.resolve("shared.key"), "not parsed here");
        Files.setPosixFilePermissions(sharedKey, PosixFilePermissions.fromString("rw-r--r--"));
    }

    static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        env.put("DB_PRODUCTION_MODE", "true");
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    static Stream<Arguments> insecure() {
        String verifyFull = "?sslmode=verify-full&sslrootcert=" + rootCert;
        return Stream.of(
                // a password in DATABASE_URL to a remote host without TLS
                Arguments.of("DB_SSLMODE", env("DATABASE_URL", "postgresql://app:" + ENCODED + "@db.example.com/app")),
                Arguments.of("DB_SSLMODE", env("DATABASE_URL", "postgresql://app:" + ENCODED + "@db.example.com/app?sslmode=prefer")),
                // encrypted but not verified, or verified without the name
                Arguments.of("DB_SSLMODE", env("DB_HOST", "10.0.0.5", "DB_USER", "app", "DB_PASSWORD", PASSWORD, "DB_SSLMODE", "require")),
                Arguments.of("DB_SSLMODE", env("DB_HOST", "db.example.com", "DB_USER", "app", "DB_PASSWORD", PASSWORD,
                        "DB_SSLMODE", "verify-ca", "DB_SSLROOTCERT", rootCert.toString())),
                Arguments.of("DB_SSLMODE", env("DB_HOST", "db.example.com", "DB_USER", "app", "DB_PASSWORD", PASSWORD,
                        "DB_SSLMODE", "allow")),
                // one replica weaker than the primary
                Arguments.of("DB_SSLMODE", env("DATABASE_URL", "postgresql://app:" + ENCODED + "@db.example.com/app" + verifyFull,
                        "DB_READ_REPLICA_URLS", "postgresql://replica.example.com/app?sslmode=require")),
                // no password and no client certificate
                Arguments.of("DB_PASSWORD", env("DATABASE_URL", "postgresql://app@db.example.com/app" + verifyFull)),
                Arguments.of("DB_PASSWORD", env("DB_HOST", "localhost", "DB_USER", "app")),
                // the superuser
                Arguments.of("DB_USER", env("DB_HOST", "db.example.com", "DB_PASSWORD", PASSWORD, "DB_SSLMODE", "verify-full",
                        "DB_SSLROOTCERT", rootCert.toString())),
                Arguments.of("DB_USER", env("DATABASE_URL", "postgresql://postgres:" + ENCODED + "@localhost/app")),
                // a client key that others can read
                Arguments.of("DB_SSLKEY", env("DB_HOST", "db.example.com", "DB_USER", "app", "DB_SSLMODE", "verify-full",
                        "DB_SSLROOTCERT", rootCert.toString(), "DB_SSLCERT", clientCert.toString(), "DB_SSLKEY", sharedKey.toString())),
                // health probes as the superuser or without a password
                Arguments.of("DB_HEALTH_USER", env("DB_HOST", "localhost", "DB_USER", "app", "DB_PASSWORD", PASSWORD,
                        "DB_HEALTH_USER", "postgres", "DB_HEALTH_PASSWORD", PASSWORD)),
                Arguments.of("DB_HEALTH_PASSWORD", env("DB_HOST", "localhost", "DB_USER", "app", "DB_PASSWORD", PASSWORD,
                        "DB_HEALTH_USER", "app_health")));
    }

    @ParameterizedTest
    @MethodSource("insecure")
    void refusedNamingTheSettingNeverItsValue(String setting, Map<String, String> env) {
        assertThatThrownBy(() -> EnvironmentSettings.parse(env))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo(setting);
                    assertThat(e.getMessage()).startsWith(setting + ": refused in production mode (DB_PRODUCTION_MODE)")
                            .doesNotContain(PASSWORD).doesNotContain(ENCODED).doesNotContain("C4nary");
                });
        // The same configuration is accepted outside production mode: only the production rules refuse it.
        Map<String, String> relaxed = new HashMap<>(env);
        relaxed.put("DB_PRODUCTION_MODE", "false");
        assertThat(EnvironmentSettings.parse(relaxed).productionMode()).isFalse();
    }

    @Test
    void secureConfigurationsStart() {
        String verifyFull = "?sslmode=verify-full&sslrootcert=" + rootCert;
        ReactiveDbSettings remote = EnvironmentSettings.parse(env("DATABASE_URL", "postgresql://app:" + ENCODED + "@db.example.com/app"
                + verifyFull, "DB_READ_REPLICA_URLS", "postgresql://replica.example.com/app" + verifyFull,
                "DB_HEALTH_USER", "app_health", "DB_HEALTH_PASSWORD", PASSWORD));
        assertThat(remote.productionMode()).isTrue();
        assertThat(remote.probeCredentials()).map(Credentials::username).contains("app_health");
        assertThat(remote.toString()).doesNotContain(PASSWORD).doesNotContain("C4nary");

        // Loopback (a local proxy or sidecar) may go without TLS; a client certificate replaces the password.
        assertThat(EnvironmentSettings.parse(env("DB_HOST", "127.0.0.1", "DB_USER", "app", "DB_PASSWORD", PASSWORD)).productionMode()).isTrue();
        assertThat(EnvironmentSettings.parse(env("DB_HOST", "::1", "DB_USER", "app", "DB_PASSWORD", PASSWORD)).productionMode()).isTrue();
        assertThat(EnvironmentSettings.parse(env("DB_HOST", "db.example.com", "DB_USER", "app", "DB_SSLMODE", "verify-full",
                "DB_SSLROOTCERT", rootCert.toString(), "DB_SSLCERT", clientCert.toString(), "DB_SSLKEY", privateKey.toString()))
                .primary().password().isEmpty()).isTrue();
    }

    @Test
    void loopbackIsDecidedWithoutAnyLookup() {
        assertThat(ProductionChecks.isLoopback("localhost")).isTrue();
        assertThat(ProductionChecks.isLoopback("127.0.0.1")).isTrue();
        assertThat(ProductionChecks.isLoopback("127.1.2.3")).isTrue();
        assertThat(ProductionChecks.isLoopback("[::1]")).isTrue();
        assertThat(ProductionChecks.isLoopback("0:0:0:0:0:0:0:1")).isTrue();
        assertThat(ProductionChecks.isLoopback("10.0.0.1")).isFalse();
        assertThat(ProductionChecks.isLoopback("localhost.example.com")).isFalse();
        assertThat(ProductionChecks.isLoopback("db")).isFalse();
    }

    @Test
    void productionModeTakesBooleansAndNamesItselfWhenInvalid() {
        assertThat(EnvironmentSettings.parse(env("DB_PRODUCTION_MODE", "no", "DB_HOST", "db")).productionMode()).isFalse();
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DB_PRODUCTION_MODE", "sometimes", "DB_HOST", "db")))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_PRODUCTION_MODE"));
    }

    @Test
    void healthLoginNeedsItsUserAndTakesAFile() throws IOException {
        Path file = Files.writeString(folder.resolve("health.pw"), PASSWORD + "\n");
        ReactiveDbSettings settings = EnvironmentSettings.parse(Map.of("DB_HOST", "db", "DB_HEALTH_USER", "monitor",
                "DB_HEALTH_PASSWORD_FILE", file.toString()));
        assertThat(settings.probeCredentials()).map(c -> c.password().reveal()).contains(PASSWORD);
        assertThat(settings.toString()).contains("monitor").doesNotContain(PASSWORD);
        assertThatThrownBy(() -> EnvironmentSettings.parse(Map.of("DB_HOST", "db", "DB_HEALTH_PASSWORD", PASSWORD)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo("DB_HEALTH_PASSWORD");
                    assertThat(e.getMessage()).doesNotContain(PASSWORD);
                });
        assertThatThrownBy(() -> EnvironmentSettings.parse(Map.of("DB_HOST", "db", "DB_HEALTH_USER", "monitor",
                "DB_HEALTH_PASSWORD", PASSWORD, "DB_HEALTH_PASSWORD_FILE", file.toString())))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.setting()).isEqualTo("DB_HEALTH_PASSWORD_FILE"));
    }
}
