package io.reactivedb.resilience;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One operation that took longer than the {@link SlowQueryLog}'s threshold. Holds the SQL text as
 * written, with its placeholders, never bound values.
 *
 * @param at        when the operation ended
 * @param operation what the caller called it, for example {@code findOrder}
 * @param outcome   {@code complete}, {@code cancel}, or {@code error <type> [SQLSTATE]}
 */
public record SlowQuery(Instant at, String endpoint, String operation, String sql, Duration duration, String outcome) {

    public SlowQuery {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(sql, "sql");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(outcome, "outcome");
    }
}
