package io.reactivedb.tools;

/**
 * PostgreSQL executables were not found where they were looked for. The message lists every place
 * looked at and how to install them.
 */
public final class PostgresToolsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PostgresToolsException(String message) {
        super(message);
    }
}
