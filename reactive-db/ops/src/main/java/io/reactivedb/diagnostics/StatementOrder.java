package io.reactivedb.diagnostics;

/** How {@link Diagnostics#topStatements(String, StatementOrder)} ranks statements; each maps to one column, an allow-list. */
public enum StatementOrder {
    /** Total execution time, the default: what costs the server most. */
    TOTAL_TIME("total_exec_time"),
    MEAN_TIME("mean_exec_time"),
    MAX_TIME("max_exec_time"),
    CALLS("calls"),
    ROWS("rows");

    private final String column;

    StatementOrder(String column) {
        this.column = column;
    }

    /** The {@code pg_stat_statements} column; a constant, never caller text. */
    String column() {
        return column;
    }
}
