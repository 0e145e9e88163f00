package io.reactivedb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every invalid setting fails naming that setting, and no message ever contains the password that
 * every URL and password variable of these tests uses.
 */
class InvalidSettingsTest {

    static final String PASSWORD = "S3cr3t-P@ss";
    static final String ENCODED = "S3cr3t-P%40ss";
    static final String URL = "postgresql://app:" + ENCODED + "@db.example.com:5433/orders";
    static final String URL_WITHOUT_PASSWORD = "postgresql://app@db.example.com:5433/orders";
    static final String REPLICAS = "postgresql://app:" + ENCODED + "@r1,postgresql://r2";
    static final Path FILE = tempFile();

    private static Path tempFile() {
        try {
            Path file = Files.createTempFile("reactive-db-test", ".pem");
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    static Arguments invalid(String expectedSetting, String... pairs) {
        return Arguments.of(expectedSetting, env(pairs));
    }

    static Stream<Arguments> invalidSettings() {
        List<Arguments> cases = new ArrayList<>(List.of(
                // primary
                invalid("DATABASE_URL"),
                invalid("DATABASE_URL", "DB_POOL_SIZE", "4"),
                invalid("DATABASE_URL", "DATABASE_URL", "postgresql://app:" + ENCODED + "@db:99999/orders"),
                invalid("DATABASE_URL", "DATABASE_URL", "postgresql://app:" + PASSWORD + "/x@db/orders"),
                invalid("DATABASE_URL", "DATABASE_URL", "mysql://app:" + ENCODED + "@db/orders"),
                invalid("DATABASE_URL", "DATABASE_URL", PASSWORD),
                invalid("DATABASE_URL", "DATABASE_URL", URL + "?foo=bar"),
                invalid("DATABASE_URL", "DATABASE_URL", URL + "?password=" + ENCODED),
                invalid("DATABASE_URL", "DATABASE_URL", URL + "?sslmode=verify-full"),
                invalid("DATABASE_URL", "DATABASE_URL", URL + "?sslcert=" + FILE),
                invalid("DATABASE_URL", "DATABASE_URL", URL + "?sslrootcert=/nonexistent/root.crt"),
                invalid("DB_HOST", "DATABASE_URL", URL, "DB_HOST", "db"),
                invalid("DB_PORT", "DATABASE_URL", URL, "DB_PORT", "5432"),
                invalid("DB_USER", "DATABASE_URL", URL, "DB_USER", "app"),
                invalid("DB_NAME", "DATABASE_URL", URL, "DB_NAME", "orders"),
                invalid("DB_PASSWORD", "DATABASE_URL", URL, "DB_PASSWORD", PASSWORD),
                invalid("DB_PASSWORD_FILE", "DATABASE_URL", URL, "DB_PASSWORD_FILE", FILE.toString()),
                invalid("DB_PASSWORD_FILE", "DB_HOST", "db", "DB_PASSWORD", PASSWORD, "DB_PASSWORD_FILE", FILE.toString()),
                invalid("DB_PASSWORD_FILE", "DB_HOST", "db", "DB_PASSWORD_FILE", "/nonexistent/password"),
                invalid("DB_PASSWORD", "DB_PASSWORD", PASSWORD),
                invalid("DB_PORT", "DB_PORT", "5432", "DB_PASSWORD", PASSWORD),
                invalid("DB_HOST", "DB_HOST", "db host", "DB_PASSWORD", PASSWORD),
                invalid("DB_HOST", "DB_HOST", "user:" + "pw@db", "DB_PASSWORD", PASSWORD),
                // session
                invalid("DB_APPLICATION_NAME", "DATABASE_URL", URL, "DB_APPLICATION_NAME", "x".repeat(64)),
                invalid("DB_APPLICATION_NAME", "DATABASE_URL", URL, "DB_APPLICATION_NAME", "äpp"),
                invalid("DB_APPLICATION_NAME", "DATABASE_URL", URL + "?application_name=a", "DB_APPLICATION_NAME", "b"),
                invalid("DB_CONNECT_TIMEOUT", "DATABASE_URL", URL + "?connect_timeout=5", "DB_CONNECT_TIMEOUT", "6"),
                // TLS
                invalid("DB_SSLMODE", "DATABASE_URL", URL, "DB_SSLMODE", "sometimes"),
                invalid("DB_SSLROOTCERT", "DATABASE_URL", URL, "DB_SSLMODE", "verify-full"),
                invalid("DB_SSLROOTCERT", "DATABASE_URL", URL, "DB_SSLROOTCERT", "/nonexistent/root.crt"),
                invalid("DB_SSLROOTCERT", "DATABASE_URL", URL, "DB_SSLROOTCERT", FILE.getParent().toString()),
                invalid("DB_SSLCERT", "DATABASE_URL", URL, "DB_SSLCERT", "/nonexistent/client.crt"),
                invalid("DB_SSLKEY", "DATABASE_URL", URL, "DB_SSLCERT", FILE.toString()),
                invalid("DB_SSLCERT", "DATABASE_URL", URL, "DB_SSLKEY", FILE.toString()),
                // routing
                invalid("DB_REPLICA_SELECTION", "DATABASE_URL", URL, "DB_REPLICA_SELECTION", "random"),
                // replicas
                invalid("DB_READ_REPLICA_URLS", "DB_READ_REPLICA_URLS", REPLICAS),
                invalid("DB_READ_REPLICA_URLS", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", "postgresql://r1,,postgresql://r2"),
                invalid("DB_READ_REPLICA_URLS", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", "postgresql://r1,"),
                invalid("DB_READ_REPLICA_URLS", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", ", postgresql://r1"),
                invalid("DB_READ_REPLICA_URLS[2]", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", "postgresql://r1,postgresql://app:" + ENCODED + "@r2:x"),
                invalid("DB_READ_REPLICA_URLS[1]", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", "postgresql://app:S3cr3t,P@ss@r1"),
                invalid("DB_READ_REPLICA_URLS[1]", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", "postgresql://r1?application_name=other"),
                invalid("DB_READ_REPLICA_URLS[2]", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", "postgresql://r1,postgresql://r2?connect_timeout=3"),
                invalid("DB_READ_REPLICA_3_WEIGHT", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", REPLICAS, "DB_READ_REPLICA_3_WEIGHT", "2"),
                invalid("DB_READ_REPLICA_0_WEIGHT", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", REPLICAS, "DB_READ_REPLICA_0_WEIGHT", "2"),
                invalid("DB_READ_REPLICA_01_WEIGHT", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", REPLICAS, "DB_READ_REPLICA_01_WEIGHT", "2"),
                invalid("DB_READ_REPLICA_1_WEIGHT", "DATABASE_URL", URL, "DB_READ_REPLICA_1_WEIGHT", "2"),
                invalid("DB_POOLER", "DATABASE_URL", URL, "DB_POOLER", "pgbouncer"),
                invalid("DB_POOLER", "DATABASE_URL", URL, "DB_POOLER", "transaction"),
                invalid("DB_STATEMENT_CACHE_SIZE", "DATABASE_URL", URL, "DB_POOLER", "pgbouncer-transaction", "DB_STATEMENT_CACHE_SIZE", "1"),
                invalid("DB_LOCK_TIMEOUT", "DATABASE_URL", URL, "DB_POOLER", "pgbouncer-transaction", "DB_LOCK_TIMEOUT", "1s"),
                // pool relations
                invalid("DB_POOL_MIN", "DATABASE_URL", URL, "DB_POOL_MIN", "11"),
                invalid("DB_POOL_MIN", "DATABASE_URL", URL, "DB_POOL_MIN", "3", "DB_POOL_SIZE", "2"),
                invalid("DB_MAX_OVERFLOW", "DATABASE_URL", URL, "DB_POOL_SIZE", "2147483647", "DB_MAX_OVERFLOW", "1")));

        List<String> badIntegers = List.of("abc", "1.5", "-1", "+1", "1e3", "0x10", "99999999999", "2147483648", "1 000", "５");
        for (String name : List.of("DB_POOL_MIN", "DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_STATEMENT_CACHE_SIZE")) {
            for (String value : badIntegers) {
                cases.add(invalid(name, "DATABASE_URL", URL, name, value));
            }
        }
        cases.add(invalid("DB_POOL_SIZE", "DATABASE_URL", URL, "DB_POOL_SIZE", "0"));
        for (String value : concat(badIntegers, "0", "65536")) {
            cases.add(invalid("DB_PORT", "DB_HOST", "db", "DB_PASSWORD", PASSWORD, "DB_PORT", value));
        }
        for (String value : concat(badIntegers, "0", "1001")) {
            cases.add(invalid("DB_READ_REPLICA_2_WEIGHT", "DATABASE_URL", URL, "DB_READ_REPLICA_URLS", REPLICAS,
                    "DB_READ_REPLICA_2_WEIGHT", value));
        }

        List<String> badDurations = List.of("abc", "-1", "-1s", "1.5", "10us", "5 sec", "1y", "P1M", "PT-1S", "99999999999999999999d");
        for (String name : List.of("DB_POOL_TIMEOUT", "DB_POOL_RECYCLE", "DB_POOL_MAX_IDLE", "DB_CONNECT_TIMEOUT", "DB_SHUTDOWN_TIMEOUT")) {
            for (String value : concat(badDurations, "0", "0s", "PT0S")) {
                cases.add(invalid(name, "DATABASE_URL", URL, name, value));
            }
        }
        for (String name : List.of("DB_STATEMENT_TIMEOUT", "DB_LOCK_TIMEOUT", "DB_IDLE_IN_TRANSACTION_TIMEOUT")) {
            for (String value : badDurations) {
                cases.add(invalid(name, "DATABASE_URL", URL, name, value));
            }
        }
        return cases.stream();
    }

    private static List<String> concat(List<String> list, String... more) {
        List<String> all = new ArrayList<>(list);
        all.addAll(List.of(more));
        return all;
    }

    @ParameterizedTest(name = "[{index}] {0} <- {1}")
    @MethodSource("invalidSettings")
    void failsNamingTheSettingWithoutThePassword(String expectedSetting, Map<String, String> env) {
        assertThatThrownBy(() -> EnvironmentSettings.parse(env))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.setting()).isEqualTo(expectedSetting);
                    assertThat(e.getMessage()).startsWith(expectedSetting + ": ");
                    for (Throwable t = e; t != null; t = t.getCause()) {
                        assertThat(String.valueOf(t.getMessage()))
                                .doesNotContain(PASSWORD)
                                .doesNotContain(ENCODED)
                                .doesNotContain("S3cr3t");
                    }
                });
    }

    @Test
    void integerMessagesGiveTheAcceptedForm() {
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_POOL_SIZE", "abc")))
                .hasMessage("DB_POOL_SIZE: must be an integer >= 1 but was 'abc'");
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_READ_REPLICA_URLS", REPLICAS,
                "DB_READ_REPLICA_1_WEIGHT", "1001")))
                .hasMessage("DB_READ_REPLICA_1_WEIGHT: must be an integer between 1 and 1000 but was '1001'");
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DB_HOST", "db", "DB_PORT", "99999999999")))
                .hasMessage("DB_PORT: must be an integer between 1 and 65535 but was '99999999999'");
    }

    @Test
    void conflictMessagesSayWhatToDo() {
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_HOST", "db")))
                .hasMessageContaining("set either DATABASE_URL or DB_HOST");
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_PASSWORD", "x")))
                .hasMessageContaining("DATABASE_URL contains a password");
        assertThatThrownBy(() -> EnvironmentSettings.parse(env("DATABASE_URL", URL, "DB_READ_REPLICA_URLS", REPLICAS,
                "DB_READ_REPLICA_3_WEIGHT", "2")))
                .hasMessageContaining("DB_READ_REPLICA_URLS has 2 entries");
    }

    @Test
    void validSettingsNeverShowThePassword() throws IOException {
        Path file = Files.writeString(Files.createTempFile("reactive-db-password", ""), PASSWORD + "\n");
        try {
            for (Map<String, String> env : List.of(
                    env("DATABASE_URL", URL, "DB_READ_REPLICA_URLS", REPLICAS + ",postgresql://other:" + ENCODED + "@r3"),
                    env("DATABASE_URL", "postgresql://app:" + PASSWORD + "@db/orders"),
                    env("DATABASE_URL", URL_WITHOUT_PASSWORD, "DB_PASSWORD", PASSWORD, "DB_READ_REPLICA_URLS", "postgresql://r1"),
                    env("DB_HOST", "db", "DB_USER", "app", "DB_PASSWORD", PASSWORD),
                    env("DB_HOST", "db", "DB_PASSWORD_FILE", file.toString(), "DB_READ_REPLICA_URLS", "postgresql://r1"))) {
                ReactiveDbSettings settings = EnvironmentSettings.parse(env);
                assertThat(settings.primary().password().reveal()).isEqualTo(PASSWORD);
                assertThat(settings.toString()).contains("password=******").doesNotContain(PASSWORD).doesNotContain(ENCODED).doesNotContain("S3cr3t");
                assertThat(settings.primary().describe()).doesNotContain("S3cr3t");
                for (EndpointSettings replica : settings.replicas()) {
                    assertThat(replica.toString()).doesNotContain("S3cr3t");
                }
            }
            assertThat(ConnectionUrl.parse("DATABASE_URL", URL).toString()).doesNotContain("S3cr3t");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
