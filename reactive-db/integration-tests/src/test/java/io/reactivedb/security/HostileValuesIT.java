package io.reactivedb.security;

import io.reactivedb.routing.RouterFeature;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import io.reactivedb.error.DbQueryException;
import io.reactivedb.routing.ReactiveDbRouter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Values are bound, never spliced into SQL: hostile strings are stored and found literally, and a
 * value PostgreSQL's text type cannot hold (a NUL byte) is refused with a clear error, storing and
 * dropping nothing.
 */
@DevClusterTest
class HostileValuesIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TABLE = "hostile_values_it";

    private static DevCluster cluster;
    private static ReactiveDbRouter app;

    @BeforeAll
    static void table(DevCluster shared) {
        cluster = shared;
        ReactiveDbRouter migrator = ReactiveDbRouter.builder(cluster.migrationSettings()).without(RouterFeature.HEALTH_MONITORING).build();
        try {
            migrator.write(s -> s.execute("DROP TABLE IF EXISTS " + TABLE)
                    .then(s.execute("CREATE TABLE " + TABLE + " (id int PRIMARY KEY, note text NOT NULL)"))).blockLast(WAIT);
        } finally {
            migrator.shutdown().block(WAIT);
        }
        app = ReactiveDbRouter.builder(cluster.settings()).without(RouterFeature.HEALTH_MONITORING, RouterFeature.RETRY).build();
    }

    @AfterAll
    static void close() {
        if (app != null) {
            app.shutdown().block(WAIT);
        }
    }

    static List<String> hostile() {
        List<String> values = new ArrayList<>(List.of(
                "'); DROP TABLE " + TABLE + ";--",
                "x'; DELETE FROM " + TABLE + " WHERE '1'='1",
                "' OR '1'='1",
                "$1",
                "$2 $1 ? :name @p1 %s {0}",
                "\\'; SELECT pg_sleep(10); --",
                "E'\\x27' || chr(39)",
                "*/ DROP TABLE " + TABLE + "; /*",
                "line one\nline two\r\n\ttabbed",
                "ünïcødé ✓ 漢字 😀",
                "\"quoted identifier\"",
                "%_ LIKE wildcards \\_"));
        values.add("A".repeat(2_000_000));
        values.add("'); DROP TABLE " + TABLE + ";--".repeat(50_000));
        return values;
    }

    @Test
    void hostileValuesAreStoredAndFoundLiterally() {
        List<String> values = hostile();
        for (int i = 0; i < values.size(); i++) {
            int id = i + 1;
            String value = values.get(i);
            assertThat(app.write(s -> s.execute("INSERT INTO " + TABLE + " (id, note) VALUES ($1, $2)", id, value)).blockLast(WAIT))
                    .isEqualTo(1L);
        }
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            List<Integer> found = app.write(s -> s.query("SELECT id FROM " + TABLE + " WHERE note = $1", row -> row.get(0, Integer.class), value))
                    .collectList().block(WAIT);
            assertThat(found).as("row found by value %d", i + 1).containsExactly(i + 1);
            int id = i + 1;
            String stored = app.write(s -> s.query("SELECT note FROM " + TABLE + " WHERE id = $1", row -> row.get(0, String.class), id))
                    .blockLast(WAIT);
            assertThat(stored).as("value %d read back", id).isEqualTo(value);
        }
        assertThat(count()).isEqualTo(values.size());
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT to_regclass('public." + TABLE + "') IS NOT NULL")).isEqualTo("t");
    }

    @Test
    void aNulByteIsRefusedCleanlyAndNothingIsStoredOrDropped() {
        long before = count();
        String withNul = "before\u0000'); DROP TABLE " + TABLE + ";--";
        assertThatThrownBy(() -> app.write(s -> s.execute("INSERT INTO " + TABLE + " (id, note) VALUES ($1, $2)", 1_000_000, withNul))
                .blockLast(WAIT))
                .isInstanceOfSatisfying(DbQueryException.class, e -> {
                    assertThat(e.sqlState()).contains("22021");
                    assertThat(e.getMessage()).contains("invalid byte sequence").doesNotContain("DROP TABLE");
                    assertThat(e.isRetrySafe()).isFalse();
                });
        assertThat(count()).isEqualTo(before);
        assertThat(cluster.psql(cluster.primary(), cluster.database(), "SELECT count(*) FROM " + TABLE + " WHERE id = 1000000")).isEqualTo("0");
    }

    private static long count() {
        return app.write(s -> s.query("SELECT count(*) FROM " + TABLE, row -> row.get(0, Long.class))).blockLast(WAIT);
    }
}
