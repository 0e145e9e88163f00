package io.reactivedb.migrations;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MigrationCliTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return MigrationCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), env);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void usageErrorsExitWith2AndPrintUsage() {
        Map<String, String> env = Map.of("DB_HOST", "localhost");
        String[][] bad = {
            {},
            {"migrate"},
            {"update", "--verbose"},
            {"update", "--count"},
            {"update", "--count", "0"},
            {"update", "--count", "x"},
            {"update", "--dry-run", "--count", "2"},
            {"rollback"},
            {"rollback", "--count", "1", "--to-tag", "v1"},
            {"tag"},
            {"tag", "a", "b"},
            {"history", "extra"},
            {"status", "--dry-run"},
        };
        for (String[] args : bad) {
            err.reset();
            assertThat(run(env, args)).as(String.join(" ", args)).isEqualTo(MigrationCli.USAGE);
            assertThat(err()).as(String.join(" ", args)).contains("error: ").contains("usage: migrations <command>");
        }
        err.reset();
        run(env, "migrate");
        assertThat(err()).contains("unknown command 'migrate'");
    }

    @Test
    void helpExitsWith0() {
        assertThat(run(Map.of(), "help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("release-locks");
    }

    @Test
    void configurationErrorsExitWith3NamingTheSetting() {
        assertThat(run(Map.of(), "status")).isEqualTo(MigrationCli.CONFIGURATION);
        assertThat(err()).contains("configuration error").containsAnyOf("DB_HOST", "DATABASE_URL");

        err.reset();
        assertThat(run(Map.of("DB_HOST", "localhost", "DB_PORT", "99999"), "update")).isEqualTo(MigrationCli.CONFIGURATION);
        assertThat(err()).contains("DB_PORT");

        err.reset();
        assertThat(run(Map.of("DATABASE_URL", "mysql://x/y", "DB_PASSWORD", "s3cret-pw"), "status")).isEqualTo(MigrationCli.CONFIGURATION);
        assertThat(err()).contains("DATABASE_URL").doesNotContain("s3cret-pw");
    }
}
