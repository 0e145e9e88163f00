package io.reactivedb.diagnostics;

import java.util.List;

/**
 * Sizes on disk in the endpoint's database.
 *
 * @param database      the database name
 * @param databaseBytes the whole database
 * @param largestTables the largest tables and materialized views; the candidates are picked by the
 *                      planner's page estimates (no locks), their sizes are then measured exactly
 */
public record Sizes(String endpoint, String database, long databaseBytes, List<TableSize> largestTables) {

    public Sizes {
        largestTables = List.copyOf(largestTables);
    }

    /**
     * @param tableBytes    the table with its TOAST data
     * @param indexBytes    all its indexes
     * @param totalBytes    both
     * @param estimatedRows the planner's estimate; -1 before the first analyze
     */
    public record TableSize(String schema, String table, long tableBytes, long indexBytes, long totalBytes, long estimatedRows) {
    }
}
