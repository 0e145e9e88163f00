package io.reactivedb.migrations;

import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * A migration failed, could not start, or found the schema out of date. The message names the change
 * set ({@code id::author::file}) and the SQLSTATE when there is one; it never contains a password.
 */
public final class MigrationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient @Nullable ChangeSetRef changeSet;
    private final @Nullable String sqlState;

    public MigrationException(String message) {
        this(message, null, null, null);
    }

    public MigrationException(String message, @Nullable ChangeSetRef changeSet, @Nullable String sqlState, @Nullable Throwable cause) {
        super(message, cause);
        this.changeSet = changeSet;
        this.sqlState = sqlState;
    }

    /** The change set that failed, when the failure belongs to one. */
    public Optional<ChangeSetRef> changeSet() {
        return Optional.ofNullable(changeSet);
    }

    /** The SQLSTATE of the underlying database error, when there is one (for example {@code 42P01}). */
    public Optional<String> sqlState() {
        return Optional.ofNullable(sqlState);
    }
}
