package io.reactivedb.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivedb.devservices.DevCluster;
import io.reactivedb.devservices.DevClusterTest;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** {@link DbSession#copyIn} against the shared dev cluster's primary: hostile values arrive as given. */
@DevClusterTest
class CopyInIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TABLE = "Copy In IT";

    private final DevCluster cluster;
    private ReactiveDbRouter router;

    CopyInIT(DevCluster cluster) {
        this.cluster = cluster;
    }

    @BeforeAll
    static void schema(DevCluster cluster) {
        cluster.psql(cluster.primary(), cluster.database(),
                "CREATE TABLE IF NOT EXISTS \"" + TABLE + "\" (id int PRIMARY KEY, \"Note\" text, amount numeric, at timestamptz, day date,"
                        + " ok boolean, key uuid, raw bytea); GRANT ALL ON \"" + TABLE + "\" TO " + cluster.appUser());
    }

    @BeforeEach
    void router() {
        router = ReactiveDbRouter.builder(cluster.settings()).without(RouterFeature.HEALTH_MONITORING).build();
        router.write(s -> s.execute("DELETE FROM \"" + TABLE + "\"")).blockLast(WAIT);
    }

    @AfterEach
    void close() {
        router.shutdown(Duration.ofSeconds(5)).block(WAIT);
    }

    private static final List<String> COLUMNS = List.of("id", "Note", "amount", "at", "day", "ok", "key", "raw");

    @Test
    void hostileValuesAreReadBackEqual() {
        List<String> notes = Arrays.asList("tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "\\.", "\\", "",
                null, "ünïcödé 日本語 🐘 e\u0301", "\"quoted\" 'single'", "end\\", "\t\n\r\\", "; DROP TABLE x; --", "\u0007\u001b[31m");
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < notes.size(); i++) {
            rows.add(new Object[] {i, notes.get(i), i % 2 == 0 ? new BigDecimal("12345678901234567890.000000001") : null,
                    OffsetDateTime.of(2024, 2, 29, 23, 59, 59, 123_456_000, ZoneOffset.ofHours(2)), LocalDate.of(2000, 1, 1 + i),
                    i % 3 == 0, UUID.nameUUIDFromBytes(new byte[] {(byte) i}), new byte[] {0, (byte) i, '\\', '\t', '\n', (byte) 0xff}});
        }
        Long copied = router.write(s -> s.copyIn(TABLE, COLUMNS, Flux.fromIterable(rows))).blockLast(WAIT);
        assertThat(copied).isEqualTo(notes.size());

        List<Object[]> back = router.read(ReadConsistency.strong(), s -> s.query(
                "SELECT id, \"Note\", amount, at, day, ok, key, raw FROM \"" + TABLE + "\" ORDER BY id",
                row -> new Object[] {row.get(0, Integer.class), row.get(1, String.class), row.get(2, BigDecimal.class),
                        row.get(3, OffsetDateTime.class), row.get(4, LocalDate.class), row.get(5, Boolean.class), row.get(6, UUID.class),
                        bytes(row.get(7, java.nio.ByteBuffer.class))})).collectList().block(WAIT);
        assertThat(back).hasSize(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Object[] sent = rows.get(i);
            Object[] got = back.get(i);
            assertThat(got[1]).as("note %d", i).isEqualTo(sent[1]);
            assertThat((BigDecimal) got[2]).as("amount %d", i).isEqualTo((BigDecimal) sent[2]);
            assertThat(((OffsetDateTime) got[3]).toInstant()).isEqualTo(((OffsetDateTime) sent[3]).toInstant());
            assertThat(Arrays.asList(got[0], got[4], got[5], got[6])).isEqualTo(Arrays.asList(sent[0], sent[4], sent[5], sent[6]));
            assertThat((byte[]) got[7]).isEqualTo((byte[]) sent[7]);
        }
        assertThat(back.stream().filter(r -> Objects.isNull(r[1])).count()).isEqualTo(1);
    }

    @Test
    void aBadRowFailsTheWholeCopyAndNamesAreChecked() {
        Flux<Object[]> rows = Flux.range(0, 2500).map(i -> i == 2400 ? new Object[] {i, "x"} : new Object[] {i, "ok", null, null, null, null, null, null});
        assertThatThrownBy(() -> router.write(s -> s.copyIn(TABLE, COLUMNS, rows)).blockLast(WAIT)).hasMessageContaining("2 values for 8 columns");
        assertThat(router.read(ReadConsistency.strong(), s -> s.query("SELECT count(*) FROM \"" + TABLE + "\"", row -> row.get(0, Long.class)))
                .blockLast(WAIT)).isZero();
        assertThatThrownBy(() -> router.write(s -> s.copyIn(TABLE, List.of(), Flux.empty())).blockLast(WAIT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> router.write(s -> s.copyIn("", List.of("id"), Flux.empty())).blockLast(WAIT))
                .isInstanceOf(IllegalArgumentException.class);
        // The connection is fine after a failed copy: the next unit works.
        assertThat(router.write(s -> s.copyIn(TABLE, List.of("id"), Flux.just(new Object[] {1}, new Object[] {2}))).blockLast(WAIT)).isEqualTo(2);
    }

    private static byte[] bytes(java.nio.ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
