package io.reactivedb.diagnostics;

import io.r2dbc.spi.Readable;
import io.reactivedb.health.Lsn;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Reading the diagnostics' result columns: SQL NULL as zero or empty, milliseconds and seconds as
 * {@link Duration}, timestamps as {@link Instant}, LSN text as {@link Lsn}; and the row mappers
 * shared by more than one column layout.
 */
final class Rows {

    private Rows() {
    }

    static StatementStatistics statement(Readable row) {
        return new StatementStatistics(Optional.ofNullable(row.get(0, Long.class)), text(row, 1), text(row, 2), number(row, 3),
                millis(row, 4), millis(row, 5), millis(row, 6), number(row, 7), number(row, 8), number(row, 9));
    }

    /** Columns {@code from} … {@code from + 5}: pid, user, application, state, query, transaction age. */
    static Locks.Session session(Readable row, int from) {
        Integer pid = row.get(from, Integer.class);
        return new Locks.Session(pid == null ? 0 : pid, optionalText(row, from + 1), optionalText(row, from + 2),
                optionalText(row, from + 3), optionalText(row, from + 4), seconds(row, from + 5));
    }

    static String text(Readable row, int index) {
        return String.valueOf(row.get(index, String.class));
    }

    static Optional<String> optionalText(Readable row, int index) {
        return Optional.ofNullable(row.get(index, String.class));
    }

    static long number(Readable row, int index) {
        Long value = row.get(index, Long.class);
        return value == null ? 0 : value;
    }

    static int integer(Readable row, int index) {
        Integer value = row.get(index, Integer.class);
        return value == null ? 0 : value;
    }

    static Duration millis(Readable row, int index) {
        Double value = row.get(index, Double.class);
        return value == null ? Duration.ZERO : Duration.ofNanos(Math.round(value * 1_000_000));
    }

    static Optional<Duration> seconds(Readable row, int index) {
        Double value = row.get(index, Double.class);
        return value == null ? Optional.empty() : Optional.of(Duration.ofNanos(Math.round(Math.max(0, value) * 1e9)));
    }

    static Optional<Instant> instant(Readable row, int index) {
        OffsetDateTime value = row.get(index, OffsetDateTime.class);
        return Optional.ofNullable(value).map(OffsetDateTime::toInstant);
    }

    static Optional<Lsn> lsn(Readable row, int index) {
        @Nullable String value = row.get(index, String.class);
        return value == null ? Optional.empty() : Optional.of(Lsn.parse(value));
    }

    /** Bytes {@code position} is behind {@code current}; empty when the position is unknown (not zero: unknown is not caught up). */
    static Optional<Long> behind(Lsn current, Optional<Lsn> position) {
        return position.map(current::bytesAfter);
    }
}
