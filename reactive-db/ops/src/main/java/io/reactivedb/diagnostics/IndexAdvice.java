package io.reactivedb.diagnostics;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Index use of the endpoint's database. Scan counters are per server: a replica counts the scans it
 * ran, not the primary's.
 *
 * @param endpoint               where it was read
 * @param statisticsSince        when the database's statistics were last reset; empty when never
 * @param missingIndexCandidates tables scanned mostly sequentially despite many rows, most rows read first
 * @param unusedIndexes          indexes never scanned since the statistics began, largest first; unique and
 *                               primary-key indexes are left out (they enforce constraints)
 * @param largestIndexes         the largest indexes with their use
 */
public record IndexAdvice(String endpoint, Optional<Instant> statisticsSince, List<MissingIndexCandidate> missingIndexCandidates,
                          List<UnusedIndex> unusedIndexes, List<IndexSize> largestIndexes) {

    public IndexAdvice {
        missingIndexCandidates = List.copyOf(missingIndexCandidates);
        unusedIndexes = List.copyOf(unusedIndexes);
        largestIndexes = List.copyOf(largestIndexes);
    }

    /**
     * @param seqScans         sequential scans of the table
     * @param seqRowsRead      rows those scans read
     * @param indexScans       index scans of the table
     * @param liveRows         estimated live rows
     * @param seqScanShare     sequential scans among all scans, 0 to 1
     * @param rowsPerSeqScan   rows read per sequential scan, on average
     */
    public record MissingIndexCandidate(String schema, String table, long seqScans, long seqRowsRead, long indexScans,
                                        long liveRows, double seqScanShare, long rowsPerSeqScan) {
    }

    /** @param definition the {@code CREATE INDEX} statement, as {@code pg_get_indexdef} gives it */
    public record UnusedIndex(String schema, String table, String index, long sizeBytes, String definition) {
    }

    /** @param scans index scans; @param tuplesRead index entries those scans returned */
    public record IndexSize(String schema, String table, String index, long sizeBytes, long scans, long tuplesRead) {
    }
}
