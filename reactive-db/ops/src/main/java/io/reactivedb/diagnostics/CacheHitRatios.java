package io.reactivedb.diagnostics;

import java.util.List;
import java.util.Optional;

/**
 * Shared-buffer hit ratios: per database on the endpoint's server, and per table of the endpoint's
 * database, most blocks read from outside the cache first.
 *
 * @param endpoint where it was read
 * @param target   the ratio to reach (default 0.99)
 */
public record CacheHitRatios(String endpoint, double target, List<DatabaseRatio> databases, List<TableRatio> tables) {

    public CacheHitRatios {
        databases = List.copyOf(databases);
        tables = List.copyOf(tables);
    }

    /**
     * Block hits and reads.
     *
     * @param ratio       hits among hits and reads; empty when no block was accessed
     * @param meetsTarget the ratio reaches the target (true when no block was accessed)
     */
    public record Ratio(long hits, long reads, Optional<Double> ratio, boolean meetsTarget) {

        static Ratio of(long hits, long reads, double target) {
            long total = hits + reads;
            Optional<Double> ratio = total == 0 ? Optional.empty() : Optional.of((double) hits / total);
            return new Ratio(hits, reads, ratio, ratio.map(r -> r >= target).orElse(true));
        }
    }

    public record DatabaseRatio(String database, Ratio blocks) {
    }

    /** @param heap the table's own blocks; @param indexes its indexes' blocks; @param total both */
    public record TableRatio(String schema, String table, Ratio heap, Ratio indexes, Ratio total) {
    }
}
