package io.reactivedb.diagnostics;

import java.util.List;
import java.util.Objects;

/**
 * The most expensive statements of the endpoint's database, from {@code pg_stat_statements}.
 *
 * @param endpoint     where they were read
 * @param availability whether the extension could be read; the list is empty unless {@code AVAILABLE}
 * @param detail       what to do when it is not available; empty when it is
 * @param statements   the statements, ranked by the requested {@link StatementOrder}
 */
public record TopStatements(String endpoint, Availability availability, String detail, List<StatementStatistics> statements) {

    public enum Availability {
        AVAILABLE,
        /** {@code CREATE EXTENSION pg_stat_statements} has not been run in this database. */
        NOT_INSTALLED,
        /** The extension exists but the server was started without it in {@code shared_preload_libraries}. */
        NOT_LOADED
    }

    public TopStatements {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(availability, "availability");
        Objects.requireNonNull(detail, "detail");
        statements = List.copyOf(statements);
    }

    static TopStatements notInstalled(String endpoint) {
        return new TopStatements(endpoint, Availability.NOT_INSTALLED, "pg_stat_statements is not installed in this database:"
                + " add it to shared_preload_libraries, restart, then run CREATE EXTENSION pg_stat_statements", List.of());
    }

    static TopStatements notLoaded(String endpoint) {
        return new TopStatements(endpoint, Availability.NOT_LOADED, "pg_stat_statements is installed but not loaded:"
                + " add it to shared_preload_libraries and restart the server", List.of());
    }
}
