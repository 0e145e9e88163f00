package io.reactivedb.diagnostics;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Dead tuples per table of the endpoint's database, most dead tuples first: rows deleted or
 * updated away that (auto)vacuum has not reclaimed yet. The counters are the server's estimates.
 *
 * @param endpoint where it was read
 * @param tables   the tables
 */
public record TableBloat(String endpoint, List<Table> tables) {

    public TableBloat {
        tables = List.copyOf(tables);
    }

    /**
     * @param deadRatio            dead among live and dead tuples, 0 to 1; empty for an empty table
     * @param modifiedSinceAnalyze rows changed since the last analyze
     */
    public record Table(String schema, String table, long liveTuples, long deadTuples, Optional<Double> deadRatio,
                        long modifiedSinceAnalyze, Optional<Instant> lastVacuum, Optional<Instant> lastAutovacuum,
                        Optional<Instant> lastAnalyze, Optional<Instant> lastAutoanalyze) {
    }
}
